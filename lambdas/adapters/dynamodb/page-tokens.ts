/**
 * Page tokens (docs/DECISIONS.md "Pagination"): a position sealed with AES-256-GCM, the caller and
 * query it belongs to as associated data, and an expiry inside the ciphertext. Tampering, another
 * caller's or another query's token, and an expired one all fail the same way: 400
 * VALIDATION_ERROR, never someone else's items.
 *
 * The key is 32 random bytes kept in the table itself (one item, created by the first list that
 * needs it, first writer wins), so the stack and the embedded runtime provide it with nothing to
 * configure; a reader of the table could forge a token, but could read the items themselves too.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ValidationError } from '../../core/errors';
import { isConditionalCheckFailure } from './errors';
import { keys } from './items';
import { metered, TOTAL } from './metered';

/** Long enough for a person paging through a console table, short enough to bound a leaked token. */
export const PAGE_TOKEN_TTL_SECONDS = 60 * 60;
const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface SealedPosition {
  /** The adapter's position: the sort key suffix of the last item examined. */
  p: string;
  /** Expiry, epoch seconds. */
  e: number;
}

const refused = (): ValidationError =>
  new ValidationError('is not a valid token for this request', 'nextToken');

export class PageTokens {
  private key: Promise<Buffer> | undefined;

  constructor(
    private readonly client: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly clock: () => Date,
    private readonly onConsumedCapacity: (units: number) => void,
  ) {}

  async seal(position: string, binding: string): Promise<string> {
    const key = await this.sealingKey();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(binding));
    const plain: SealedPosition = { p: position, e: this.nowSeconds() + PAGE_TOKEN_TTL_SECONDS };
    const body = Buffer.concat([cipher.update(JSON.stringify(plain)), cipher.final()]);
    return Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The position sealed in `token`; ValidationError (nextToken) for anything else. */
  async open(token: string, binding: string): Promise<string> {
    const raw = Buffer.from(token, 'base64url');
    if (raw.length <= IV_BYTES + TAG_BYTES) throw refused();
    const key = await this.sealingKey();
    let plain: SealedPosition;
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, raw.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(binding));
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const text = Buffer.concat([
        decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)),
        decipher.final(),
      ]);
      plain = JSON.parse(text.toString('utf8')) as SealedPosition;
    } catch {
      throw refused();
    }
    if (typeof plain.p !== 'string' || typeof plain.e !== 'number') throw refused();
    if (plain.e < this.nowSeconds())
      throw new ValidationError('has expired: start the list again', 'nextToken');
    return plain.p;
  }

  private nowSeconds(): number {
    return Math.floor(this.clock().getTime() / 1000);
  }

  private sealingKey(): Promise<Buffer> {
    this.key ??= this.loadOrCreateKey().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }

  private async loadOrCreateKey(): Promise<Buffer> {
    const stored = await this.readKey();
    if (stored) return stored;
    const created = randomBytes(KEY_BYTES);
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
