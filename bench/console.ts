/**
 * Section 12: the console. The time until the gateway list is interactive in headless Chromium
 * against the embedded runtime (from navigation to the first gateway link visible and enabled, a
 * fresh browser context, cold cache, each time, navigated once the browser is idle as a person's
 * open browser is; and again for a returning person: the third visit in one context, the assets
 * cached and their code in V8's cache; and, as before 2026-12-04, navigated the moment the new
 * context's window opens, while Chromium still builds its own interface), the main thread's CPU time over
 * that span (what the console itself costs, less sensitive to a busy machine than the wall time), and the
 * JavaScript and CSS the browser loaded over that span, gzipped: the entry, the app chunk it
 * imports, never the chunks of other pages, the QR encoder or the Cognito client. Beside it, in the
 * same rounds, the framework's floor: the same list drawn by Cloudscape and React alone
 * (console/floor/main.tsx: the same components, 20 rows written in, no app code, no request),
 * served by the runtime's own static server.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Page } from 'playwright-core';
import { serveConsole } from '../runtime/console-static';
import { launchChromium, untilBrowserIdle } from '../tooling/chromium';
import { median, round, type SectionResult, startBenchRuntime } from './harness';

const CONSOLE = resolve(__dirname, '../console');
const DIST = join(CONSOLE, 'dist');
const FLOOR_DIST = join(CONSOLE, 'dist-floor');
const ENSURE_BUILT = resolve(__dirname, '../console/ensure-built.mjs');
const GATEWAYS = 20;
const ROUNDS = 7;
/** Loads before the warm measurement: V8 caches a script's code once it has run it twice. */
const WARM_VISITS_BEFORE = 2;
const SESSION_KEY = 'vpc-peering-console.token';

const gzipped = (paths: Iterable<string>, dist = DIST) =>
  [...paths].reduce((sum, path) => sum + gzipSync(readFileSync(join(dist, path))).length, 0);

/** Builds console/floor into console/dist-floor (seconds: it is Cloudscape's build alone). */
function buildFloor(): void {
  execFileSync(
    join(CONSOLE, 'node_modules/.bin/vite'),
    ['build', '-c', 'vite.floor.config.ts', '--logLevel', 'warn'],
    {
      cwd: CONSOLE,
      stdio: ['ignore', process.stderr, process.stderr],
    },
  );
  if (!existsSync(join(FLOOR_DIST, 'index.html')))
    throw new Error('console/dist-floor is missing after its build');
}

