/**
 * Ids the API mints. With an Idempotency-Key they derive from it (and the caller and the target),
 * so a repeated request names the same resource and the same workflow execution, never a second one.
 */
import { createHash, randomBytes } from 'node:crypto';

const ID_HEX_CHARS = 16;

function derivedHex(parts: string[]): string {
  return createHash('sha256').update(parts.join('\n')).digest('hex').slice(0, ID_HEX_CHARS);
}

function mintId(prefix: string, derivation: string[] | undefined): string {
  const hex = derivation ? derivedHex(derivation) : randomBytes(ID_HEX_CHARS / 2).toString('hex');
  return `${prefix}${hex}`;
}

export function newGatewayId(callerId: string, idempotencyKey: string | undefined): string {
  return mintId('gw-', idempotencyKey === undefined ? undefined : ['gateway', callerId, idempotencyKey]);
}

export function newPeeringId(
  callerId: string,
  gatewayId: string,
  idempotencyKey: string | undefined,
): string {
  return mintId(
    'pcx-',
    idempotencyKey === undefined ? undefined : ['peering', callerId, gatewayId, idempotencyKey],
  );
}
