/**
 * The sweep's part for gateway updates (app/sweeper.ts): a peer walk an update left owed, and a
 * move whose end it left owed (both marked by peerWalkOwedSince: docs/DECISIONS.md, "One update of
 * a gateway at a time" and "A move's end is owed on the gateway item"), finished past the bound
 * under the gateway's update lease (finishOwedWalk).
 */
import { GatewayGoneError } from '../core/errors';
import type { GatewayRecord } from '../core/types';
import { logger } from '../shared/logger';
import { finishOwedWalk, type UpdateDeps } from './gateway-lifecycle';
import type { Dependencies } from './ports';
import type { CascadeFailure } from './sweeper';

type WalkSweepDeps = UpdateDeps & Pick<Dependencies, 'audit'>;

export interface WalkRedrive {
  gatewayId: string;
  ownerId: string;
  owedSince: string;
  /** The push-gateway executions started or joined: the peer gateways' and the gateway's own. */
  pushes: number;
  /** The instance of a move finished with the walk (retired, its lock released). */
  movedOffInstance?: string;
}

/** Failures the next sweep may not meet: a throttle, or an update of the gateway running. */
const PASSING_FAILURES = new Set(['TransientError', 'GatewayUpdateInProgressError']);

/** Bounds of how long a walk that failed otherwise waits: about its age, so the waits double. */
const WALK_RETRY_MIN_MS = 30 * 60_000;
const WALK_RETRY_MAX_MS = 24 * 60 * 60_000;

/**
 * Finishes a gateway's peer walk that an update left owed (finishOwedWalk: under the gateway's
 * update lease, idempotent), audited as the other re-drives; a gateway deleted meanwhile has
 * nothing owed. One that fails keeps no other item from running and stays owed: for the next sweep
 * when the failure passes by itself, otherwise (a peer refusing the change for good, as a key
 * clash) deferred by about the walk's age, so a walk that cannot finish does not rewrite a hub's
 * every peer at every sweep.
 */
export async function redriveWalk(
  d: WalkSweepDeps,
  owed: GatewayRecord,
  result: { walks: WalkRedrive[]; failedWalks: CascadeFailure[] },
): Promise<void> {
  const owedSince = String(owed.peerWalkOwedSince);
  try {
    const update = await finishOwedWalk(d, owed.id);
    if (update === undefined) return;
    const move = owed.unfinishedMove;
    const redrive: WalkRedrive = {
      gatewayId: owed.id,
      ownerId: owed.ownerId,
      owedSince,
      pushes: update.pushes.length,
      ...(move === undefined ? {} : { movedOffInstance: move.instanceId }),
    };
    result.walks.push(redrive);
    await d.audit.publish('Gateway Peer Walk Re-driven', { ...redrive });
  } catch (error) {
    if (error instanceof GatewayGoneError) return;
    const { name, message } = error as Error;
    result.failedWalks.push({ gatewayId: owed.id, errorName: name, errorMessage: message });
    if (!PASSING_FAILURES.has(name)) await deferWalk(d, owed.id, owedSince);
  }
}

/** The mark begins with the time it was written (changeMark). */
async function deferWalk(d: WalkSweepDeps, gatewayId: string, owedSince: string): Promise<void> {
  const now = d.clock().getTime();
  const age = now - Date.parse(owedSince.split('#')[0] ?? owedSince);
  const wait = Math.min(Math.max(age, WALK_RETRY_MIN_MS), WALK_RETRY_MAX_MS);
  // Best effort: a walk not deferred is only tried again sooner.
  await d.repository
    .deferPeerWalk(gatewayId, owedSince, new Date(now + wait).toISOString())
    .catch((error: unknown) => logger.warn('owed walk not deferred', { gatewayId, error: String(error) }));
}
