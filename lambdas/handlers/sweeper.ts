/**
 * The sweep (app/sweeper.ts), on an EventBridge schedule: peerings left PROVISIONING or DELETING
 * for longer than STALLED_PEERING_BOUND_SECONDS with no running execution are re-driven (and FAILED
 * ones whose release did not end are released), and the
 * cascades of deleted gateways still pending after PENDING_CASCADE_BOUND_SECONDS run again, as do
 * gateways' peer walks owed as long (an update's event whose retries were spent); each re-drive is
 * logged and audited ("VPC Peering Re-driven", "Gateway Cascade Re-driven", "Gateway Peer Walk
 * Re-driven"). Then the
 * secret deletions a removal recorded and did not finish are retried (app/secret-cleanup.ts), beside
 * the rest. The sweep stops starting work when its invocation's time runs short (SweepBudget).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { Context } from 'aws-lambda';
import { repository } from '../adapters/dynamodb';
import { auditPublisher } from '../adapters/events';
import { configStore } from '../adapters/s3';
import { secretCopiesWithdrawal } from '../adapters/s3/secret-copies-withdrawal';
import { secretStore } from '../adapters/s3/secret-store';
import { workflowEngine } from '../adapters/sfn';
import { commandBus } from '../adapters/ssm';
import { type SweepBudget, sweepAll } from '../app/sweeper';
import { clock } from '../shared/deps';
import { env } from '../shared/env';
import { eventRuleHandler, type RuleEvent } from '../shared/event-handler';

/**
 * The invocation's remaining time; the embedded runtime's context has none (its sweep has no
 * timeout), so there the budget never runs out.
 */
function budgetOf(context: Context): SweepBudget {
  const remaining = context.getRemainingTimeInMillis;
  return {
    remainingMs:
      typeof remaining === 'function' ? () => remaining.call(context) : () => Number.POSITIVE_INFINITY,
    random: Math.random,
  };
}

const bounds = () => ({
  stalledPeeringSeconds: env.stalledPeeringBoundSeconds(),
  pendingCascadeSeconds: env.pendingCascadeBoundSeconds(),
});
// Read per run, and once at cold start: a malformed value fails the init, naming its variable.
bounds();
env.peerFanoutStartsPerSecond();

async function sweep(_event: RuleEvent, log: Logger, context: Context): Promise<void> {
  const { table: swept, secrets } = await sweepAll(
    {
      repository: repository(),
      workflows: workflowEngine(),
      audit: auditPublisher(),
      clock: clock(),
      secrets: secretStore(),
      configStore: configStore(),
      instanceSecrets: secretCopiesWithdrawal(),
      commands: commandBus(),
      peerFanoutStartsPerSecond: env.peerFanoutStartsPerSecond(),
    },
    bounds(),
    budgetOf(context),
  );
  for (const redrive of swept.redriven) log.warn('stalled peering re-driven', { ...redrive });
  for (const release of swept.released) log.warn('failed peering released', { ...release });
  for (const failure of swept.failedRedrives) log.error('stalled peering re-drive failed', { ...failure });
  for (const cascade of swept.cascades) log.warn('pending gateway cascade re-driven', { ...cascade });
  for (const failure of swept.failedCascades)
    log.error('pending gateway cascade failed again', { ...failure });
  for (const walk of swept.walks) log.warn('owed peer walk re-driven', { ...walk });
  for (const failure of swept.failedWalks) log.error('owed peer walk failed again', { ...failure });
  const found = swept.stalled + swept.cascades.length + swept.failedCascades.length;
  if (found + swept.walks.length + swept.failedWalks.length > 0) {
    log.info('sweep done', {
      stalled: swept.stalled,
      redriven: swept.redriven.length,
      released: swept.released.length,
      failedRedrives: swept.failedRedrives.length,
      cascades: swept.cascades.length,
      failedCascades: swept.failedCascades.length,
      walks: swept.walks.length,
      failedWalks: swept.failedWalks.length,
      deferred: swept.deferred,
    });
  }
  // Ids only: a clash names the entry left without an item and the one holding its key.
  for (const clash of swept.peerKeys?.clashes ?? [])
    log.warn('peer entry left without its key item: another entry holds the key', { ...clash });
  if (swept.peerKeys && (swept.peerKeys.written > 0 || swept.peerKeys.marked.length > 0)) {
    const { marked, written, clashes, done } = swept.peerKeys;
    log.info('public-key backfill', { marked: marked.length, written, clashes: clashes.length, done });
  }
  if (swept.deferred > 0)
    log.warn('sweep out of time: the rest waits for the next one', { deferred: swept.deferred });
  if (secrets.deleted + secrets.kept + secrets.failed > 0) log.info('leftover secrets swept', { ...secrets });
}

export const handler = eventRuleHandler('sweep event', sweep);
