/**
 * Batches DynamoDB answers in part (UnprocessedItems, UnprocessedKeys): the rest is sent again after
 * an exponential back-off with jitter, and only a round that got nothing done counts against the
 * few attempts a failure gets (lambdas/adapters/dynamodb/retry.ts). A fake client stands in for
 * DynamoDB, which cannot be made to answer in part.
 */
import type { BatchGetCommand, BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Key } from '../../../lambdas/adapters/dynamodb/items';
import { Table } from '../../../lambdas/adapters/dynamodb/table';

const TABLE = 'peering';

/** Keys `k0`..`k<count - 1>` of one partition. */
const keysOf = (count: number): Key[] =>
  Array.from({ length: count }, (_, i) => ({ pk: 'GW#hub', sk: `PEER#k${i}` }) as Key);

/**
 * A client that answers each batch request with the first `done[round]` of its items processed and
 * the rest unprocessed (all processed once `done` runs out), recording how many items each carried.
 */
function partialClient(done: readonly number[]) {
  const sent: number[] = [];
  const client = {
    send: async (command: BatchWriteCommand | BatchGetCommand) => {
      const input = command.input.RequestItems?.[TABLE];
      const items: unknown[] = Array.isArray(input) ? input : ((input as { Keys: unknown[] }).Keys ?? []);
      const processed = done[sent.length] ?? items.length;
      sent.push(items.length);
      const rest = items.slice(processed);
      if (Array.isArray(input)) return { UnprocessedItems: rest.length > 0 ? { [TABLE]: rest } : {} };
      return {
        Responses: { [TABLE]: items.slice(0, processed) },
        UnprocessedKeys: rest.length > 0 ? { [TABLE]: { Keys: rest } } : {},
      };
    },
  };
  return { client: client as unknown as DynamoDBDocumentClient, sent };
}

function tableWith(done: readonly number[]) {
  const { client, sent } = partialClient(done);
  const pauses: number[] = [];
  const table = new Table(client, TABLE, { random: () => 0.5, sleep: async (ms) => pauses.push(ms) });
  return { table, sent, pauses };
}

describe('batches DynamoDB answers in part', () => {
  it('deletes a batch that comes back in part five times, backing off exponentially with the injected jitter', async () => {
    // Prepare: 25 deletes, of which each round gets only 4 done (a busy partition).
    const { table, sent, pauses } = tableWith([4, 4, 4, 4, 4]);

    // Act
    await table.batchDelete(keysOf(25));

    // Assess: every unprocessed item sent again until none is left; 10, 20, 40, 80, 160 ms, halved.
    expect(sent).toEqual([25, 21, 17, 13, 9, 5]);
    expect(pauses).toEqual([5, 10, 20, 40, 80]);
  });

  it('reads keys that come back in part many times, each round getting some done', async () => {
    // Prepare
    const { table, sent } = tableWith([1, 1, 1, 1, 1]);

    // Act
    const items = await table.batchGet(keysOf(6));

    // Assess
    expect(items).toHaveLength(6);
    expect(sent).toEqual([6, 5, 4, 3, 2, 1]);
  });

  it('counts only the rounds that got nothing done against the few attempts a failure gets', async () => {
    // Prepare: two empty rounds (throttled) between rounds that made progress, then three empty ones.
    const finishing = tableWith([0, 4, 0, 4]);
    const stuck = tableWith([0, 4, 0, 0, 0]);

    // Act
    await finishing.table.batchDelete(keysOf(10));
    const outcome = stuck.table.batchDelete(keysOf(10));

    // Assess
    expect(finishing.sent).toEqual([10, 10, 6, 6, 2]);
    await expect(outcome).rejects.toMatchObject({
      name: 'TransientError',
      message: 'batchDelete: gave up after 4 attempts',
    });
    expect(stuck.sent).toEqual([10, 10, 6, 6]);
  });
});
