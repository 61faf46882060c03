/**
 * Peer entries written before the public-key items (public-keys.ts) hold none, so a check could
 * not trust a gateway's items alone. This walk gives them theirs, gateway by gateway (the byEntity
 * index lists the gateways), and marks each gateway whose walk finished (PEER_KEYS_INDEXED): from
 * then on its items are complete and the checks read them, not its peers. A gateway registered
 * since is born marked. A bounded part per sweep, from where the last one stopped (a cursor item);
 * idempotent, so a sweep the Lambda stops, or two at once, only repeat part of it. A container
 * that saw the walk done does not read its cursor again. (docs/DECISIONS.md, "Public-key items for
 * older peer entries".)
 */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { PeerKeyBackfill, PeerKeyClash } from '../../app/ports';
import { TransientError } from '../../core/errors';
import { failedCondition } from './errors';
import { type Key, keys, SK } from './items';
import { TOTAL } from './metered';
import { PEER_KEYS_INDEXED, PUBLIC_KEY_SK, publicKeyKey } from './public-keys';
import { TABLE_SCHEMA } from './schema';
import type { Item, Table } from './table';

export interface PeerKeyBackfillBudget {
  /** Gateways visited plus peer entries read, per call. */
  steps: number;
  /** Peer entries read per Query page (and written, at most, per round). */
  pageItems: number;
  /**
   * The invocation's time left (the sweep's budget): the walk stops, its cursor saved, once less
   * than STOP_RESERVE_MS is left. None: the steps alone bound it.
   */
  remainingMs?: () => number;
}

/** About 2,000 reads and at most as many small transactions, and never past the invocation's time. */
export const SWEEP_BUDGET: PeerKeyBackfillBudget = { steps: 2_000, pageItems: 100 };
/** Left for saving the cursor when the walk stops for time. */
const STOP_RESERVE_MS = 5_000;
const hasTime = (budget: PeerKeyBackfillBudget) =>
  budget.remainingMs === undefined || budget.remainingMs() >= STOP_RESERVE_MS;
/** Key items written at once within a page. */
const WRITES_IN_FLIGHT = 10;

/** Tables whose walk this container saw done. */
const walked = new Set<string>();

const { entityIndex } = TABLE_SCHEMA;

/** Where the walk stands: the last gateway finished (its index keys), and within the next one. */
interface Cursor {
  /** The byEntity keys of the last gateway whose walk finished; none before the first. */
  afterGateway: Item | null;
  /** The gateway being walked, and the sort key of its last entry done. */
  gatewayId: string | null;
  afterEntry: string | null;
}

export async function backfillPeerKeys(
  table: Table,
  budget: PeerKeyBackfillBudget = SWEEP_BUDGET,
): Promise<PeerKeyBackfill> {
  const result: PeerKeyBackfill = { marked: [], written: 0, clashes: [], done: true };
  if (walked.has(table.name)) return result;
  const marker = await table.get(keys.peerKeyBackfill());
  if (marker?.done === true) {
    walked.add(table.name);
    return result;
  }
  let cursor: Cursor = {
    afterGateway: (marker?.afterGateway as Item | undefined) ?? null,
    gatewayId: typeof marker?.gatewayId === 'string' ? marker.gatewayId : null,
    afterEntry: typeof marker?.afterEntry === 'string' ? marker.afterEntry : null,
  };
  let steps = 0;
  let done = false;
  while (steps < budget.steps && hasTime(budget)) {
    const next = await nextGateway(table, cursor.afterGateway);
    if (!next) {
      done = true;
      break;
    }
    const gatewayId = String(next.pk).slice(keys.gatewayPartition('').length);
    steps += 1;
    const gateway = await table.get(keys.gateway(gatewayId));
    if (gateway && gateway[PEER_KEYS_INDEXED] !== true) {
      const after = cursor.gatewayId === gatewayId ? cursor.afterEntry : null;
      const walk = await walkGateway(table, gateway, after, budget, budget.steps - steps, result);
      steps += walk.read;
      if (!walk.finished) {
        cursor = { ...cursor, gatewayId, afterEntry: walk.last };
        break;
      }
      if (await mark(table, gateway)) result.marked.push(gatewayId);
    }
    cursor = { afterGateway: indexKeysOf(next), gatewayId: null, afterEntry: null };
  }
  // The clashes are counted once: with the cursor past the entries that found them.
  await saveCursor(table, cursor, result, done);
  result.done = done;
  if (done) walked.add(table.name);
  return result;
}

