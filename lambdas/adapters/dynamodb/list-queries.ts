/**
 * Keyset-paged reads (docs/ARCHITECTURE.md "Lists"). Every list walks an index or a partition in
 * sort-key order from the last position examined, so an item present for a whole walk is returned
 * exactly once, whatever is added or removed meanwhile, and no request reads more than a page:
 * - gateways and peerings of one owner: the byOwner index; of everyone (admins): the sparse byEntity
 *   index. Both project keys only, so a page is one Query plus one BatchGetItem;
 * - a gateway's peers: its own partition (`PEER#<name>`), items read directly.
 * A filter (status) is applied to the items read; a page then holds fewer than `limit` items, and
 * a walk reads at most MAX_INDEX_READS index pages per request before it answers with a token.
 */
import { type DynamoDBDocumentClient, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { type KeysetPage, MAX_INDEX_READS } from '../../shared/sealed-tokens';
import { type Key, keys, SK } from './items';
import { type Metered, TOTAL } from './metered';
import { TABLE_SCHEMA } from './schema';

type Item = Record<string, unknown>;

export interface KeysetRequest {
  limit: number;
  after?: string;
}

/** An index range: gateways or peerings, of one owner or of everyone. */
export interface IndexedList {
  index: 'byOwner' | 'byEntity';
  partition: string;
  /** Sort-key prefix; the position is the rest of the sort key (the item's id). */
  sortKeyPrefix: string;
  /** The table key of the item with that id. */
  tableKey: (id: string) => Key;
  /** The owner a byOwner range lists; items read with another owner are left out. */
  ownerId?: string;
}

export interface ListQueriesDeps {
  client: DynamoDBDocumentClient;
  tableName: string;
  run: <T extends Metered>(call: () => Promise<T>) => Promise<T>;
  /** Items by key, strongly consistent, in no particular order; absent ones skipped. */
  batchGet: (itemKeys: Key[]) => Promise<Item[]>;
}

export const gatewayList = (ownerId: string | undefined): IndexedList =>
  ownerId === undefined
    ? {
        index: 'byEntity',
        partition: keys.entity('gateway'),
        sortKeyPrefix: keys.ownedGatewaySk(''),
        tableKey: keys.gateway,
      }
    : {
        index: 'byOwner',
        partition: keys.owner(ownerId),
        sortKeyPrefix: keys.ownedGatewaySk(''),
        tableKey: keys.gateway,
        ownerId,
      };

export const peeringList = (ownerId: string | undefined): IndexedList =>
  ownerId === undefined
    ? {
        index: 'byEntity',
        partition: keys.entity('peering'),
        sortKeyPrefix: keys.ownedPeeringSk(''),
        tableKey: keys.peering,
      }
    : {
        index: 'byOwner',
        partition: keys.owner(ownerId),
        sortKeyPrefix: keys.ownedPeeringSk(''),
        tableKey: keys.peering,
        ownerId,
      };

/**
 * The index is eventually consistent, the item read fresh: an id deleted and registered again by
 * another owner may still be listed under the first one, who must not see the new owner's item.
 */
const ownedAsListed = (list: IndexedList, item: Item): boolean =>
  list.ownerId === undefined || item.ownerId === list.ownerId;

const INDEX_ATTRIBUTES = {
  byOwner: TABLE_SCHEMA.ownerIndex,
  byEntity: TABLE_SCHEMA.entityIndex,
} as const;

export class ListQueries {
  constructor(private readonly d: ListQueriesDeps) {}

  /**
   * Up to `limit` items of the index range that `accept` keeps (and, in a byOwner range, that the
   * owner still holds), in sort-key order, from `after`.
   * Reads one index page of `limit + 1` keys (the extra one tells whether more follow) and the
   * items it names; when a filter left the page short, reads on, at most MAX_INDEX_READS pages.
   */
  async pageIndexed(
    list: IndexedList,
    request: KeysetRequest,
    accept: (item: Item) => boolean,
  ): Promise<KeysetPage<Item>> {
    const items: Item[] = [];
    let after = request.after;
    for (let read = 1; ; read++) {
      const wanted = request.limit - items.length;
      const ids = await this.indexIds(list, after, wanted + 1);
      const examined = ids.slice(0, wanted);
      const byId = new Map(
        (await this.d.batchGet(examined.map(list.tableKey))).map((item) => [String(item.id), item] as const),
      );
      for (const id of examined) {
        const item = byId.get(id);
        if (item && ownedAsListed(list, item) && accept(item)) items.push(item);
      }
      after = examined.at(-1) ?? after;
      const more = ids.length > wanted;
      if (!more) return { items };
      if (items.length >= request.limit || read >= MAX_INDEX_READS) return { items, after };
    }
  }

  /** A gateway's peer entries in name order, `limit` at most, after the peer named `after`. */
  async pagePeers(gatewayId: string, request: KeysetRequest): Promise<KeysetPage<Item>> {
    const partition = keys.gatewayPartition(gatewayId);
    const output = await this.d.run(() =>
      this.d.client.send(
        new QueryCommand({
          ...TOTAL,
          TableName: this.d.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': partition, ':prefix': SK.peer },
          ExclusiveStartKey: request.after === undefined ? undefined : keys.peer(gatewayId, request.after),
          Limit: request.limit + 1,
          ConsistentRead: true,
        } satisfies QueryCommandInput),
      ),
    );
    const found = output.Items ?? [];
    const items = found.slice(0, request.limit);
    const last = items.at(-1);
    return found.length > request.limit && last ? { items, after: String(last.name) } : { items };
  }

  /** Ids of the next `count` entries of an index range after `after`. */
  private async indexIds(list: IndexedList, after: string | undefined, count: number): Promise<string[]> {
    const index = INDEX_ATTRIBUTES[list.index];
    const output = await this.d.run(() =>
      this.d.client.send(
        new QueryCommand({
          ...TOTAL,
          TableName: this.d.tableName,
          IndexName: index.name,
          KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
          ExpressionAttributeNames: { '#pk': index.partitionKey, '#sk': index.sortKey },
          ExpressionAttributeValues: { ':pk': list.partition, ':prefix': list.sortKeyPrefix },
          ExclusiveStartKey:
            after === undefined
              ? undefined
              : {
                  [index.partitionKey]: list.partition,
                  [index.sortKey]: `${list.sortKeyPrefix}${after}`,
                  ...list.tableKey(after),
                },
          Limit: count,
        } satisfies QueryCommandInput),
      ),
    );
    return (output.Items ?? []).map((item) => String(item[index.sortKey]).slice(list.sortKeyPrefix.length));
  }
}
