/**
 * LOCAL_AUTH_SECRET signs every local token (HS256): one shorter than 32 bytes is refused. Without
 * it, the runtime keeps the secret it generates in DATA_DIR, written whole.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { startRuntime } from '../../runtime/main';
import {
  assertStrongAuthSecret,
  persistentAuthSecret,
  readAuthSecret,
  WeakAuthSecretError,
} from '../../runtime/tokens';
import { crashAtNextFileWrite } from '../support/crash-mid-write';
import { tempDir } from '../support/gateway-script';

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

describe('the generated auth secret', () => {
  it('is kept by the start after one that died while writing it', async () => {
    // Prepare: a first start dies while it writes the secret it generated
    const root = tempDir('auth-secret');
    const dataDir = join(root, 'data');
    try {
      const { crashed } = await crashAtNextFileWrite(join(root, 'probe'));
      void persistentAuthSecret(dataDir);
      await crashed;

      // Act
      const secret = await persistentAuthSecret(dataDir);

      // Assess: `npm run token` and the next start sign with it
      expect(await readAuthSecret(dataDir)).toBe(secret);
      expect(await persistentAuthSecret(dataDir)).toBe(secret);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
