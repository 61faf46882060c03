/** core/pagination.ts: the query parsers and the page walkers (pagesOf, walkPages). */
import { ValidationError } from '../../../lambdas/core/errors';
import {
  type Page,
  pageBinding,
  pagesOf,
  parseLimit,
  parseNextToken,
  walkPages,
} from '../../../lambdas/core/pagination';

/** A reader over `items` in pages of `size`, its token the next index; records the tokens it got. */
function pagedReader(items: string[], size: number) {
  const tokens: (string | undefined)[] = [];
  const read = async (nextToken: string | undefined): Promise<Page<string>> => {
    tokens.push(nextToken);
    const start = nextToken === undefined ? 0 : Number(nextToken);
    const end = start + size;
    return { items: items.slice(start, end), ...(end < items.length ? { nextToken: String(end) } : {}) };
  };
  return { read, tokens };
}

describe('page walkers', () => {
  it('pagesOf yields each page in order and passes each page its predecessor token', async () => {
    // Prepare
    const { read, tokens } = pagedReader(['a', 'b', 'c', 'd', 'e'], 2);
    // Act
    const pages: string[][] = [];
    for await (const page of pagesOf(read)) pages.push(page);
    // Assess
    expect(pages).toEqual([['a', 'b'], ['c', 'd'], ['e']]);
    expect(tokens).toEqual([undefined, '2', '4']);
  });

  it('reads one page of an empty list and stops', async () => {
    // Prepare
    const { read, tokens } = pagedReader([], 2);
    // Act
    const items = await walkPages(read);
    // Assess
    expect(items).toEqual([]);
    expect(tokens).toEqual([undefined]);
  });

  it('walkPages collects every item once, whatever the page size', async () => {
    // Prepare
    const all = Array.from({ length: 23 }, (_, i) => `item-${i}`);
    for (const size of [1, 5, 22, 23, 100]) {
      // Act
      const items = await walkPages(pagedReader(all, size).read);
      // Assess
      expect(items).toEqual(all);
    }
  });

  it('stops reading when the consumer stops (no page read past the one it wanted)', async () => {
    // Prepare
    const { read, tokens } = pagedReader(['a', 'b', 'c', 'd'], 1);
    // Act
    for await (const page of pagesOf(read)) {
      if (page.includes('b')) break;
    }
    // Assess
    expect(tokens).toEqual([undefined, '1']);
  });

  it('passes a reader failure to the caller', async () => {
    // Prepare
    const failing = async (): Promise<Page<string>> => {
      throw new Error('table unavailable');
    };
    // Act
    const walking = walkPages(failing);
    // Assess
    await expect(walking).rejects.toThrow('table unavailable');
  });
});

describe('page query', () => {
  it.each(['0', '101', '1.5', '-1', 'ten', ''])('refuses limit %p', (raw) => {
    expect(() => parseLimit(raw)).toThrow(ValidationError);
  });

  it('takes 1 to 100 and defaults to 50', () => {
    expect([parseLimit('1'), parseLimit('100'), parseLimit(undefined)]).toEqual([1, 100, 50]);
  });

  it.each([
    ['that is empty', ''],
    ['with a space', 'a b'],
    ['over 2,048 characters', 'x'.repeat(2049)],
    ['with base64 padding', 'abc=='],
  ])('refuses a token %s', (_label, raw) => {
    expect(() => parseNextToken(raw)).toThrow(ValidationError);
  });

  it('binds a token to the caller, the route and its filters, not their order', () => {
    const caller = { userId: 'alice', isAdmin: false };
    expect(pageBinding(caller, 'gateways', { b: '2', a: '1' })).toBe(
      pageBinding(caller, 'gateways', { a: '1', b: '2' }),
    );
    expect(pageBinding(caller, 'gateways')).not.toBe(pageBinding({ ...caller, userId: 'bob' }, 'gateways'));
  });
});
