/**
 * WireGuard key pairs: Curve25519 (X25519) with tweetnacl, base64 as `wg genkey`/`wg pubkey` print
 * them. Randomness comes from tweetnacl's CSPRNG (node:crypto underneath); nothing here does I/O.
 */
import nacl from 'tweetnacl';
import { fromBase64, KEY_BYTES, parseWireGuardKey, toBase64 } from './key-format';

/** Clamps a scalar as `wg genkey` does, so our private keys are byte-identical to wg's form. */
export function clamp(scalar: Uint8Array): Uint8Array {
  const clamped = Uint8Array.from(scalar);
  clamped[0] = (clamped[0] ?? 0) & 248;
  clamped[31] = ((clamped[31] ?? 0) & 127) | 64;
  return clamped;
}

export function generateKeyPair(): { privateKey: string; publicKey: string } {
  const privateKey = clamp(nacl.randomBytes(KEY_BYTES));
  return { privateKey: toBase64(privateKey), publicKey: toBase64(nacl.scalarMult.base(privateKey)) };
}

export function publicKeyFromPrivateKey(privateKey: string): string {
  const scalar = fromBase64(parseWireGuardKey(privateKey, 'privateKey'));
  return toBase64(nacl.scalarMult.base(clamp(scalar)));
}
