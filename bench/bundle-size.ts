/**
 * Minified bundle size of every Lambda handler, built with the same esbuild options the CDK stack
 * deploys with (lib/constructs/peering-function.ts). Goal: at most 500 KB each, since bundle size
 * drives cold-start time. Run: `npx tsx bench/bundle-size.ts`.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { BUNDLE_OPTIONS } from '../lib/constructs/peering-function';
import { HANDLERS, REPO_ROOT } from '../lib/handlers';

export const BUNDLE_SIZE_GOAL_BYTES = 500 * 1024;

export interface HandlerBundle {
  /** Size of the minified JavaScript (the source map is not deployed code). */
  readonly bytes: number;
  /** Every source file in the bundle, relative to the repository root. */
  readonly inputs: string[];
}

/** Bundles one handler (entry relative to the repository root) to `outfile`. */
export async function bundleHandler(entry: string, outfile: string): Promise<HandlerBundle> {
  const result = await build({
    ...BUNDLE_OPTIONS,
    mainFields: [...BUNDLE_OPTIONS.mainFields],
    entryPoints: [join(REPO_ROOT, entry)],
    absWorkingDir: REPO_ROOT,
    outfile,
    bundle: true,
    platform: 'node',
    metafile: true,
    logLevel: 'warning',
  });
  const { size } = await stat(outfile);
  return { bytes: size, inputs: Object.keys(result.metafile.inputs) };
}

/** Bytes per handler name, bundled into a temporary folder that is removed afterwards. */
async function benchBundleSizes(): Promise<Record<string, number>> {
  const dir = await mkdtemp(join(tmpdir(), 'bundle-size-'));
  try {
    const sizes = await Promise.all(
      HANDLERS.map(async (spec) => [
        spec.name,
        (await bundleHandler(spec.entry, join(dir, `${spec.name}.js`))).bytes,
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
    return `${name.padEnd(16)} ${(bytes / 1024).toFixed(1).padStart(8)} KB  ${verdict}`;
  });
  return [
    `${'handler'.padEnd(16)} ${'size'.padStart(11)}  goal ${BUNDLE_SIZE_GOAL_BYTES / 1024} KB`,
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
