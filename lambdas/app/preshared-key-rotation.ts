/**
 * A move rotates the moved gateway's preshared keys (docs/DECISIONS.md, "A move rotates the moved
 * gateway's preshared keys"; docs/SECURITY.md): the instance it left may be compromised and keep
 * every key it read, so each of its peerings gets a new key under a new name, which only the new
 * instance and the peer gateway receive. Run from the peer walk of a move (gateway-peer-walk.ts),
 * whose mark (`unfinishedMove`) a redelivery or the sweep resumes from: the same move has the same
 * rotation id, recorded on the entries it rotated, so a resumed move rotates nothing twice.
 */
import { randomBytes } from 'node:crypto';
import { generatePresharedKey } from '../core/key-format';
import { peeringIdOfPeerName } from '../core/schemas';
import type { GatewayRecord, PeerRecord, UnfinishedMove } from '../core/types';
import { derivedHex } from './derived-hex';
import type { Dependencies, PresharedKeySwitch } from './ports';
import { deleteRecordedSecret, recordSecretCleanup } from './secret-cleanup';

export type RotationDeps = Pick<Dependencies, 'repository' | 'secrets' | 'clock'>;

/**
 * The random part of a new move's mark (UnfinishedMove.rotation). Not derived from the generation:
 * a restore of the table takes generations back, and a move replayed over it would give the name
 * an earlier move already gave, with another value (review s20f).
 */
export const newMoveRotation = (): string => randomBytes(8).toString('hex');

/**
 * The rotation id of a move: its gateway, the generation it retired the old instance through and
 * its mark's random part (a mark written before that part existed has none).
 */
export const moveRotation = (gatewayId: string, move: UnfinishedMove): string =>
  derivedHex(['psk', gatewayId, String(move.retiredThrough), ...(move.rotation ? [move.rotation] : [])]);

/**
 * The leaf of the name a rotation gives in place of `from`: another name replaced (the peering
 * rotated by the peer gateway's move in between) gives another new name, so no name is given twice
 * (docs/DECISIONS.md, "A rotated preshared key's name is never given twice").
 */
export const rotatedKeyLeaf = (rotation: string, from: string): string => derivedHex(['psk', rotation, from]);

/**
 * Gives the peering behind `peer` (an entry of the moved gateway `gateway`, as listed) a new key on
 * both its entries, recording `rotation` there, and returns the peer gateway's generation holding
 * it (its push starts there) and whether this call switched them: `generation` (the one already
 * holding the walk's other change), not switched, when there is nothing to rotate; undefined when
 * the peering or either gateway is gone (nothing brought back).
 * - Entries that carry `rotation` were rotated by this move already (a redelivery, or the sweep's
 *   resume): nothing is rotated twice.
 * - The new name, derived from `rotation` and the name it replaces, is written before the entries
 *   name it. Until they do nothing names it, so a value found there is a stopped run's, never
 *   given: it is replaced. Entries that no longer hold the name listed were rotated since by a move
 *   of the peer gateway (after this move's registry write, so never towards the old instance): they
 *   are left, and the new key deleted.
 * - The name replaced is deleted once neither entry names it (one transaction switches both). It is
 *   recorded first as a cleanup (secret-cleanup.ts), so a run that stops in between leaves it to the
 *   sweep, which keeps it only if an entry still names it.
 */
export async function rotatePresharedKey(
  d: RotationDeps,
  gateway: Pick<GatewayRecord, 'id' | 'createdAt'>,
  peer: PeerRecord & { remoteGatewayId: string },
  rotation: string,
  generation: number,
): Promise<Pick<PresharedKeySwitch, 'remoteGeneration' | 'switched'> | undefined> {
  const peeringId = peeringIdOfPeerName(peer.name);
  const from = peer.presharedKeyParam;
  if (peeringId === undefined || from === null || peer.presharedKeyRotation === rotation) {
    return { remoteGeneration: generation, switched: false };
  }
  const to = d.secrets.names.presharedKey(peeringId, rotatedKeyLeaf(rotation, from));
  const cleanup = await recordSecretCleanup(d, gateway.id, peer.name, from);
  await d.secrets.delete(to);
  await d.secrets.putIfAbsent(to, generatePresharedKey());
  const change = { from, to, rotation };
  const { id, createdAt } = gateway;
  const outcome = await d.repository.switchPresharedKey(
    id,
    createdAt,
    peer.remoteGatewayId,
    peer.name,
    change,
  );
  // Not switched (the peering deleted meanwhile, whose release deletes its folder, perhaps before
  // the write above; or rotated since): no instance was given the new key.
  if (outcome?.held !== to) await d.secrets.delete(to);
  if (outcome?.held !== from) await deleteRecordedSecret(d, cleanup);
  return outcome;
}
