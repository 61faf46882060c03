/**
 * Gateway status (docs/CONTRACT.md#status) comes from two kinds of report:
 * - every push records the generation its instance applied (one small item, whatever the peers),
 *   and only a push does: that is what activation reads;
 * - the live peer list (handshakes, bytes) comes with full applies and with the periodic report
 *   every gateway instance is asked for (a schedule on AWS, a timer in the embedded runtime), since
 *   a delta apply lists no peers: its cost must follow the change (docs/DECISIONS.md, "Status reports").
 * The periodic report also repairs drift: an instance still behind a generation the previous
 * report already found pending gets a new push.
 */
import { InvocationNotReadyError, ItemTooLargeError, TransientError } from '../core/errors';
import { boundedStatusReport, parseInstanceReport, reportTime } from '../core/status';
import type {
  AppliedGeneration,
  GatewayRecord,
  GatewayStatusReport,
  InstanceReport,
  PeerRuntimeStatus,
} from '../core/types';
import { logger } from '../shared/logger';
import type { Dependencies } from './ports';
import { type PushRun, startDriftRepair } from './push-runs';

type ReportDeps = Pick<Dependencies, 'repository' | 'configStore' | 'clock'>;

/**
 * How long after its last write a state document may still be fetched by a push in flight. The
 * push step writes it and sends the command within its 45 s (statemachine/*.asl.json); SSM starts
 * the command within its delivery timeout (600 s, adapters/ssm) or never; the script fetches the
 * document before it finds a push stale (gateway/lib/checks.sh `locate_document`), inside the
 * command's execution timeout (300 s, lib/constructs/gateway-command-document.ts, the wait for the
 * state lock included). 945 s in all, whether or not the workflow is still polling (its 60 polls
 * end sooner); an hour leaves room for clocks and for those bounds to grow.
 */
export const DOCUMENT_IN_FLIGHT_MS = 60 * 60_000;

/** How long a push's last poll waits for its prune; a slower one goes on unawaited. */
export const PRUNE_BUDGET_MS = 2_000;

/**
 * Stores a push's report: the generation its instance applied (`APPLIED`, what activation reads;
 * stamped with the instance and incarnation the push went to, what a later push's delivery trusts:
 * app/push.ts), and its peers when it listed them. Only a push's report may say what was applied:
 * its output lies under its instance's own ARN, which no other instance may write
 * (docs/SECURITY.md, "Reports"). Then prunes the documents below that generation (pruneDocuments).
 */
export async function recordPushReport(
  d: ReportDeps,
  report: InstanceReport,
  appliedBy: Pick<AppliedGeneration, 'instanceId' | 'gatewayCreatedAt' | 'deliveredAt'>,
): Promise<void> {
  const handledAt = d.clock();
  const { gatewayId, appliedGeneration, peers } = report;
  await d.repository.recordApplied({
    gatewayId,
    appliedGeneration,
    appliedAt: handledAt.toISOString(),
    ...appliedBy,
  });
  if (peers) await d.repository.putStatusReport(liveReport(report, peers, handledAt));
  await pruneDocuments(d, gatewayId, appliedGeneration);
}

/**
 * Deletes the gateway's documents below the generation its instance applied that are older than
 * any push in flight (DOCUMENT_IN_FLIGHT_MS): the applied one (the status route reads it), those
 * above it (pushes not applied yet) and any young one stay. Best effort: a failure is logged and
 * the next push's prune finds what this one left; the push waits PRUNE_BUDGET_MS at most.
 */
async function pruneDocuments(
  d: Pick<ReportDeps, 'configStore' | 'clock'>,
  gatewayId: string,
  appliedGeneration: number,
): Promise<void> {
  const writtenBefore = new Date(d.clock().getTime() - DOCUMENT_IN_FLIGHT_MS);
  // Aborted at the budget: a prune still listing then deletes nothing, rather than send its
  // deletions from a frozen Lambda at its next thaw.
  const stop = new AbortController();
  // Started inside a promise: even a store that throws before its first await only logs.
  const pruned = Promise.resolve()
    .then(() => d.configStore.pruneBelow(gatewayId, appliedGeneration, writtenBefore, stop.signal))
    .then(
      (deleted) => {
        if (deleted > 0)
          logger.info('State documents pruned', { gatewayId, below: appliedGeneration, deleted });
      },
      (error: unknown) =>
        logger.warn('State documents not pruned: the next push prunes them', {
          gatewayId,
          below: appliedGeneration,
          errorName: error instanceof Error ? error.name : typeof error,
          errorMessage: error instanceof Error ? error.message : String(error),
        }),
    );
  let budget: NodeJS.Timeout | undefined;
  const outlasted = new Promise<void>((resolve) => {
    budget = setTimeout(() => {
      stop.abort();
      logger.warn('Pruning state documents outlasted its budget: not awaited', { gatewayId });
      resolve();
    }, PRUNE_BUDGET_MS);
  });
  await Promise.race([pruned, outlasted]);
  clearTimeout(budget);
}

