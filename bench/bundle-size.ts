/**
 * Minified bundle size of every Lambda handler, built by the very build the CDK stack deploys
 * (lib/constructs/bundling.ts). Goal: at most 500 KB (500,000 bytes) each, since bundle size
 * drives cold-start time. Run: `npx tsx bench/bundle-size.ts`.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleHandler } from '../lib/constructs/bundling';
import { HANDLERS, REPO_ROOT } from '../lib/handlers';

export const BUNDLE_SIZE_GOAL_BYTES = 500_000;

/** Bytes per handler name, bundled into a temporary folder that is removed afterwards. */
async function benchBundleSizes(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'bundle-size-'));
  try {
    const sizes = await Promise.all(
      HANDLERS.map(async (spec) => [
        spec.name,
        (await bundleHandler(REPO_ROOT, spec.entry, join(dir, `${spec.name}.js`))).bytes,
      ]),
    );
    return Object.fromEntries(sizes);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function formatTable(sizes: Record<string, number>): string {
  const rows = Object.entries(sizes).map(([name, bytes]) => {
    const verdict = bytes <= BUNDLE_SIZE_GOAL_BYTES ? 'ok' : 'OVER GOAL';
    return `${name.padEnd(16)} ${bytes.toLocaleString('en-US').padStart(9)} B ${(bytes / 1024).toFixed(1).padStart(7)} KiB  ${verdict}`;
  });
  return [
    `${'handler'.padEnd(16)} ${'size'.padStart(21)}  goal ${BUNDLE_SIZE_GOAL_BYTES.toLocaleString('en-US')} bytes`,
    ...rows,
  ].join('\n');
}

if (require.main === module) {
  benchBundleSizes()
    .then((sizes) => console.log(formatTable(sizes)))
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
