/**
 * The one page convention of every list route (README "API", docs/ARCHITECTURE.md "Lists"): query
 * `limit` (1–100, default 50) and `nextToken`; answer `{items, nextToken}` with no `nextToken` on
 * the last page. The token is opaque: the adapter seals a position with the caller and query it
 * belongs to (`binding`).
 */
import { ValidationError } from './errors';

export const PAGE_LIMIT_DEFAULT = 50;
export const PAGE_LIMIT_MAX = 100;
/** A token is longer than nothing this API issues past this size: refused before decoding. */
const MAX_TOKEN_LENGTH = 2048;
const TOKEN_CHARACTERS = /^[A-Za-z0-9_-]+$/;
/** As the OpenAPI document states `nextToken` (test/api/openapi-shapes.test.ts keeps them equal). */
export const NEXT_TOKEN_SHAPE = { pattern: TOKEN_CHARACTERS, maxLength: MAX_TOKEN_LENGTH } as const;

export interface PageRequest {
  limit: number;
  nextToken?: string;
  /** Who asks what: a token issued for another binding is refused (VALIDATION_ERROR). */
  binding: string;
}

export interface Page<T> {
  items: T[];
  nextToken?: string;
}

export type QueryParameters = Record<string, string | undefined> | null | undefined;

export function parseLimit(raw: string | undefined): number {
  if (raw === undefined) return PAGE_LIMIT_DEFAULT;
  if (!/^[0-9]{1,3}$/.test(raw))
    throw new ValidationError(`must be an integer from 1 to ${PAGE_LIMIT_MAX}`, 'limit');
  const limit = Number(raw);
  if (limit < 1 || limit > PAGE_LIMIT_MAX) {
    throw new ValidationError(`must be an integer from 1 to ${PAGE_LIMIT_MAX}`, 'limit');
  }
  return limit;
}

export function parseNextToken(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  if (raw.length === 0 || raw.length > MAX_TOKEN_LENGTH || !TOKEN_CHARACTERS.test(raw)) {
    throw new ValidationError('is not a token this API issued', 'nextToken');
  }
  return raw;
}

/** `limit` and `nextToken` of a list request, checked. */
export function parsePageQuery(query: QueryParameters): { limit: number; nextToken?: string } {
  const nextToken = parseNextToken(query?.nextToken);
  return { limit: parseLimit(query?.limit), ...(nextToken ? { nextToken } : {}) };
}

/** An optional filter whose value must be one of `allowed`. */
export function parseEnumFilter<T extends string>(
  raw: string | undefined,
  allowed: readonly T[],
  field: string,
): T | undefined {
  if (raw === undefined) return undefined;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ValidationError(`must be one of ${allowed.join(', ')}`, field);
  }
  return raw as T;
}

/**
 * What a token is bound to: the caller and the route with its filters. The limit is left out on
 * purpose: a client may change its page size during a walk.
 */
export function pageBinding(
  caller: { userId: string; isAdmin: boolean },
  route: string,
  filters: Record<string, string | undefined> = {},
): string {
  const filterText = Object.keys(filters)
    .sort()
    .filter((key) => filters[key] !== undefined)
    .map((key) => `${key}=${filters[key]}`)
    .join('&');
  return JSON.stringify([caller.userId, caller.isAdmin, route, filterText]);
}

/** Reads one page of a list: `nextToken` is the previous page's (undefined for the first). */
export type PageReader<T> = (nextToken: string | undefined) => Promise<Page<T>>;

/**
 * Each page of a list in order, to its end. For the runtime's start, tools, tests and benchmarks:
 * a request handler answers one page at a time, never a whole list (README "Lists are pages").
 */
export async function* pagesOf<T>(read: PageReader<T>): AsyncGenerator<T[]> {
  let nextToken: string | undefined;
  do {
    const page = await read(nextToken);
    yield page.items;
    nextToken = page.nextToken;
  } while (nextToken);
}

/** Every item of a list, in page order (tests, benchmarks: a list whose size they bound). */
export async function walkPages<T>(read: PageReader<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const page of pagesOf(read)) items.push(...page);
  return items;
}
