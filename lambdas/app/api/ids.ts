/**
 * Ids the API mints. With an Idempotency-Key they derive from its IdDerivation (and the caller and
 * the target), so a repeated request names the same resource and the same workflow execution,
 * never a second one.
 */
import { randomBytes } from 'node:crypto';
import { DERIVED_HEX_CHARS, derivedHex } from '../derived-hex';

const randomHex = (): string => randomBytes(DERIVED_HEX_CHARS / 2).toString('hex');

/**
 * What a keyed request's ids derive from: its Idempotency-Key and the nonce its idempotency record
 * got when the key was first claimed. A retry while the record lives names the same resources; the
 * same key once the record expired (24 h) names new ones, never an earlier request's gateway or a
 * revoked road-warrior's key pair (docs/DECISIONS.md, "Derived ids live no longer than their
 * Idempotency-Key").
 */
export interface IdDerivation {
  key: string;
  /** Absent when the record predates nonces (derivationParts). */
  nonce?: string;
}

/** A new idempotency record's nonce: 16 hex characters. */
export const newIdNonce = randomHex;

function derivationParts({ key, nonce }: IdDerivation): string[] {
  // A record written before nonces has none: its ids derive from the key alone, as they did when
  // it was claimed, so a request in flight across the deploy still names the same resources. A key
  // has no newline (visible ASCII), so the two forms never join to the same text.
  return nonce === undefined ? [key] : [key, nonce];
}

function mintId(prefix: string, derivation: string[] | undefined): string {
  return `${prefix}${derivation ? derivedHex(derivation) : randomHex()}`;
}

export function newGatewayId(callerId: string, derivation: IdDerivation | undefined): string {
  return mintId('gw-', derivation && ['gateway', callerId, ...derivationParts(derivation)]);
}

/** A road-warrior key pair's own id: fresh for every addition, stable across a retried request. */
export function newKeyId(callerId: string, gatewayId: string, derivation: IdDerivation | undefined): string {
  return mintId('k', derivation && ['road-warrior-key', callerId, gatewayId, ...derivationParts(derivation)]);
}

/**
 * The peering a create request makes: derived from the remote gateway too, so a key reused with
 * another body never names an earlier request's peering. `attempt` > 1: a fresh attempt after the
 * earlier ones ended without a peering (app/api/peerings.ts); `attempt-<n>` is never a nonce.
 */
export function newPeeringId(
  callerId: string,
  gatewayId: string,
  remoteGatewayId: string,
  derivation: IdDerivation | undefined,
  attempt = 1,
): string {
  if (derivation === undefined) return mintId('pcx-', undefined);
  const attemptPart = attempt === 1 ? [] : [`attempt-${attempt}`];
  return mintId('pcx-', [
    'peering',
    callerId,
    gatewayId,
    remoteGatewayId,
    ...derivationParts(derivation),
    ...attemptPart,
  ]);
}
