/**
 * Debian's Chromium (apt `chromium`) driven by playwright-core, launched one way for the browser
 * tests (test/console) and bench section 12; no browser is ever downloaded. A missing
 * /usr/bin/chromium fails the caller and says how to install it.
 */
import { existsSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Browser, chromium } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`${CHROMIUM_PATH} is missing: apt-get install -y chromium (.ci/run installs it)`);
  }
  return chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS, headless: true });
}

export interface IdleWait {
  /** Time waited until the browser was idle. */
  waitedMs: number;
}

/**
 * Resolves once Chromium's own processes (browser, GPU, network, storage) have used less than
 * `quietCpuMs` of CPU in each of two `sampleMs` samples in a row. A new context in headless
 * Chromium is a new window: for about a second it keeps both of this machine's cores busy building
 * the window's own interface (its omnibox popup is a WebUI page), which a person's open browser did
 * long before they typed an address. A page timed from then is timed against the browser, not
 * itself. Fails past `boundMs`: a browser that never settles is a finding, not a wait.
 */
export async function untilBrowserIdle(
  browser: Browser,
  { sampleMs = 100, quietCpuMs = 30, boundMs = 15_000 } = {},
): Promise<IdleWait> {
  const session = await browser.newBrowserCDPSession();
  const cpuSeconds = async () =>
    (await session.send('SystemInfo.getProcessInfo')).processInfo.reduce(
      (sum, process) => sum + process.cpuTime,
      0,
    );
  try {
    const started = performance.now();
    let previous = await cpuSeconds();
    let quietSamples = 0;
    while (quietSamples < 2) {
      if (performance.now() - started > boundMs) {
        throw new Error(`Chromium was still busy ${boundMs} ms after the wait began`);
      }
      await sleep(sampleMs);
      const now = await cpuSeconds();
      quietSamples = (now - previous) * 1000 < quietCpuMs ? quietSamples + 1 : 0;
      previous = now;
    }
    return { waitedMs: performance.now() - started };
  } finally {
    await session.detach();
  }
}
