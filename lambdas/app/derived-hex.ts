/** Stable short names derived from their parts: the same parts always give the same name. */
import { createHash } from 'node:crypto';

export const DERIVED_HEX_CHARS = 16;

/** The first 16 hex characters of the SHA-256 of `parts`, joined by newlines. */
export function derivedHex(parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, DERIVED_HEX_CHARS);
}
