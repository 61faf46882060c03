/**
 * Ids the API mints. With an Idempotency-Key they derive from it (and the caller and the target),
 * so a repeated request names the same resource and the same workflow execution, never a second one.
 */
import { randomBytes } from 'node:crypto';
import { DERIVED_HEX_CHARS, derivedHex } from '../derived-hex';

function mintId(prefix: string, derivation: string[] | undefined): string {
  const hex = derivation ? derivedHex(derivation) : randomBytes(DERIVED_HEX_CHARS / 2).toString('hex');
  return `${prefix}${hex}`;
}

export function newGatewayId(callerId: string, idempotencyKey: string | undefined): string {
  return mintId('gw-', idempotencyKey === undefined ? undefined : ['gateway', callerId, idempotencyKey]);
}

/** A road-warrior key pair's own id: fresh for every addition, stable across a retried request. */
export function newKeyId(callerId: string, gatewayId: string, idempotencyKey: string | undefined): string {
  return mintId(
    'k',
    idempotencyKey === undefined ? undefined : ['road-warrior-key', callerId, gatewayId, idempotencyKey],
  );
}

/**
 * The peering a create request makes: derived from the remote gateway too, so a key reused with
 * another body never names an earlier request's peering. `attempt` > 1: a fresh attempt after the
 * earlier ones ended without a peering (app/api/peerings.ts).
 */
export function newPeeringId(
  callerId: string,
  gatewayId: string,
  remoteGatewayId: string,
  idempotencyKey: string | undefined,
  attempt = 1,
): string {
  if (idempotencyKey === undefined) return mintId('pcx-', undefined);
  const attemptPart = attempt === 1 ? [] : [`attempt-${attempt}`];
  return mintId('pcx-', ['peering', callerId, gatewayId, remoteGatewayId, idempotencyKey, ...attemptPart]);
}
