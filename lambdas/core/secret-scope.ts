/**
 * Which secrets a gateway's instance may receive (docs/SECURITY.md): its own private key and the
 * preshared keys of its own peerings, nothing else. The instance-side script applies the same rule
 * to every document it is handed (gateway/apply-config.sh, "own_secret").
 */
import { ValidationError } from './errors';
import type { GatewayDesiredState } from './render';
import { PEERING_PEER_PREFIX } from './schemas';

/** `/<prefix>/…` with a one-segment prefix (SECRET_PREFIX, `/vpc-peering` by default). */
const PREFIX = '/[A-Za-z0-9_.-]+';

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** True when `name` is `<prefix>/gateways/<gatewayId>/private-key`. */
export function isGatewayKeyName(name: string, gatewayId: string): boolean {
  return new RegExp(`^${PREFIX}/gateways/${escapeRegExp(gatewayId)}/private-key$`).test(name);
}

/**
 * A rotated preshared key's suffix: `-` and 16 lowercase hex characters (app/derived-hex.ts, the
 * rotation id of a move: app/preshared-key-rotation.ts). Same rule in gateway/jq/render.jq and
 * gateway/lib/checks.sh (own_psk).
 */
const ROTATION_SUFFIX = '(-[0-9a-f]{16})?';

/**
 * True when `name` is `<prefix>/peerings/<peeringId>/psk` or `…/psk-<rotation>` of the peering
 * behind peer entry `peerName`.
 */
export function isPeeringKeyName(name: string, peerName: string): boolean {
  if (!peerName.startsWith(PEERING_PEER_PREFIX)) return false;
  const peeringId = peerName.slice(PEERING_PEER_PREFIX.length);
  return new RegExp(`^${PREFIX}/peerings/${escapeRegExp(peeringId)}/psk${ROTATION_SUFFIX}$`).test(name);
}

/**
 * The secret names a rendered state needs on its instance, each checked to belong to that gateway.
 * A name that does not belong is a control-plane bug, never delivered: ValidationError.
 */
export function instanceSecretNames(state: GatewayDesiredState): string[] {
  const names: string[] = [];
  const own = state.interface.privateKeyParam;
  if (own !== null) {
    if (!isGatewayKeyName(own, state.gatewayId)) {
      throw new ValidationError('is not this gateway own key', 'interface.privateKeyParam');
    }
    names.push(own);
  }
  for (const peer of state.peers) {
    if (peer.presharedKeyParam === null) continue;
    if (!isPeeringKeyName(peer.presharedKeyParam, peer.name)) {
      throw new ValidationError(`is not the key of peering peer ${peer.name}`, 'peer.presharedKeyParam');
    }
    names.push(peer.presharedKeyParam);
  }
  return names;
}

/**
 * The secret names a published document (core/render.ts `serialiseState`) hands its instance;
 * undefined when the text is not the document of that gateway at that generation. Names only, not
 * checked for ownership: a push uses them to leave out copies, never to deliver.
 */
export function documentSecretNames(
  document: string,
  gatewayId: string,
  generation: number,
): string[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    return undefined;
  }
  const state = parsed as Partial<Record<keyof GatewayDesiredState, unknown>> | null;
  if (typeof state !== 'object' || state === null) return undefined;
  if (state.gatewayId !== gatewayId || state.generation !== generation || !Array.isArray(state.peers)) {
    return undefined;
  }
  const own = (state.interface as { privateKeyParam?: unknown } | undefined)?.privateKeyParam;
  const names = typeof own === 'string' ? [own] : [];
  for (const peer of state.peers as unknown[]) {
    const name = (peer as { presharedKeyParam?: unknown } | null)?.presharedKeyParam;
    if (typeof name === 'string') names.push(name);
  }
  return names;
}
