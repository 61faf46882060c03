/**
 * Section 9: the console. Its initial JavaScript gzipped (what index.html loads before anything
 * else: the entry script and its module preloads; lazily loaded chunks such as the QR encoder and
 * the Cognito client are not counted), and the time until the gateway list is interactive in
 * headless Chromium against the embedded runtime: from navigation to the first gateway link
 * visible and enabled, with a fresh browser context (cold cache) each time.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { launchChromium } from '../test/console/browser';
import { round, type SectionResult, startBenchRuntime } from './harness';

const DIST = resolve(__dirname, '../console/dist');
const GATEWAYS = 20;
const ROUNDS = 7;
const SESSION_KEY = 'vpc-peering-console.token';

/** The files index.html loads at once: module scripts, module preloads and stylesheets. */
export function initialAssets(indexHtml: string): { scripts: string[]; styles: string[] } {
  const attribute = (tag: string, name: string) => new RegExp(`${name}="([^"]+)"`).exec(tag)?.[1];
  const tags = indexHtml.match(/<(script|link)\b[^>]*>/g) ?? [];
  const scripts = tags
    .filter((tag) => /type="module"/.test(tag) || /rel="modulepreload"/.test(tag))
    .map((tag) => attribute(tag, 'src') ?? attribute(tag, 'href'))
    .filter((path): path is string => path !== undefined);
  const styles = tags
    .filter((tag) => /rel="stylesheet"/.test(tag))
    .map((tag) => attribute(tag, 'href'))
    .filter((path): path is string => path !== undefined);
  return { scripts, styles };
}

const gzipped = (paths: string[]) =>
  paths.reduce((sum, path) => sum + gzipSync(readFileSync(join(DIST, path))).length, 0);

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export async function benchConsole(): Promise<SectionResult> {
  if (!existsSync(join(DIST, 'index.html'))) {
    throw new Error('console/dist is missing: run npm run console:build first');
  }
  const { scripts, styles } = initialAssets(readFileSync(join(DIST, 'index.html'), 'utf8'));
  const jsKb = gzipped(scripts) / 1000;
  const cssKb = gzipped(styles) / 1000;

  const bench = await startBenchRuntime('files');
  const browser = await launchChromium();
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
    const url = bench.runtime.url;
    const token = bench.runtime.userToken;
    const measure = async (path: string, ready: (page: import('playwright-core').Page) => Promise<void>) => {
      const context = await browser.newContext();
      await context.addInitScript(
        ([key, value]) =>
          (
            globalThis as unknown as { sessionStorage: { setItem(k: string, v: string): void } }
          ).sessionStorage.setItem(key, value),
        [SESSION_KEY, token] as const,
      );
      const page = await context.newPage();
      const started = performance.now();
      await page.goto(`${url}${path}`, { waitUntil: 'commit' });
      await ready(page);
      const ms = performance.now() - started;
      await context.close();
      return ms;
    };
    const interactive: number[] = [];
    const floor: number[] = [];
    for (let round_ = 0; round_ < ROUNDS; round_ += 1) {
      interactive.push(
        await measure('/gateways', async (page) => {
          const link = page.getByRole('link', { name: 'gateway-01', exact: true });
          await link.waitFor({ state: 'visible' });
          if (!(await link.isEnabled())) throw new Error('the first gateway link is not enabled');
        }),
      );
      floor.push(await measure('/config.json', async (page) => void (await page.waitForLoadState('load'))));
    }
    const tti = median(interactive);
    const base = median(floor);
    return {
      metrics: [
        {
          metric: 'console initial JavaScript, gzipped',
          value: round(jsKb),
          unit: 'KB',
          goal: '≤ 350 KB',
          lowerIsBetter: true,
        },
        { metric: 'console initial CSS, gzipped', value: round(cssKb), unit: 'KB', lowerIsBetter: true },
        {
          metric: `gateway list interactive (${GATEWAYS} gateways), median of ${ROUNDS}, cold cache`,
          value: round(tti),
          unit: 'ms',
          baseline: round(base),
          ratio: round(tti / base),
          goal: '≤ 1000 ms',
          lowerIsBetter: true,
        },
      ],
      notes: [
        'Headless Debian Chromium (playwright-core) against the embedded runtime, files hosts',
        'baseline: the same browser loading /config.json from the same server (network and page floor)',
        `initial JavaScript: ${scripts.join(', ')}`,
      ],
      details: { interactiveMs: interactive.map(round), floorMs: floor.map(round), scripts, styles },
    };
  } finally {
    await browser.close();
    await bench.stop();
  }
}
