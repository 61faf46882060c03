/** LOCAL_AUTH_SECRET signs every local token (HS256): one shorter than 32 bytes is refused. */
import { startRuntime } from '../../runtime/main';
import { assertStrongAuthSecret, WeakAuthSecretError } from '../../runtime/tokens';

describe('LOCAL_AUTH_SECRET', () => {
  it.each([
    ['31 ASCII bytes', 'x'.repeat(31), false],
    ['32 ASCII bytes', 'x'.repeat(32), true],
    ['16 characters of 2 bytes each (32 bytes)', 'é'.repeat(16), true],
    ['empty', '', false],
  ])('%s', (_case, secret, accepted) => {
    // Act
    const act = () => assertStrongAuthSecret(secret);
    // Assess
    if (accepted) expect(act).not.toThrow();
    else expect(act).toThrow(/LOCAL_AUTH_SECRET must be at least 32 bytes/);
  });

  it('stops the runtime from starting, before anything is started', async () => {
    // Act
    const start = startRuntime({ authSecret: 'short', dataDir: '/nonexistent/never-created' });
    // Assess
    await expect(start).rejects.toBeInstanceOf(WeakAuthSecretError);
  });
});