/** console/dist-floor served as the runtime serves console/dist (runtime/console-static.ts). */
async function serveFloor(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://localhost');
    serveConsole(request.method ?? 'GET', pathname, response, FLOOR_DIST).catch(() => response.destroy());
  });
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function benchConsole(): Promise<SectionResult> {
  // The console npm start would serve: built now if its sources changed since console/dist was
  // (a stale build measured a bundle that no longer exists).
  execFileSync(process.execPath, [ENSURE_BUILT], { stdio: ['ignore', process.stderr, process.stderr] });
  if (!existsSync(join(DIST, 'index.html'))) throw new Error('console/dist is missing after the build');
  buildFloor();
  const bench = await startBenchRuntime('files');
  const browser = await launchChromium();
  const floorSite = await serveFloor();
  try {
    for (let index = 1; index <= GATEWAYS; index += 1) {
      const reply = await bench.admin.call('POST', '/v1/gateways', {
        id: `gw-console-${index}`,
        name: `gateway-${String(index).padStart(2, '0')}`,
        ownerId: 'user-1',
        vpcId: `vpc-console-${index}`,
        vpcCidr: `10.${index}.0.0/16`,
        tunnelSubnet: `100.64.${index}.0/24`,
        publicIp: `198.51.100.${index}`,
        instanceId: `i-console-${index}`,
      });
      if (reply.status !== 201) throw new Error(`registering a gateway answered ${reply.status}`);
    }
    const token = bench.runtime.userToken;
    interface Span {
      ms: number;
      cpuMs: number;
      assets: string[];
    }
    /**
     * One load of `url` until `ready`, in a fresh context: after `visitsBefore` unmeasured loads,
     * navigated once the browser is idle (untilBrowserIdle), unless `atOnce`.
     */
    const measure = async (
      url: string,
      ready: (page: Page) => Promise<void>,
      { visitsBefore = 0, atOnce = false } = {},
    ): Promise<Span> => {
      const context = await browser.newContext();
      await context.addInitScript(
        ([key, value]) =>
          (
            globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }
          ).sessionStorage.setItem(key, value),
        [SESSION_KEY, token] as const,
      );
      const page = await context.newPage();
      // A returning person: the immutable assets are in the HTTP cache and V8 has cached their code.
      for (let visit = 0; visit < visitsBefore; visit += 1) {
        await page.goto(url, { waitUntil: 'commit' });
        await ready(page);
      }
      const assets: string[] = [];
      page.on('response', (response) => {
        const { pathname } = new URL(response.url());
        if (pathname.startsWith('/assets/')) assets.push(pathname);
      });
      const cdp = await context.newCDPSession(page);
      await cdp.send('Performance.enable');
      const threadTime = async () =>
        (await cdp.send('Performance.getMetrics')).metrics.find((metric) => metric.name === 'ThreadTime')
          ?.value ?? Number.NaN;
      if (!atOnce) await untilBrowserIdle(browser);
      const cpuBefore = await threadTime();
      const started = performance.now();
      await page.goto(url, { waitUntil: 'commit' });
      await ready(page);
      const ms = performance.now() - started;
      const cpuMs = ((await threadTime()) - cpuBefore) * 1000;
      await context.close();
      return { ms, cpuMs, assets };
    };
    const listInteractive = async (page: Page) => {
      const link = page.getByRole('link', { name: 'gateway-01', exact: true });
      await link.waitFor({ state: 'visible' });
      if (!(await link.isEnabled())) throw new Error('the first gateway link is not enabled');
    };
    const list = `${bench.runtime.url}/gateways`;
    const interactive: Span[] = [];
    const warm: Span[] = [];
    const cloudscapeAlone: Span[] = [];
    const configLoads: Span[] = [];
    const atOnce: Span[] = [];
    for (let round_ = 0; round_ < ROUNDS; round_ += 1) {
      interactive.push(await measure(list, listInteractive));
      cloudscapeAlone.push(await measure(`${floorSite.url}/gateways`, listInteractive));
      warm.push(await measure(list, listInteractive, { visitsBefore: WARM_VISITS_BEFORE }));
      atOnce.push(await measure(list, listInteractive, { atOnce: true }));
      configLoads.push(
        await measure(
          `${bench.runtime.url}/config.json`,
          async (page) => void (await page.waitForLoadState('load')),
        ),
      );
    }
    const tti = median(interactive.map((span) => span.ms));
    const aloneTti = median(cloudscapeAlone.map((span) => span.ms));
    const warmTti = median(warm.map((span) => span.ms));
    const atOnceTti = median(atOnce.map((span) => span.ms));
    const base = median(configLoads.map((span) => span.ms));
    const aloneScripts = [...new Set(cloudscapeAlone.flatMap((span) => span.assets))].filter((path) =>
      path.endsWith('.js'),
    );
    const loaded = new Set(interactive.flatMap((span) => span.assets));
    const scripts = [...loaded].filter((path) => path.endsWith('.js')).sort();
    const styles = [...loaded].filter((path) => path.endsWith('.css')).sort();
    return {
      metrics: [
        {
          metric: 'console initial JavaScript, gzipped',
          value: round(gzipped(scripts) / 1000),
          unit: 'KB',
          goal: '≤ 350 KB',
          lowerIsBetter: true,
        },
        {
          metric: 'console initial CSS, gzipped',
          value: round(gzipped(styles) / 1000),
          unit: 'KB',
          lowerIsBetter: true,
        },
        {
          metric: `gateway list interactive (${GATEWAYS} gateways), median of ${ROUNDS}, cold cache, browser idle`,
          value: round(tti),
          unit: 'ms',
          baseline: round(base),
          ratio: round(tti / base),
          goal: '≤ 1000 ms',
          lowerIsBetter: true,
        },
        {
          metric: `the same, warm cache (visit ${WARM_VISITS_BEFORE + 1} in one browser context), median of ${ROUNDS}`,
          value: round(warmTti),
          unit: 'ms',
          baseline: round(base),
          ratio: round(warmTti / base),
          lowerIsBetter: true,
        },
        {
          metric: `the same, cold cache, navigated as the new window opens (Chromium still building its own interface), median of ${ROUNDS}`,
          value: round(atOnceTti),
          unit: 'ms',
          baseline: round(tti),
          ratio: round(atOnceTti / tti),
          lowerIsBetter: true,
        },
        {
          metric: 'main-thread CPU until the list is interactive, median',
          value: round(median(interactive.map((span) => span.cpuMs))),
          unit: 'ms',
          lowerIsBetter: true,
        },
        {
          metric: `the console against the same list from Cloudscape alone (console/floor), median of ${ROUNDS}, cold cache`,
          value: round(tti),
          unit: 'ms',
          baseline: round(aloneTti),
          ratio: round(tti / aloneTti),
          lowerIsBetter: true,
        },
        {
          metric: 'Cloudscape alone: its JavaScript, gzipped',
          value: round(gzipped(aloneScripts, FLOOR_DIST) / 1000),
          unit: 'KB',
          lowerIsBetter: true,
        },
        {
          metric: 'Cloudscape alone: main-thread CPU until the list is interactive, median',
          value: round(median(cloudscapeAlone.map((span) => span.cpuMs))),
          unit: 'ms',
          lowerIsBetter: true,
        },
      ],
      notes: [
        'Headless Debian Chromium (playwright-core) against the embedded runtime, files hosts',
        'baseline: the same browser loading /config.json from the same server (network and page floor)',
        "Cloudscape alone: console/floor/main.tsx (the list page's components and props, 20 rows written in; no app code, request, sign-in or router), built by vite.floor.config.ts, served by runtime/console-static.ts, measured in the same rounds, in turn with the console",
        `load average at the end: ${loadavg()
          .map((value) => value.toFixed(1))
          .join(' ')} (the wall time grows with it; the CPU time much less)`,
        `loaded until interactive: ${[...scripts, ...styles].join(', ')}`,
      ],
      details: {
        interactiveMs: interactive.map((span) => round(span.ms)),
        interactiveCpuMs: interactive.map((span) => round(span.cpuMs)),
        warmMs: warm.map((span) => round(span.ms)),
        warmCpuMs: warm.map((span) => round(span.cpuMs)),
        atOnceMs: atOnce.map((span) => round(span.ms)),
        floorMs: configLoads.map((span) => round(span.ms)),
        cloudscapeAloneMs: cloudscapeAlone.map((span) => round(span.ms)),
        cloudscapeAloneCpuMs: cloudscapeAlone.map((span) => round(span.cpuMs)),
        scripts,
        styles,
      },
    };
  } finally {
    floorSite.server.close();
    await browser.close();
    await bench.stop();
  }
}
