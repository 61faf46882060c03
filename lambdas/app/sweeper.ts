/**
 * No transitional state lasts forever: a peering left PROVISIONING or DELETING with no running
 * execution past a bound (an aborted execution, a compensation that failed, a crash of the
 * embedded runtime) is re-driven. Every step is idempotent, so a re-drive converges:
 * - DELETING: delete-peering again;
 * - PROVISIONING: create-peering again with the same input (Allocate finds the peering written,
 *   the pushes and Activate finish it, or Compensate releases everything and marks it FAILED);
 * - FAILED whose release did not end (its retries spent): the release again (releaseInto).
 * Nor does a deleted gateway's cascade stay pending: one the stream gave up on (its retries spent,
 * the record parked in the dead-letter queue, which keeps only its position) runs again here, past
 * its own bound, from what the tombstone kept (RemovedGateway). Nor a gateway's peer walk or move
 * that an update left owed (peerWalkOwedSince: its event's retries spent), past the same bound
 * (sweep-walks.ts).
 * A sweep has its invocation's time and no more (SweepBudget): it starts the next item only with
 * time left, at a random place in the list, so work that outlasts one sweep never starves the rest.
 * With time left after them, it walks a bounded part of the public-key backfill (older peer entries'
 * key items, docs/DECISIONS.md "Public-key items for older peer entries").
 */
import type { GatewayRecord, Peering } from '../core/types';
import { logger } from '../shared/logger';
import { type CascadeDeps, cascadeGatewayRemoval, type InstanceTeardown } from './gateway-cascade';
import { releasePeering } from './peering-teardown';
import type { Dependencies, PeerKeyBackfill, RemovedGateway, WorkflowName } from './ports';
import { type CleanupSweep, cleanLeftoverSecrets } from './secret-cleanup';
import { redriveWalk, type WalkRedrive } from './sweep-walks';
import { createPeeringInput } from './workflow-runs';

export interface Redrive {
  peeringId: string;
  /** The peering's owner: audit events are routed per tenant (docs/CONTRACT.md#events). */
  ownerId: string;
  status: Peering['status'];
  workflow: WorkflowName;
  executionId: string;
}

type SweepDeps = Pick<Dependencies, 'workflows' | 'audit' | 'clock' | 'repository'>;

/** The execution a peering in this state belongs to, by its stable name (docs/ARCHITECTURE.md). */
function namedRun(peering: Peering): { workflow: WorkflowName; name: string; input: object } {
  if (peering.status === 'DELETING') {
    return { workflow: 'delete-peering', name: `delete-${peering.id}`, input: { peeringId: peering.id } };
  }
  const [gatewayId = '', remoteGatewayId = ''] = peering.gatewayIds;
  return {
    workflow: 'create-peering',
    name: peering.id,
    input: createPeeringInput(peering.id, peering.ownerId, gatewayId, remoteGatewayId),
  };
}

/**
 * The name of the execution that re-drives `peering` now, or undefined when one is running. One
 * that never started is started under its name. After that, each attempt is `<name>-sweep-<now>`,
 * recorded on the peering (`lastRedrive`) before it starts, by a write conditional on the one read:
 * while the last recorded attempt runs, none is started; of two sweeps at once, one records and
 * starts its attempt, the other stops; a sweep that recorded an attempt and failed before starting
 * it leaves it for the next one, which starts it under that name (a name that exists is joined).
 */
async function redriveName(d: SweepDeps, peering: Peering): Promise<string | undefined> {
  const run = namedRun(peering);
  const first = await d.workflows.find(run.workflow, run.name);
  if (!first) return run.name;
  if (first.status === 'RUNNING') return undefined;
  // Only an attempt of this state's workflow (a DELETING peering may keep its create's record).
  const last = peering.lastRedrive?.startsWith(`${run.name}-sweep-`) ? peering.lastRedrive : undefined;
  if (last !== undefined) {
    const attempt = await d.workflows.find(run.workflow, last);
    if (!attempt) return last;
    if (attempt.status === 'RUNNING') return undefined;
  }
  const next = `${run.name}-sweep-${d.clock().getTime()}`;
  const recorded = await d.repository.recordRedrive(peering.id, {
    status: peering.status,
    previous: peering.lastRedrive,
    next,
  });
  return recorded ? next : undefined;
}

/** A re-drive that failed (finding, recording or starting the execution, or its audit event). */
export interface RedriveFailure {
  peeringId: string;
  errorName: string;
  errorMessage: string;
}

/**
 * Re-drives each stalled peering (redriveInto). Used where there is no budget to keep to (tests of
 * the naming); a sweep goes through sweepTable.
 */
export async function redriveStalledPeerings(
  d: SweepDeps,
  stalled: readonly Peering[],
): Promise<Pick<SweepResult, 'redriven' | 'failedRedrives'>> {
  const result: Pick<SweepResult, 'redriven' | 'failedRedrives'> = { redriven: [], failedRedrives: [] };
  for (const peering of stalled) await redriveInto(d, peering, result);
  return result;
}

