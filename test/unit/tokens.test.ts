/** Why the embedded runtime refuses a token (runtime/tokens.ts): the 401's message says it. */
import { SignJWT } from 'jose';
import { mintToken, tokenRejection, verifyToken } from '../../runtime/tokens';

const SECRET = 'a-local-auth-secret-of-enough-length-0123';

async function rejectionOf(token: string): Promise<string> {
  try {
    await verifyToken(SECRET, token);
  } catch (error) {
    return tokenRejection(error);
  }
  throw new Error('the token was accepted');
}

test('an expired token is refused as expired, with its expiry', async () => {
  // Prepare
  const token = await mintToken(SECRET, { sub: 'alice' }, -60);
  // Act
  const reason = await rejectionOf(token);
  // Assess
  expect(reason).toMatch(/^The token expired \(exp \d{4}-\d\d-\d\dT/);
});

test('a token of another secret is refused for its signature', async () => {
  // Prepare
  const token = await mintToken('another-secret-another-secret-0123456789', { sub: 'alice' });
  // Act
  const reason = await rejectionOf(token);
  // Assess
  expect(reason).toContain('bad signature');
});

test('a token of another issuer is refused naming that issuer', async () => {
  // Prepare
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('alice')
    .setIssuer('someone-else')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));
  // Act
  const reason = await rejectionOf(token);
  // Assess
  expect(reason).toBe('The token\'s issuer is "someone-else", not vpc-peering-local');
});

test('garbage is not a JWT', async () => {
  expect(await rejectionOf('not.a.jwt')).toBe('The token is not a valid JWT');
});