/**
 * The live peer list as stored (bounded), made when the instance says it was (`now`, bounded by
 * `handledAt`: reportTime), with the generation the instance had yet to apply
 * (`pendingGeneration`) when one is given.
 */
function liveReport(
  { gatewayId, appliedGeneration, mode, now }: InstanceReport,
  peers: PeerRuntimeStatus[],
  handledAt: Date,
  pendingGeneration?: number,
): GatewayStatusReport {
  const reportedAt = reportTime(now, handledAt);
  return boundedStatusReport({
    gatewayId,
    appliedGeneration,
    mode,
    peers,
    reportedAt,
    receivedAt: handledAt.toISOString(),
    ...(now === undefined ? {} : { instanceNow: now }),
    ...(pendingGeneration === undefined ? {} : { pendingGeneration }),
  });
}

/** Asks every gateway instance for its live report; each answer arrives as its own notification. */
export async function requestStatusReports(d: Pick<Dependencies, 'commands'>): Promise<string> {
  return d.commands.requestReports();
}

export type StoredReport =
  | { stored: true; gatewayId: string; repair?: PushRun }
  | {
      stored: false;
      reason: 'not-succeeded' | 'no-report' | 'unknown-gateway' | 'wrong-instance' | 'ahead-of-desired';
    }
  | { stored: false; reason: 'too-large' | 'superseded'; gatewayId: string }
  | { stored: false; reason: 'unavailable'; errorName: string; errorMessage: string };

/**
 * Failures that say "not now" (throttling, an invocation SSM has not registered yet): retrying the
 * event would park it in the dead-letter queue, whose alarm means "left for a human", for a report
 * the next period replaces anyway.
 */
const saysNotNow = (error: unknown): error is TransientError | InvocationNotReadyError =>
  error instanceof TransientError || error instanceof InvocationNotReadyError;

/**
 * Stores the report of one finished report invocation. The report names its gateway, and is
 * stored only if that gateway is served by the instance that sent it (an instance can never write
 * another gateway's status) and claims no generation above the desired one. It updates the live
 * peer list only, never the applied generation (recordPushReport), and replaces the stored one
 * when it is not older, whatever its generation: an instance that went back to an older
 * generation says so, and gets repaired (docs/DECISIONS.md, "Status reports in the instance's
 * order and clock"); an older one changes nothing (`superseded`). Anything else is
 * dropped (the next period brings a new report), and so is a report met by a TransientError or an
 * InvocationNotReadyError (`unavailable`), or one the table refuses as too large (`too-large`:
 * parseInstanceReport keeps 1,000 peers within an item, so only a defect gets there, and the
 * dead-letter queue's alarm would ask for more concurrency, the wrong fix); other errors are thrown.
 *
 * Drift: when the previous report already found the instance behind generation g and this one
 * still finds it below g, g has been pending for a whole period, far longer than any push takes
 * (a push that failed, an instance that was down or restored an older document, or one rebooted
 * whose restore did not complete: its report says 0, gateway/lib/report.sh), so a push of the
 * gateway's current state starts. A generation that only this report finds pending is left to the
 * push that is most likely running for it.
 *
 * Restored skew: a claim above the desired generation is honest after a point-in-time restore of
 * the table, which took desiredGeneration back while the instance kept what it applied. It is
 * taken only when the control plane's own document of that generation still exists (healRestored);
 * otherwise the report is dropped (`ahead-of-desired`).
 */
export async function storeStatusReport(
  d: StoreDeps,
  invocation: { commandId: string; instanceId: string },
): Promise<StoredReport> {
  try {
    return await storeReport(d, invocation);
  } catch (error) {
    // Also when only the repair push could not start: the report is stored then, and the next one
    // finds the gateway still behind and starts it.
    if (!saysNotNow(error)) throw error;
    return { stored: false, reason: 'unavailable', errorName: error.name, errorMessage: error.message };
  }
}

