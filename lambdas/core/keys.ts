/**
 * WireGuard keys: Curve25519 (X25519) with tweetnacl, base64 as `wg genkey`/`wg pubkey` print them.
 * Randomness comes from tweetnacl's CSPRNG (node:crypto underneath); nothing here does I/O.
 */
import nacl from 'tweetnacl';
import { ValidationError } from './errors';

const KEY_BYTES = 32;
/**
 * 32 bytes are 43 base64 characters plus one '='. The 43rd character carries 4 key bits and 2
 * padding bits that canonical base64 leaves at zero, so only every 4th alphabet letter may stand
 * there. Without this, several spellings would decode to the same key (wg refuses them too).
 */
const CANONICAL_KEY = /^[A-Za-z0-9+/]{42}[AEIMQUYcgkosw048]=$/;

const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
const fromBase64 = (key: string): Uint8Array => new Uint8Array(Buffer.from(key, 'base64'));

/** Clamps a scalar as `wg genkey` does, so our private keys are byte-identical to wg's form. */
function clamp(scalar: Uint8Array): Uint8Array {
  const clamped = Uint8Array.from(scalar);
  clamped[0] = (clamped[0] ?? 0) & 248;
  clamped[31] = ((clamped[31] ?? 0) & 127) | 64;
  return clamped;
}

export function isWireGuardKey(value: unknown): value is string {
  return typeof value === 'string' && CANONICAL_KEY.test(value) && fromBase64(value).length === KEY_BYTES;
}

export function parseWireGuardKey(value: unknown, field: string): string {
  if (!isWireGuardKey(value)) {
    throw new ValidationError('must be a WireGuard key: 44 characters of base64 encoding 32 bytes', field);
  }
  return value;
}

export function generateKeyPair(): { privateKey: string; publicKey: string } {
  const privateKey = clamp(nacl.randomBytes(KEY_BYTES));
  return { privateKey: toBase64(privateKey), publicKey: toBase64(nacl.scalarMult.base(privateKey)) };
}

export function publicKeyFromPrivateKey(privateKey: string): string {
  const scalar = fromBase64(parseWireGuardKey(privateKey, 'privateKey'));
  return toBase64(nacl.scalarMult.base(clamp(scalar)));
}

export function generatePresharedKey(): string {
  return toBase64(nacl.randomBytes(KEY_BYTES));
}
