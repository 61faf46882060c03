/**
 * Section 6: every Lambda's minified bundle size (bench/bundle-size.ts, the deployed esbuild
 * options) and the cold import time of that bundle: `require()` of the bundled file in a fresh
 * `node` process, which is the module-initialisation part of a Lambda cold start (the Lambda
 * runtime's own boot is not included). Median of a few fresh processes per handler.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { bundleHandler } from '../lib/constructs/bundling';
import { HANDLERS, REPO_ROOT } from '../lib/handlers';
import { BUNDLE_SIZE_GOAL_BYTES } from './bundle-size';
import { type Metric, median, round, type SectionResult } from './harness';

const RUNS_PER_HANDLER = 3;
const run = promisify(execFile);

/** Prints the milliseconds `require(file)` took; nothing else runs in that process. */
const REQUIRE_TIMER =
  'const t=performance.now();require(process.argv[1]);process.stdout.write(String(performance.now()-t))';

/** What env.ts may read at import; the values only have to be well-formed. */
const LAMBDA_ENV = {
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  TABLE_NAME: 'vpc-peering',
  CONFIG_BUCKET: 'bench-config',
  SSM_DOCUMENT_NAME: 'bench-apply',
  CREATE_PEERING_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:create',
  DELETE_PEERING_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:delete',
  PUSH_GATEWAY_STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:push',
  POWERTOOLS_LOG_LEVEL: 'WARN',
};

export async function benchLambdaBundles(): Promise<SectionResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-bundles-'));
  try {
    const metrics: Metric[] = [];
    const details: Record<string, { bytes: number; coldImportMs: number[] }> = {};
    for (const spec of HANDLERS) {
      const file = join(dir, `${spec.name}.js`);
      const { bytes } = await bundleHandler(REPO_ROOT, spec.entry, file);
      const times: number[] = [];
      for (let i = 0; i < RUNS_PER_HANDLER; i++) times.push(await coldRequire(file));
      details[spec.name] = { bytes, coldImportMs: times.map(round) };
      metrics.push(
        {
          metric: `${spec.name} bundle`,
          value: round(bytes / 1024),
          unit: 'KiB',
          baseline: BUNDLE_SIZE_GOAL_BYTES / 1024,
          ratio: bytes / BUNDLE_SIZE_GOAL_BYTES,
          goal: '≤ 500 KB (500,000 bytes)',
          lowerIsBetter: true,
        },
        {
          metric: `${spec.name} cold require (median)`,
          value: round(median(times)),
          unit: 'ms',
          lowerIsBetter: true,
        },
      );
    }
    return {
      metrics,
      notes: [
        `cold require = require() of the minified bundle in a fresh node ${process.version} process, median of ${RUNS_PER_HANDLER}`,
      ],
      details,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function coldRequire(file: string): Promise<number> {
  const { stdout } = await run(process.execPath, ['--no-warnings', '-e', REQUIRE_TIMER, file], {
    env: { ...LAMBDA_ENV, PATH: process.env.PATH },
    timeout: 30_000,
  });
  return Number(stdout);
}
