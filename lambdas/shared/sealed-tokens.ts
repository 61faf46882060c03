/**
 * Page tokens (docs/DECISIONS.md "Tokens are sealed, not signed"), for every Repository
 * adapter: a keyset position sealed with AES-256-GCM, the caller and query it belongs to (core/pagination.ts `binding`) as
 * associated data, and an expiry inside the ciphertext. Tampering, another caller's or another
 * query's token, and an expired one all fail the same way: 400 VALIDATION_ERROR, never someone
 * else's items. Where the key lives is the adapter's business (DynamoDB: an item of the table;
 * in memory: the memory state).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ValidationError } from '../core/errors';
import type { Page, PageRequest } from '../core/pagination';

/** Long enough for a person paging through a console table, short enough to bound a leaked token. */
export const PAGE_TOKEN_TTL_SECONDS = 60 * 60;
export const PAGE_TOKEN_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;

interface SealedPosition {
  /** The adapter's position: the sort key suffix of the last item examined. */
  p: string;
  /** Expiry, epoch seconds. */
  e: number;
}

/** A keyset page as an adapter reads it: the position after which the next page starts, if any. */
export interface KeysetPage<T> {
  items: T[];
  after?: string;
}

const refused = (): ValidationError =>
  new ValidationError('is not a valid token for this request', 'nextToken');

export class SealedTokens {
  private key: Promise<Buffer> | undefined;

  /** The key is loaded once (again only after loading failed): `keySource`, or an override of loadKey. */
  constructor(
    private readonly clock: () => Date,
    private readonly keySource?: () => Promise<Buffer>,
  ) {}

  protected loadKey(): Promise<Buffer> {
    if (!this.keySource) return Promise.reject(new Error('SealedTokens has no key source'));
    return this.keySource();
  }

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

  /** A keyset page with its position sealed into a token bound to the caller and query. */
  async page<T>(
    page: PageRequest,
    read: (after: string | undefined) => Promise<KeysetPage<T>>,
  ): Promise<Page<T>> {
    const after = page.nextToken === undefined ? undefined : await this.open(page.nextToken, page.binding);
    const result = await read(after);
    if (result.after === undefined) return { items: result.items };
    return { items: result.items, nextToken: await this.seal(result.after, page.binding) };
  }

  private nowSeconds(): number {
    return Math.floor(this.clock().getTime() / 1000);
  }

  private sealingKey(): Promise<Buffer> {
    this.key ??= this.loadKey().catch((error: unknown) => {
      this.key = undefined;
      throw error;
    });
    return this.key;
  }
}

/**
 * Passes (index pages, on DynamoDB) a filtered list makes per request before it answers with what
 * it found and a token (docs/DECISIONS.md "Filters read at most 4 index pages per request"). One
 * number for both adapters, so a test on the in-memory repository sees the short, even empty,
 * pages DynamoDB answers.
 */
export const MAX_INDEX_READS = 4;

/**
 * One keyset page of `sorted` (ascending by `keyOf`, keys unique) after the key `after`: up to
 * `limit` items `accept` keeps; `after` of the result is the last key examined when more follow.
 * Items present for a whole walk are returned exactly once, whatever is added or removed meanwhile.
 * Examines items in passes as the DynamoDB adapter reads its index (list-queries.ts `pageIndexed`):
 * `limit` items, then as many as the page still lacks, at most MAX_INDEX_READS passes; so a filter
 * can leave the page short, even empty, with more to follow.
 */
export function keysetPage<T>(
  sorted: readonly T[],
  keyOf: (item: T) => string,
  request: { limit: number; after?: string },
  accept: (item: T) => boolean = () => true,
): KeysetPage<T> {
  const { after } = request;
  const rest = after === undefined ? sorted : sorted.filter((item) => keyOf(item) > after);
  const items: T[] = [];
  let examined = 0;
  for (let read = 1; ; read++) {
    const pass = rest.slice(examined, examined + request.limit - items.length);
    items.push(...pass.filter(accept));
    examined += pass.length;
    const last = rest[examined - 1];
    if (examined >= rest.length || last === undefined) return { items };
    if (items.length >= request.limit || read >= MAX_INDEX_READS) return { items, after: keyOf(last) };
  }
}
