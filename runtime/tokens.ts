/**
 * Local stand-in for Cognito tokens: HS256 JWTs signed with LOCAL_AUTH_SECRET carrying the claims
 * the Cognito authorizer would pass on (`sub`, `cognito:groups`), issuer `vpc-peering-local`
 * (README, "Tokens of the embedded runtime").
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errors, jwtVerify, SignJWT } from 'jose';
import { createFileWhole } from '../lambdas/adapters/local/whole-files';
import { hasCommaFreeGroupNames } from '../lambdas/http/claims';

const ALGORITHM = 'HS256';
export const LOCAL_ISSUER = 'vpc-peering-local';
const ISSUER = LOCAL_ISSUER;

/** Where a generated secret is kept, so tokens (and `npm run token`) outlive a restart. */
export const authSecretPath = (dataDir: string): string => join(dataDir, 'auth-secret');

/** The secret kept in `dataDir`, when there is one. */
export async function readAuthSecret(dataDir: string): Promise<string | undefined> {
  const text = await readFile(authSecretPath(dataDir), 'utf8').catch(() => undefined);
  return text?.trim() || undefined;
}

/**
 * The secret kept in `dataDir`, generated (0600) on the first start. Written whole: a crash that
 * left the file empty made every later start sign with a fresh secret it never kept.
 */
export async function persistentAuthSecret(dataDir: string): Promise<string> {
  const kept = await readAuthSecret(dataDir);
  if (kept) return kept;
  await mkdir(dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  await createFileWhole(authSecretPath(dataDir), `${secret}\n`, 0o600);
  return (await readAuthSecret(dataDir)) ?? secret;
}

/** A link that signs the console straight in (a fragment: the token never reaches a server log). */
export const signInLink = (baseUrl: string, token: string): string => `${baseUrl}/signin#token=${token}`;

const keyOf = (secret: string): Uint8Array => new TextEncoder().encode(secret);

/** HS256 is only as strong as its key: RFC 7518 §3.2 asks for at least the hash size, 32 bytes. */
export const MIN_AUTH_SECRET_BYTES = 32;

export class WeakAuthSecretError extends Error {
  override readonly name = 'WeakAuthSecretError';
}

/** Refuses a LOCAL_AUTH_SECRET shorter than 32 bytes (UTF-8), naming the variable and the rule. */
export function assertStrongAuthSecret(secret: string): void {
  const bytes = keyOf(secret).length;
  if (bytes < MIN_AUTH_SECRET_BYTES) {
    throw new WeakAuthSecretError(
      `LOCAL_AUTH_SECRET must be at least ${MIN_AUTH_SECRET_BYTES} bytes, got ${bytes}: ` +
        'unset it to have one generated, or use e.g. `openssl rand -base64 32`',
    );
  }
}

/** A token naming a group with a comma, which the API would read as several (lambdas/http/claims.ts). */
export class GroupNameError extends Error {
  override readonly name = 'GroupNameError';
  constructor() {
    super('A group name must not contain a comma: the API would read "a,b" as the groups "a" and "b"');
  }
}

function assertGroupNames(groups: unknown): void {
  if (Array.isArray(groups) && !hasCommaFreeGroupNames(groups)) throw new GroupNameError();
}

export async function mintToken(
  secret: string,
  claims: { sub: string; groups?: string[] },
  ttlSeconds = 12 * 3600,
): Promise<string> {
  assertGroupNames(claims.groups);
  return new SignJWT({ 'cognito:groups': claims.groups ?? [] })
    .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT' })
    .setSubject(claims.sub)
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${ttlSeconds}s`)
    .sign(keyOf(secret));
}

/** The token's claims; throws when the signature, algorithm, issuer, expiry or a group name is wrong. */
export async function verifyToken(secret: string, token: string): Promise<Record<string, unknown>> {
  const { payload } = await jwtVerify(token, keyOf(secret), { algorithms: [ALGORITHM], issuer: ISSUER });
  assertGroupNames(payload['cognito:groups']);
  return payload as Record<string, unknown>;
}

/** Why a token was refused, for the 401's message (it names no secret). */
export function tokenRejection(error: unknown): string {
  if (error instanceof errors.JWTExpired) {
    const exp =
      typeof error.payload.exp === 'number' ? new Date(error.payload.exp * 1000).toISOString() : 'before now';
    return `The token expired (exp ${exp}); mint a new one (npm start prints fresh tokens)`;
  }
  if (error instanceof errors.JWTClaimValidationFailed && error.claim === 'iss') {
    return `The token's issuer is ${JSON.stringify(error.payload.iss ?? null)}, not ${ISSUER}`;
  }
  if (error instanceof errors.JWSSignatureVerificationFailed) {
    return "The token is not signed with this runtime's LOCAL_AUTH_SECRET (bad signature)";
  }
  if (error instanceof errors.JOSEAlgNotAllowed) return `The token must be signed with ${ALGORITHM}`;
  if (error instanceof GroupNameError) return error.message;
  return 'The token is not a valid JWT';
}
