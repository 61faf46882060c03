/**
 * Secrets left by a removal (a revoked road-warrior's private key; docs/DECISIONS.md, "Hardening",
 * Revocation): each deletion is recorded before the removal, so one that fails, or never runs
 * because the request died, is retried by the sweep. A failed delete never blocks the push. Logs
 * carry secret names only, never values.
 */
import { logger } from '../shared/logger';
import type { Dependencies, SecretCleanup } from './ports';

type CleanupDeps = Pick<Dependencies, 'repository' | 'secrets' | 'clock'>;

/** Longer than any API request runs: an older cleanup's removal is done, or will never happen. */
export const CLEANUP_GRACE_MS = 15 * 60_000;

/** How many recorded cleanups one sweep handles; the rest wait for the next one. */
export const CLEANUPS_PER_SWEEP = 100;

/** Records that `secretName` of peer `peerName` is to be deleted once the peer is removed. */
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
  /** Recorded, but the peer still holds the secret: its removal never happened. */
  kept: number;
  failed: number;
}

/**
 * The sweep's part: the oldest cleanups past the grace. A peer entry that still holds the secret
 * means its removal never happened (the request died first), so the secret stays and only the
 * record goes.
 */
export async function cleanLeftoverSecrets(d: CleanupDeps): Promise<CleanupSweep> {
  const before = new Date(d.clock().getTime() - CLEANUP_GRACE_MS).toISOString();
  const result: CleanupSweep = { deleted: 0, kept: 0, failed: 0 };
  for (const cleanup of await d.repository.listSecretCleanups(before, CLEANUPS_PER_SWEEP)) {
    const peer = await d.repository.getPeer(cleanup.gatewayId, cleanup.peerName);
    if (peer?.privateKeyParam === cleanup.secretName) {
      await d.repository.clearSecretCleanup(cleanup);
      result.kept += 1;
    } else if (await deleteRecordedSecret(d, cleanup)) {
      logger.info('Leftover secret of a removed road-warrior deleted', {
        gatewayId: cleanup.gatewayId,
        peerName: cleanup.peerName,
        secretName: cleanup.secretName,
        recordedAt: cleanup.recordedAt,
      });
      result.deleted += 1;
    } else {
      result.failed += 1;
    }
  }
  return result;
}
