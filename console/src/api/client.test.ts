import { describe, expect, test } from 'vitest';
import { allPages } from './client';

/** A list of `pages` pages of 100, or one that never ends. */
const pagesOf = (pages = Number.POSITIVE_INFINITY) => {
  let asked = 0;
  const page = async (nextToken: string | undefined) => {
    asked += 1;
    const index = Number(nextToken ?? 0);
    const items = Array.from({ length: 100 }, (_, i) => `${index}-${i}`);
    return index + 1 < pages ? { items, nextToken: String(index + 1) } : { items };
  };
  return { page, asked: () => asked };
};

describe('allPages', () => {
  test('a list past 50 pages stops at 5,000 items and says it was cut', async () => {
    // Prepare
    const list = pagesOf();
    // Act
    const listed = await allPages(list.page);
    // Assess
    expect(listed.items).toHaveLength(5000);
    expect(listed.truncated).toBe(true);
    expect(list.asked()).toBe(50);
  });

  test('a list that ends within the limit is whole', async () => {
    // Act
    const listed = await allPages(pagesOf(50).page);
    // Assess
    expect(listed).toMatchObject({ truncated: false });
    expect(listed.items).toHaveLength(5000);
  });
});
