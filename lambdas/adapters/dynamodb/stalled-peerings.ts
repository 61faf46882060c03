/**
 * The sweep's input: peerings still PROVISIONING or DELETING whose last change is older than a
 * time. A paged Scan with a filter, run by the schedule only (never by a request); its cost grows
 * with the table (docs/DECISIONS.md, "No transitional state lasts forever").
 */
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { Peering } from '../../core/types';
import { SK, toPeering } from './items';

export async function listStalledPeerings(
  client: DynamoDBDocumentClient,
  tableName: string,
  updatedBefore: string,
): Promise<Peering[]> {
  const stalled: Peering[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression:
          '#entity = :peering AND sk = :meta AND #status IN (:provisioning, :deleting) AND updatedAt < :before',
        ExpressionAttributeNames: { '#entity': 'entity', '#status': 'status' },
        ExpressionAttributeValues: {
          ':peering': 'peering',
          ':meta': SK.meta,
          ':provisioning': 'PROVISIONING',
          ':deleting': 'DELETING',
          ':before': updatedBefore,
        },
        ExclusiveStartKey: start,
      }),
    );
    stalled.push(...(page.Items ?? []).map(toPeering));
    start = page.LastEvaluatedKey;
  } while (start);
  return stalled;
}