/** The gateway after `after` in the byEntity index, undefined past the last. */
async function nextGateway(table: Table, after: Item | null): Promise<Item | undefined> {
  const output = await table.run(() =>
    table.client.send(
      new QueryCommand({
        ...TOTAL,
        TableName: table.name,
        IndexName: entityIndex.name,
        KeyConditionExpression: `${entityIndex.partitionKey} = :entity`,
        ExpressionAttributeValues: { ':entity': keys.entity('gateway') },
        ExclusiveStartKey: after ?? undefined,
        Limit: 1,
      }),
    ),
  );
  return output.Items?.[0];
}

const indexKeysOf = (item: Item): Item => ({
  pk: item.pk,
  sk: item.sk,
  [entityIndex.partitionKey]: item[entityIndex.partitionKey],
  [entityIndex.sortKey]: item[entityIndex.sortKey],
});

/**
 * The gateway's entries after `after`, a page at a time while `room` lasts: the items they lack
 * written. Unless `finished`, entries may remain after `last` (the sort key of the last entry done).
 */
async function walkGateway(
  table: Table,
  gateway: Item,
  after: string | null,
  budget: PeerKeyBackfillBudget,
  room: number,
  result: PeerKeyBackfill,
): Promise<{ read: number; finished: boolean; last: string | null }> {
  const partition = String(gateway.pk);
  let start: Key | undefined = after ? { pk: partition, sk: after } : undefined;
  let read = 0;
  do {
    if (read >= room || !hasTime(budget)) return { read, finished: false, last: start?.sk ?? null };
    const output = await table.run(() =>
      table.client.send(
        new QueryCommand({
          ...TOTAL,
          TableName: table.name,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :peer)',
          ExpressionAttributeValues: { ':pk': partition, ':peer': SK.peer },
          ProjectionExpression: 'pk, sk, #name, publicKey',
          ExpressionAttributeNames: { '#name': 'name' },
          ConsistentRead: true,
          ExclusiveStartKey: start,
          Limit: Math.min(budget.pageItems, Math.max(1, room - read)),
        }),
      ),
    );
    const entries = output.Items ?? [];
    read += entries.length;
    await giveKeyItems(table, gateway, entries, result);
    start = output.LastEvaluatedKey as Key | undefined;
  } while (start);
  return { read, finished: true, last: null };
}

/** The key item of each entry that has none; a key another entry holds is a clash, left as it is. */
async function giveKeyItems(table: Table, gateway: Item, entries: Item[], result: PeerKeyBackfill) {
  const gatewayId = String(gateway.pk).slice(keys.gatewayPartition('').length);
  // Each key once: two entries of a page sharing one (a clash from before the items) would make
  // BatchGetItem refuse the whole request, at the same page every sweep.
  const publicKeys = [...new Set(entries.map((entry) => String(entry.publicKey)))];
  const held = new Map(
    (await table.batchGet(publicKeys.map((publicKey) => publicKeyKey(gatewayId, publicKey)))).map((item) => [
      String(item.sk).slice(PUBLIC_KEY_SK.length),
      String(item.holder),
    ]),
  );
  const missing: Item[] = [];
  for (const entry of entries) {
    const holder = held.get(String(entry.publicKey));
    if (holder === undefined) missing.push(entry);
    else if (holder !== entry.name) result.clashes.push(clash(gatewayId, entry, holder));
  }
  for (let i = 0; i < missing.length; i += WRITES_IN_FLIGHT) {
    await Promise.all(
      missing.slice(i, i + WRITES_IN_FLIGHT).map((entry) => giveKeyItem(table, gateway, entry, result)),
    );
  }
}