type StoreDeps = Pick<Dependencies, 'repository' | 'configStore' | 'commands' | 'clock' | 'workflows'>;

/**
 * A gateway whose serving instance reports `claimed`, above its desired generation. Only a restore
 * of the table explains that honestly (README "Restoring the table"): the instance kept what it
 * applied, the table went back. The config bucket is not restored, and only the control plane
 * writes a document there (docs/SECURITY.md, "Who can do what"), so the document of `claimed`
 * proves the control plane once desired it: desiredGeneration goes to `claimed` + 1 and
 * healedThrough to `claimed` (one conditional write over the gateway as read), and a push of the
 * gateway's current state starts, which every push below `claimed` would otherwise fail; they
 * still fail, since the instance's `claimed` need not hold their change (app/push.ts
 * plausiblyApplied). No
 * document: a claim the control plane never made, dropped as before. The gateway as raised, or
 * undefined when the claim stands unproven or the gateway changed since the read (the next report
 * reads again).
 */
async function healRestored(
  d: StoreDeps,
  gateway: GatewayRecord,
  claimed: number,
  round: string,
): Promise<{ gateway: GatewayRecord; push: PushRun } | undefined> {
  if ((await d.configStore.get(gateway.id, claimed)) === undefined) return undefined;
  const raised = claimed + 1;
  if (!(await d.repository.raiseGeneration(gateway, raised))) return undefined;
  logger.warn('Gateway instance ahead of a restored table: desired generation raised above it', {
    gatewayId: gateway.id,
    instanceId: gateway.instanceId,
    desiredGeneration: gateway.desiredGeneration,
    reportedGeneration: claimed,
    raisedTo: raised,
  });
  const push = await startDriftRepair(d, gateway.id, raised, round);
  return { gateway: { ...gateway, desiredGeneration: raised }, push };
}

async function storeReport(
  d: StoreDeps,
  invocation: { commandId: string; instanceId: string },
): Promise<StoredReport> {
  const { status, output } = await d.commands.get(invocation.commandId, invocation.instanceId);
  if (status !== 'Success') return { stored: false, reason: 'not-succeeded' };
  const report = parseInstanceReport(output);
  if (!report?.peers) return { stored: false, reason: 'no-report' };
  const read = await d.repository.getGateway(report.gatewayId);
  if (!read) return { stored: false, reason: 'unknown-gateway' };
  if (read.instanceId !== invocation.instanceId) return { stored: false, reason: 'wrong-instance' };
  // No instance applies a generation the control plane never desired: a claim above it would
  // stand for good, since the stores keep the highest generation (docs/SECURITY.md, "Reports"),
  // unless the control plane's document of it proves a restored table (healRestored).
  const healed =
    report.appliedGeneration > read.desiredGeneration
      ? await healRestored(d, read, report.appliedGeneration, invocation.commandId)
      : undefined;
  if (report.appliedGeneration > read.desiredGeneration && !healed)
    return { stored: false, reason: 'ahead-of-desired' };
  const gateway = healed?.gateway ?? read;
  const behind = report.appliedGeneration < gateway.desiredGeneration;
  // Only a gateway behind now can still be behind what the previous report found pending (a
  // pending generation is never above the desired one), so one in sync reads nothing more.
  const stalled = behind ? (await d.repository.getStatusReport(gateway.id))?.pendingGeneration : undefined;
  // The live peers only, never `APPLIED`: this output may come from the report prefix every
  // instance may write (docs/SECURITY.md), and activation must not pass on another's word.
  let stored: boolean;
  try {
    stored = await d.repository.putPeriodicReport(
      liveReport(report, report.peers, d.clock(), behind ? gateway.desiredGeneration : undefined),
    );
  } catch (error) {
    if (error instanceof ItemTooLargeError)
      return { stored: false, reason: 'too-large', gatewayId: gateway.id };
    throw error;
  }
  // A report made before the stored one (it waited longer in the queue) says nothing newer.
  if (!stored) return { stored: false, reason: 'superseded', gatewayId: gateway.id };
  if (healed) return { stored: true, gatewayId: gateway.id, repair: healed.push };
  if (gateway.status !== 'ACTIVE' || stalled === undefined || report.appliedGeneration >= stalled) {
    return { stored: true, gatewayId: gateway.id };
  }
  const repair = await startDriftRepair(d, gateway.id, stalled, invocation.commandId);
  return { stored: true, gatewayId: gateway.id, repair };
}