const redriveFailure = (peering: Peering, error: unknown): RedriveFailure => {
  const { name, message } = error as Error;
  return { peeringId: peering.id, errorName: name, errorMessage: message };
};

/**
 * Re-drives a stalled peering whose executions are not running (redriveName); the re-drive is
 * audited and added to `result` for the caller's log. One that fails is added to its failures and
 * does not keep the other peerings, nor the rest of the sweep, from running.
 */
async function redriveInto(
  d: SweepDeps,
  peering: Peering,
  result: Pick<SweepResult, 'redriven' | 'failedRedrives'>,
): Promise<void> {
  try {
    const run = namedRun(peering);
    const name = await redriveName(d, peering);
    if (name === undefined) return;
    const { executionId } = await d.workflows.start(run.workflow, name, run.input);
    const redrive = {
      peeringId: peering.id,
      ownerId: peering.ownerId,
      status: peering.status,
      workflow: run.workflow,
      executionId,
    };
    result.redriven.push(redrive);
    await d.audit.publish('VPC Peering Re-driven', { ...redrive });
  } catch (error) {
    result.failedRedrives.push(redriveFailure(peering, error));
  }
}

/**
 * Whether a run of the peering's create is open (its first, or the sweep's last attempt): its
 * compensation may still be releasing, and a release is the run's to finish.
 */
async function createRunOpen(d: SweepDeps, peering: Peering): Promise<boolean> {
  const attempt = peering.lastRedrive?.startsWith(`${peering.id}-sweep-`) ? peering.lastRedrive : undefined;
  for (const name of [peering.id, attempt]) {
    if (name === undefined) continue;
    if ((await d.workflows.find('create-peering', name))?.status === 'RUNNING') return true;
  }
  return false;
}

/**
 * A FAILED peering still in the sweep's work: its create run's Release ran out of retries (a table
 * throttled for minutes), so it holds its addresses, its pair and its preshared key. The release
 * is idempotent and runs here to its end (releasePeering, which then takes the peering out of the
 * sweep's work), audited as a re-drive; one that fails again stays for the next sweep.
 */
async function releaseInto(
  d: TableSweepDeps,
  peering: Peering,
  result: Pick<SweepResult, 'released' | 'failedRedrives'>,
): Promise<void> {
  try {
    if (await createRunOpen(d, peering)) return;
    await releasePeering(d, { peeringId: peering.id, deleteRecord: false });
    const release: ReleaseRedrive = { peeringId: peering.id, ownerId: peering.ownerId, step: 'Release' };
    result.released.push(release);
    await d.audit.publish('VPC Peering Re-driven', { ...release, status: peering.status });
  } catch (error) {
    result.failedRedrives.push(redriveFailure(peering, error));
  }
}

/** How long each kind of work may wait before the sweep takes it over. */
export interface SweepBounds {
  /** A peering PROVISIONING or DELETING since its last change (STALLED_PEERING_BOUND_SECONDS). */
  stalledPeeringSeconds: number;
  /**
   * A deleted gateway's cascade pending since the delete (PENDING_CASCADE_BOUND_SECONDS): longer
   * than the stream retries its record, so the sweep takes over only what the stream gave up on.
   * Also a gateway's peer walk owed since its update (longer than Lambda retries the event).
   */
  pendingCascadeSeconds: number;
}

export interface CascadeRedrive {
  gatewayId: string;
  instanceId: string;
  generation: number;
  teardown: InstanceTeardown;
}

/** A cascade the sweep ran and that failed again: left pending, the next sweep runs it again. */
export interface CascadeFailure {
  gatewayId: string;
  errorName: string;
  errorMessage: string;
}

/** A FAILED peering whose release the sweep ran to its end (releaseInto). */
export interface ReleaseRedrive {
  peeringId: string;
  ownerId: string;
  /** The step run again (audited as "VPC Peering Re-driven", as a workflow's re-drive). */
  step: 'Release';
}

export interface SweepResult {
  redriven: Redrive[];
  /** FAILED peerings still holding what their release did not free, released now. */
  released: ReleaseRedrive[];
  failedRedrives: RedriveFailure[];
  stalled: number;
  cascades: CascadeRedrive[];
  failedCascades: CascadeFailure[];
  /** Owed peer walks finished (finishOwedWalk), and those that failed again (left owed). */
  walks: WalkRedrive[];
  failedWalks: CascadeFailure[];
  /** Items found but not started: the sweep's time ran out (SweepBudget); the next sweep has them. */
  deferred: number;
  /** This sweep's part of the public-key backfill; none when no time was left for it. */
  peerKeys?: PeerKeyBackfill;
}

/**
 * What one sweep may spend. On Lambda, its invocation's remaining time (the context's
 * getRemainingTimeInMillis): the sweeper has 60 s (lib ROLE_TIMEOUTS.event) for work with no bound.
 */
export interface SweepBudget {
  remainingMs(): number;
  /** In [0, 1): where in the list of work this sweep starts. */
  random(): number;
}

