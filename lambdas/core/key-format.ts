/**
 * WireGuard key text: validation of base64 keys and the 32 random bytes of a preshared key. Kept
 * apart from the Curve25519 maths (keys.ts) so modules that only validate or generate preshared keys
 * do not carry tweetnacl in their Lambda bundle.
 */
import { randomBytes } from 'node:crypto';
import { ValidationError } from './errors';

export const KEY_BYTES = 32;
/**
 * 32 bytes are 43 base64 characters plus one '='. The 43rd character carries 4 key bits and 2
 * padding bits that canonical base64 leaves at zero, so only every 4th alphabet letter may stand
 * there. Without this, several spellings would decode to the same key (wg refuses them too).
 */
const CANONICAL_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;
/** As the OpenAPI document states a key (test/api/openapi-shapes.test.ts keeps them equal). */
export const WIREGUARD_KEY_SHAPE = { pattern: CANONICAL_KEY, maxLength: 44 } as const;

export const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
export const fromBase64 = (key: string): Uint8Array => new Uint8Array(Buffer.from(key, 'base64'));

export function isWireGuardKey(value: unknown): value is string {
  return typeof value === 'string' && CANONICAL_KEY.test(value) && fromBase64(value).length === KEY_BYTES;
}

export function parseWireGuardKey(value: unknown, field: string): string {
  if (!isWireGuardKey(value)) {
    throw new ValidationError('must be a WireGuard key: 44 characters of base64 encoding 32 bytes', field);
  }
  return value;
}

/** As `wg genpsk`: 32 bytes from the CSPRNG. */
export function generatePresharedKey(): string {
  return toBase64(randomBytes(KEY_BYTES));
}
