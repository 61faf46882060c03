/**
 * The sweep's input (app/sweeper.ts): peerings still PROVISIONING or DELETING whose last change is
 * older than one time, and tombstones whose cascade is still pending since before another. One
 * paged Scan with a filter for both, run by the schedule only (never by a request): its cost grows
 * with the table, and the tombstones add nothing to it, since a Scan is billed by what it reads
 * (docs/DECISIONS.md, "The sweep scans").
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { RemovedGateway, SweepStore, SweepWork } from '../../app/ports';
import { keys, SK, toPeering } from './items';
import { TOTAL } from './metered';
import type { Item, Table } from './table';

const TOMBSTONE_PREFIX = keys.tombstone('').pk;

/**
 * A tombstone written before it kept what the cascade needs (no instanceId) cannot be cascaded
 * again: the filter leaves it out.
 */
const FILTER = [
  '(#entity = :peering AND sk = :meta AND #status IN (:provisioning, :deleting) AND updatedAt < :stalledBefore)',
  '(#entity = :tombstone AND cascadePending = :pending AND deletedAt < :cascadeBefore AND attribute_exists(instanceId))',
].join(' OR ');

/** Items read per Scan request: a few hundred KB at most; read units as for 1 MB pages, give or take one per page. */
const SCAN_PAGE_ITEMS = 250;

export async function findSweepWork(
  table: Table,
  bounds: Parameters<SweepStore['findSweepWork']>[0],
): Promise<SweepWork> {
  const work: SweepWork = { stalledPeerings: [], pendingCascades: [] };
  let start: Record<string, unknown> | undefined;
  do {
    // Through table.run, as every call of the adapter: a throttled page is a TransientError.
    const page = await table.run(() =>
      table.client.send(
        new ScanCommand({
          ...TOTAL,
          TableName: table.name,
          FilterExpression: FILTER,
          ExpressionAttributeNames: { '#entity': 'entity', '#status': 'status' },
          ExpressionAttributeValues: {
            ':peering': 'peering',
            ':meta': SK.meta,
            ':provisioning': 'PROVISIONING',
            ':deleting': 'DELETING',
            ':stalledBefore': bounds.stalledBefore,
            ':tombstone': 'tombstone',
            ':pending': true,
            ':cascadeBefore': bounds.cascadeBefore,
          },
          ExclusiveStartKey: start,
          // Pages of at most SCAN_PAGE_ITEMS read: one page answers well inside the SDK's request
          // timeout (adapters/sdk-client.ts), where a 1 MB page might not on a busy table.
          Limit: SCAN_PAGE_ITEMS,
        }),
      ),
    );
    for (const item of page.Items ?? []) {
      if (item.entity === 'peering') work.stalledPeerings.push(toPeering(item));
      else work.pendingCascades.push(toRemovedGateway(item));
    }
    start = page.LastEvaluatedKey;
  } while (start);
  return work;
}

/** What the tombstone kept of the deleted gateway (DynamoGatewayStore.deleteGateway). */
function toRemovedGateway(item: Item): RemovedGateway {
  return {
    id: String(item.pk).slice(TOMBSTONE_PREFIX.length),
    instanceId: String(item.instanceId),
    desiredGeneration: Number(item.lastGeneration),
    privateKeyParam: typeof item.privateKeyParam === 'string' ? item.privateKeyParam : null,
  };
}