/**
 * Claims the entry's key for it, as the transaction that wrote it would have: only while the gateway
 * is the incarnation walked (a deleted one's residue purge must not get items back) and the entry
 * still holds that key (a removed or rekeyed entry must not leave an item behind). A key another
 * entry claimed meanwhile is a clash.
 */
async function giveKeyItem(table: Table, gateway: Item, entry: Item, result: PeerKeyBackfill) {
  const gatewayId = String(gateway.pk).slice(keys.gatewayPartition('').length);
  const publicKey = String(entry.publicKey);
  const reasons = await table.transact([
    table.conditionCheck(keys.gateway(gatewayId), 'createdAt = :createdAt', {
      ':createdAt': gateway.createdAt,
    }),
    table.conditionCheck({ pk: String(entry.pk), sk: String(entry.sk) }, 'publicKey = :publicKey', {
      ':publicKey': publicKey,
    }),
    table.putItem(
      { ...publicKeyKey(gatewayId, publicKey), entity: 'publicKey', holder: String(entry.name) },
      'attribute_not_exists(pk)',
    ),
  ]);
  if (!reasons) {
    result.written += 1;
    return;
  }
  // Cancelled for another reason than a condition (a concurrent write of the gateway item, a
  // throttle): nothing was written, so the walk stops here, before its gateway could be marked
  // with this entry still lacking its item; the next part repeats it.
  const other = reasons.find((reason) => reason.Code && reason.Code !== 'None' && !failedCondition(reason));
  if (other) {
    throw new TransientError(`The key item of peer ${String(entry.name)} was not written: ${other.Code}`);
  }
  // The gateway registered again, or the entry removed or rekeyed: its own writes keep its items.
  if (!failedCondition(reasons[2])) return;
  const holder = (await table.get(publicKeyKey(gatewayId, publicKey)))?.holder;
  if (holder !== undefined && holder !== entry.name) {
    result.clashes.push(clash(gatewayId, entry, String(holder)));
  }
}

/** Ids only: which entry, and which entry holds its key (never the key). */
const clash = (gatewayId: string, entry: Item, holder: string): PeerKeyClash => ({
  gatewayId,
  peerName: String(entry.name),
  holder,
});

/** The gateway's items are complete; only the incarnation walked, and only while it exists. */
async function mark(table: Table, gateway: Item): Promise<boolean> {
  const updated = await table.updateIfMatches({
    Key: { pk: String(gateway.pk), sk: SK.meta },
    UpdateExpression: 'SET #indexed = :true',
    ConditionExpression: 'createdAt = :createdAt',
    ExpressionAttributeNames: { '#indexed': PEER_KEYS_INDEXED },
    ExpressionAttributeValues: { ':true': true, ':createdAt': gateway.createdAt },
    ReturnValues: 'UPDATED_NEW',
  });
  return updated !== undefined;
}

/**
 * Unconditional, as the sweep-index walk's: of two sweeps at once the later write wins, and an
 * earlier cursor only repeats part of an idempotent walk (its clashes then counted again).
 */
async function saveCursor(table: Table, cursor: Cursor, result: PeerKeyBackfill, done: boolean) {
  await table.update({
    Key: keys.peerKeyBackfill(),
    UpdateExpression:
      'SET #entity = :config, #done = :done, #afterGateway = :afterGateway, #gatewayId = :gatewayId, #afterEntry = :afterEntry ADD #clashes :clashes',
    ExpressionAttributeNames: Object.fromEntries(
      ['entity', 'done', 'afterGateway', 'gatewayId', 'afterEntry', 'clashes'].map((name) => [
        `#${name}`,
        name,
      ]),
    ),
    ExpressionAttributeValues: {
      ':config': 'config',
      ':done': done,
      ':afterGateway': cursor.afterGateway,
      ':gatewayId': cursor.gatewayId,
      ':afterEntry': cursor.afterEntry,
      ':clashes': result.clashes.length,
    },
  });
}
