/**
 * Page tokens on DynamoDB: sealing and opening are shared/sealed-tokens.ts (shared with
 * the in-memory repository). The key is 32 random bytes kept in the table itself (one item,
 * created by the first list that needs it, first writer wins), so the stack and the embedded runtime provide it with nothing to
 * configure; a reader of the table could forge a token, but could read the items themselves too.
 */
import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Page, PageRequest } from '../../core/pagination';
import { type KeysetPage, PAGE_TOKEN_KEY_BYTES, SealedTokens } from '../../shared/sealed-tokens';
import { isConditionalCheckFailure } from './errors';
import { keys } from './items';
import type { ListQueries } from './list-queries';
import { metered, TOTAL } from './metered';

export { PAGE_TOKEN_TTL_SECONDS } from '../../shared/sealed-tokens';

/** Page tokens whose key is an item of the table (the first list that needs it writes it). */
export class PageTokens extends SealedTokens {
  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    clock: () => Date,
    private readonly onConsumedCapacity: (units: number) => void,
  ) {
    super(clock);
  }

  protected override async loadKey(): Promise<Buffer> {
    const stored = await this.readKey();
    if (stored) return stored;
    const created = randomBytes(PAGE_TOKEN_KEY_BYTES);
    try {
      await metered(
        () =>
          this.client.send(
            new PutCommand({
              ...TOTAL,
              TableName: this.tableName,
              Item: { ...keys.pageTokenKey(), entity: 'pageTokenKey', key: created.toString('base64') },
              ConditionExpression: 'attribute_not_exists(pk)',
            }),
          ),
        this.onConsumedCapacity,
      );
      return created;
    } catch (error) {
      if (!isConditionalCheckFailure(error)) throw error;
      const winner = await this.readKey();
      if (!winner) throw error;
      return winner;
    }
  }

  private async readKey(): Promise<Buffer | undefined> {
    const output = await metered(
      () =>
        this.client.send(
          new GetCommand({
            ...TOTAL,
            TableName: this.tableName,
            Key: keys.pageTokenKey(),
            ConsistentRead: true,
          }),
        ),
      this.onConsumedCapacity,
    );
    const key = output.Item?.key;
    return typeof key === 'string' ? Buffer.from(key, 'base64') : undefined;
  }
}

/** What the stores page with: keyset reads (list-queries.ts) and the tokens that seal positions. */
export interface Paging {
  lists: ListQueries;
  tokens: PageTokens;
}

/** A keyset page with its position sealed into a token bound to the caller and query. */
export function sealedPage<T>(
  tokens: PageTokens,
  page: PageRequest,
  read: (after: string | undefined) => Promise<KeysetPage<T>>,
): Promise<Page<T>> {
  return tokens.page(page, read);
}
