/**
 * The sweep (app/sweeper.ts), on an EventBridge schedule: peerings left PROVISIONING or DELETING
 * for longer than STALLED_PEERING_BOUND_SECONDS with no running execution are re-driven; each
 * re-drive is logged and audited ("VPC Peering Re-driven"). Then the secret deletions a removal
 * recorded and did not finish are retried (app/secret-cleanup.ts).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { documentClient, repository } from '../adapters/dynamodb';
import { listStalledPeerings } from '../adapters/dynamodb/stalled-peerings';
import { auditPublisher } from '../adapters/events';
import { secretStore } from '../adapters/s3/secret-store';
import { workflowEngine } from '../adapters/sfn';
import { cleanLeftoverSecrets } from '../app/secret-cleanup';
import { redriveStalledPeerings } from '../app/sweeper';
import { clock } from '../shared/deps';
import { env } from '../shared/env';
import { eventRuleHandler, type RuleEvent } from '../shared/event-handler';

async function sweep(_event: RuleEvent, log: Logger): Promise<void> {
  const now = clock()();
  const before = new Date(now.getTime() - env.stalledPeeringBoundSeconds() * 1000).toISOString();
  const stalled = await listStalledPeerings(documentClient(), env.tableName(), before);
  const redriven = await redriveStalledPeerings(
    { workflows: workflowEngine(), audit: auditPublisher(), clock: clock() },
    stalled,
  );
  for (const redrive of redriven) log.warn('stalled peering re-driven', { ...redrive });
  if (stalled.length > 0) log.info('sweep done', { stalled: stalled.length, redriven: redriven.length });
  const secrets = await cleanLeftoverSecrets({
    repository: repository(),
    secrets: secretStore(),
    clock: clock(),
  });
  if (secrets.deleted + secrets.kept + secrets.failed > 0) log.info('leftover secrets swept', { ...secrets });
}

export const handler = eventRuleHandler('sweep event', sweep);
