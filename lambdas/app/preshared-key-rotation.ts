/**
 * A move rotates the moved gateway's preshared keys (docs/DECISIONS.md, "A move rotates the moved
 * gateway's preshared keys"; docs/SECURITY.md): the instance it left may be compromised and keep
 * every key it read, so each of its peerings gets a new key under a new name, which only the new
 * instance and the peer gateway receive. Run from the peer walk of a move (gateway-peer-walk.ts),
 * whose mark (`unfinishedMove`) a redelivery or the sweep resumes from: the same move always gives
 * the same names, so a resumed move rotates nothing twice.
 */
import { generatePresharedKey } from '../core/key-format';
import { peeringIdOfPeerName } from '../core/schemas';
import type { GatewayRecord, PeerRecord, UnfinishedMove } from '../core/types';
import { derivedHex } from './derived-hex';
import type { Dependencies } from './ports';
import { deleteRecordedSecret, recordSecretCleanup } from './secret-cleanup';

export type RotationDeps = Pick<Dependencies, 'repository' | 'secrets' | 'clock'>;

/** The rotation id of a move (its gateway and the generation it retired the old instance through). */
export const moveRotation = (gatewayId: string, move: UnfinishedMove): string =>
  derivedHex(['psk', gatewayId, String(move.retiredThrough)]);

/**
 * Gives the peering behind `peer` (an entry of the moved gateway `gateway`) the key named by
 * `rotation` on both its entries, and returns the peer gateway's generation holding it (its push
 * starts there); undefined when the peering or either gateway is gone (nothing brought back).
 * - The new name is written before the entries name it. Until they do nothing names it (only this
 *   move's run gives it, under the gateway's update lease), so a value found there (a run that
 *   stopped before its switch, or this name switched away by a later move of the peer gateway) is
 *   replaced, never reused: a key some instance may have read is never given again.
 * - The name replaced is deleted once neither entry names it (one transaction switches both). It is
 *   recorded first as a cleanup (secret-cleanup.ts), so a run that stops in between leaves it to the
 *   sweep, which keeps it only if an entry still names it.
 */
export async function rotatePresharedKey(
  d: RotationDeps,
  gateway: Pick<GatewayRecord, 'id' | 'createdAt'>,
  peer: PeerRecord & { remoteGatewayId: string },
  rotation: string,
): Promise<number | undefined> {
  const peeringId = peeringIdOfPeerName(peer.name);
  if (peeringId === undefined) return undefined;
  const to = d.secrets.names.presharedKey(peeringId, rotation);
  const from = peer.presharedKeyParam;
  const cleanup =
    from === null || from === to ? undefined : await recordSecretCleanup(d, gateway.id, peer.name, from);
  if (from !== to) {
    await d.secrets.delete(to);
    await d.secrets.putIfAbsent(to, generatePresharedKey());
  }
  const switched = await d.repository.switchPresharedKey(
    gateway.id,
    gateway.createdAt,
    peer.remoteGatewayId,
    peer.name,
    to,
  );
  if (switched === undefined) {
    // Deleted meanwhile: its release deletes its folder, perhaps before the write above.
    await d.secrets.delete(to);
    if (cleanup) await deleteRecordedSecret(d, cleanup);
    return undefined;
  }
  if (cleanup) await deleteRecordedSecret(d, cleanup);
  // Another name than the one listed (a move of the peer gateway switched it since): no cleanup
  // names it, so it is deleted here alone.
  for (const name of switched.replaced) if (name !== from) await d.secrets.delete(name);
  return switched.remoteGeneration;
}
