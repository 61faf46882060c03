/**
 * tooling/chromium.ts: the launcher, and the wait bench section 12 takes before it navigates
 * (untilBrowserIdle: Chromium's own processes quiet for two samples in a row, or a failure).
 */
import type { Browser } from 'playwright-core';
import { launchChromium, untilBrowserIdle } from '../../tooling/chromium';

jest.setTimeout(60_000);

let browser: Browser;

beforeAll(async () => {
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
});

test('untilBrowserIdle waits for two quiet samples after a new window opens', async () => {
  // Prepare: a new context is a new window, whose interface Chromium then builds.
  const context = await browser.newContext();
  await context.newPage();

  // Act
  const { waitedMs } = await untilBrowserIdle(browser, { sampleMs: 100 });

  // Assess: never fewer than the two samples it needs.
  expect(waitedMs).toBeGreaterThanOrEqual(200);
  await context.close();
});

test('untilBrowserIdle fails, naming the bound, when the browser never settles in time', async () => {
  // A quiet threshold no sample meets: every sample counts as busy.
  await expect(untilBrowserIdle(browser, { quietCpuMs: -1, boundMs: 300 })).rejects.toThrow(
    'Chromium was still busy 300 ms after the wait began',
  );
});