/**
 * An item is started only with this much of the invocation left. A re-drive takes well under a
 * second; a cascade may take longer and then ends with the invocation (it is idempotent, stays
 * pending, and the next sweep starts elsewhere in the list).
 */
export const SWEEP_RESERVE_MS = 10_000;

type TableSweepDeps = SweepDeps & CascadeDeps;

type SweepItem = { peering: Peering } | { removed: RemovedGateway } | { owed: GatewayRecord };

/**
 * One sweep of the table: what findSweepWork finds past its bound, in one read, is re-driven,
 * stalled peerings and pending cascades in one list, from a random place in it and while time is
 * left: an item that takes too long, or one the list's order always puts last, is not behind the
 * same items every run.
 */
export async function sweepTable(
  d: TableSweepDeps,
  bounds: SweepBounds,
  budget: SweepBudget,
): Promise<SweepResult> {
  const now = d.clock().getTime();
  const before = (seconds: number) => new Date(now - seconds * 1000).toISOString();
  const work = await d.repository.findSweepWork({
    stalledBefore: before(bounds.stalledPeeringSeconds),
    cascadeBefore: before(bounds.pendingCascadeSeconds),
    walkBefore: before(bounds.pendingCascadeSeconds),
  });
  const items: SweepItem[] = [
    ...work.stalledPeerings.map((peering) => ({ peering })),
    ...work.pendingCascades.map((removed) => ({ removed })),
    ...work.owedWalks.map((owed) => ({ owed })),
  ];
  const result: SweepResult = {
    redriven: [],
    released: [],
    failedRedrives: [],
    stalled: work.stalledPeerings.length,
    cascades: [],
    failedCascades: [],
    walks: [],
    failedWalks: [],
    deferred: 0,
  };
  const first = Math.floor(budget.random() * items.length);
  const rotated = [...items.slice(first), ...items.slice(0, first)];
  for (const [index, item] of rotated.entries()) {
    if (budget.remainingMs() < SWEEP_RESERVE_MS) {
      result.deferred = rotated.length - index;
      break;
    }
    if ('peering' in item && item.peering.status === 'FAILED') await releaseInto(d, item.peering, result);
    else if ('peering' in item) await redriveInto(d, item.peering, result);
    else if ('removed' in item) await redriveCascade(d, item.removed, result);
    else await redriveWalk(d, item.owed, result);
  }
  // Older peer entries' key items, a bounded part (a few seconds), with the time the re-drives left.
  // Its failure (a throttled walk) fails none of the sweep's work: the next sweep resumes it.
  if (budget.remainingMs() >= SWEEP_RESERVE_MS) {
    try {
      result.peerKeys = await d.repository.backfillPeerKeys(() => budget.remainingMs());
    } catch (error) {
      logger.warn('Public-key backfill not advanced: the next sweep resumes it', {
        errorName: error instanceof Error ? error.name : typeof error,
        errorMessage: error instanceof Error ? error.message : String(error),
      });
    }
  }
  return result;
}

/**
 * Runs a pending cascade again (cascadeGatewayRemoval is idempotent: it runs again on stream
 * retries already, and a stream delivery running beside it is harmless). One that ran is audited;
 * one that fails, or whose audit event cannot be published, is returned for the log (a cascade
 * that failed stays pending, so the next sweep tries again) and does not keep the others from
 * running, as a peering's re-drive (redriveInto).
 */
async function redriveCascade(
  d: TableSweepDeps,
  removed: RemovedGateway,
  result: Pick<SweepResult, 'cascades' | 'failedCascades'>,
): Promise<void> {
  try {
    const teardown: InstanceTeardown = await cascadeGatewayRemoval(d, removed);
    const redrive = {
      gatewayId: removed.id,
      instanceId: removed.instanceId,
      generation: removed.desiredGeneration,
      teardown,
    };
    result.cascades.push(redrive);
    await d.audit.publish('Gateway Cascade Re-driven', { ...redrive });
  } catch (error) {
    const { name, message } = error as Error;
    result.failedCascades.push({ gatewayId: removed.id, errorName: name, errorMessage: message });
  }
}

/**
 * The whole sweep: the table's (sweepTable) and the leftover secrets' (cleanLeftoverSecrets), side
 * by side. The cleanup is bounded (CLEANUPS_PER_SWEEP), so it ends early in the invocation however
 * long the table's work runs, and neither failing keeps the other from running: the first error is
 * thrown once both ended.
 */
export async function sweepAll(
  d: TableSweepDeps,
  bounds: SweepBounds,
  budget: SweepBudget,
): Promise<{ table: SweepResult; secrets: CleanupSweep }> {
  const [table, secrets] = await Promise.allSettled([sweepTable(d, bounds, budget), cleanLeftoverSecrets(d)]);
  if (table.status === 'rejected') throw table.reason;
  if (secrets.status === 'rejected') throw secrets.reason;
  return { table: table.value, secrets: secrets.value };
}
