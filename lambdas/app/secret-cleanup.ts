/**
 * Road-warrior keys that nothing may hold any more (docs/DECISIONS.md, "Hardening", Revocation): a
 * revoked peer's, and one generated for an add that failed; and a peering's preshared key a move
 * replaced (docs/DECISIONS.md, "A move rotates the moved gateway's preshared keys"). Each is
 * recorded before the step that could leave it behind (the removal; the key's creation; the
 * switch), so a delete that fails, or never runs because the request died, is done by the sweep.
 * A failed delete never blocks the push. Logs carry secret names only, never values.
 */
import type { PeerRecord } from '../core/types';
import { logger } from '../shared/logger';
import type { Dependencies, SecretCleanup } from './ports';

type CleanupDeps = Pick<Dependencies, 'repository' | 'secrets' | 'clock'>;

/** Longer than any API request runs: an older cleanup's removal is done, or will never happen. */
export const CLEANUP_GRACE_MS = 15 * 60_000;

/** How many recorded cleanups one sweep handles; the rest wait for the next one. */
export const CLEANUPS_PER_SWEEP = 100;

/** Records that `secretName` is to be deleted unless peer `peerName` holds it. */
export async function recordSecretCleanup(
  d: CleanupDeps,
  gatewayId: string,
  peerName: string,
  secretName: string,
): Promise<SecretCleanup> {
  const cleanup = { secretName, gatewayId, peerName, recordedAt: d.clock().toISOString() };
  await d.repository.recordSecretCleanup(cleanup);
  return cleanup;
}

/**
 * The cleanup of a road-warrior add's generated key, recorded before the key is stored and cleared
 * once the peer holds it. Stamped with the peer's own createdAt, so that a rerun of the add which
 * finds the peer its first run committed clears the very record that run made (app/api/peers.ts).
 */
export function addedKeyCleanup(
  peer: Pick<PeerRecord, 'gatewayId' | 'name' | 'createdAt'>,
  secretName: string,
): SecretCleanup {
  return { secretName, gatewayId: peer.gatewayId, peerName: peer.name, recordedAt: peer.createdAt };
}

/** Deletes the secret and its record; a failure is logged and leaves the record for the sweep. */
export async function deleteRecordedSecret(d: CleanupDeps, cleanup: SecretCleanup): Promise<boolean> {
  try {
    await d.secrets.delete(cleanup.secretName);
    await d.repository.clearSecretCleanup(cleanup);
    return true;
  } catch (error) {
    logger.warn('Secret of a removed road-warrior left for cleanup', {
      gatewayId: cleanup.gatewayId,
      peerName: cleanup.peerName,
      secretName: cleanup.secretName,
      errorName: error instanceof Error ? error.name : typeof error,
    });
    return false;
  }
}

export interface CleanupSweep {
  deleted: number;
  /** Recorded, but the peer holds the secret: its removal never happened, or its add did. */
  kept: number;
  failed: number;
}

/**
 * The sweep's part: the oldest cleanups past the grace. A peer entry that holds the secret means
 * its removal never happened (the request died first) or its add committed (its clear did not
 * run), so the secret stays and only the record goes.
 */
export async function cleanLeftoverSecrets(d: CleanupDeps): Promise<CleanupSweep> {
  const before = new Date(d.clock().getTime() - CLEANUP_GRACE_MS).toISOString();
  const result: CleanupSweep = { deleted: 0, kept: 0, failed: 0 };
  for (const cleanup of await d.repository.listSecretCleanups(before, CLEANUPS_PER_SWEEP)) {
    const peer = await d.repository.getPeer(cleanup.gatewayId, cleanup.peerName);
    // A move's replaced preshared key (preshared-key-rotation.ts) is recorded under the moved
    // gateway's entry: still named there, its switch never happened.
    if (peer?.privateKeyParam === cleanup.secretName || peer?.presharedKeyParam === cleanup.secretName) {
      await d.repository.clearSecretCleanup(cleanup);
      result.kept += 1;
    } else if (await deleteRecordedSecret(d, cleanup)) {
      logger.info('Leftover road-warrior secret deleted', {
        gatewayId: cleanup.gatewayId,
        peerName: cleanup.peerName,
        secretName: cleanup.secretName,
        recordedAt: cleanup.recordedAt,
      });
      result.deleted += 1;
    } else {
      // A second failure, past the grace: the revoked key is still readable in the secret store.
      // ERROR, so the sweep's alarm pages when it persists (README "Alarms", `SweepErrorsPersist`).
      logger.error('Leftover road-warrior secret not deleted: the next sweep tries again', {
        gatewayId: cleanup.gatewayId,
        peerName: cleanup.peerName,
        secretName: cleanup.secretName,
        recordedAt: cleanup.recordedAt,
      });
      result.failed += 1;
    }
  }
  return result;
}
