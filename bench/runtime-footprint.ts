/**
 * Section 8: the embedded runtime's time to healthy and its memory.
 * - From the command: README's start command (`npm start`: dependency check, console check,
 *   `tsx runtime/main.ts` on DynamoDB Local) spawned on a fresh DATA_DIR, clocked from the spawn
 *   to the first `GET /health` 200; then again on the same DATA_DIR (a restart). Goal ≤ 5 s with
 *   dependencies installed. The command must not install anything: the section asks
 *   `runtime/ensure-dependencies.js --check` and `console/ensure-built.mjs --check` first and fails
 *   rather than let `npm start` run `npm ci` (a benchmark never reinstalls a node_modules, which
 *   may be shared). The console is brought up to date once before the clock starts.
 * - From the import (the baseline): runtime/main imported and started in this fresh process, as
 *   before; then resident memory once healthy, this Node process plus the DynamoDB Local JVM it
 *   started (VmRSS of every descendant process).
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { freePort } from '../runtime/dynamodb-local';
import { spawnGroup } from '../runtime/process-group';
import { type Metric, round, type SectionResult, startBenchRuntime } from './harness';

const run = promisify(execFile);
const REPO = join(__dirname, '..');
/** README, "The two commands". */
const START_COMMAND = ['npm', 'start'] as const;
const HEALTH_POLL_MS = 10;
const HEALTH_BOUND_MS = 120_000;
const STOP_GRACE_MS = 20_000;
const GOAL = '≤ 5 s from the command, dependencies installed';

interface CommandStart {
  /** Spawn → first /health 200. */
  healthyMs: number;
  /** Spawn → the console check's line: npm, the dependency check and the console check. */
  checksMs?: number;
  /** What runtime/main printed as its own start (after its imports). */
  runtimeReadyMs?: number;
}

export async function benchRuntimeFootprint(): Promise<SectionResult> {
  const processAgeMs = process.uptime() * 1000;
  await assertNothingToInstall();
  // Built now if a source changed, so the clock measures a start, not a console build.
  await run('npm', ['run', '--silent', 'console:build'], { cwd: REPO, timeout: 5 * 60_000 });
  const dataDir = await mkdtemp(join(tmpdir(), 'vpc-peering-bench-start-'));
  try {
    const first = await timeStartCommand(dataDir);
    const restart = await timeStartCommand(dataDir);
    const imported = await importedStart();
    const ratio = (value: number) => round(value / imported.healthyMs);
    const metrics: Metric[] = [
      {
        metric: '`npm start` → GET /health 200 (fresh DATA_DIR)',
        value: round(first.healthyMs),
        unit: 'ms',
        baseline: round(imported.healthyMs),
        ratio: ratio(first.healthyMs),
        goal: GOAL,
        lowerIsBetter: true,
      },
      {
        metric: '`npm start` → GET /health 200 (restart, same DATA_DIR)',
        value: round(restart.healthyMs),
        unit: 'ms',
        baseline: round(imported.healthyMs),
        ratio: ratio(restart.healthyMs),
        goal: GOAL,
        lowerIsBetter: true,
      },
      {
        metric: 'import of runtime/main → GET /health 200 (baseline)',
        value: round(imported.healthyMs),
        unit: 'ms',
        lowerIsBetter: true,
      },
      ...imported.memory,
    ];
    return {
      metrics,
      notes: [
        'from the command: spawn of `npm start` (default settings, DynamoDB Local, PORT and DATA_DIR set) to the first /health 200, console already built',
        `of which npm + dependency check + console check: ${describe(first.checksMs)} (fresh), ${describe(restart.checksMs)} (restart); runtime/main's own "Ready in" (its imports done, DynamoDB Local booting since before them): ${describe(first.runtimeReadyMs)}, ${describe(restart.runtimeReadyMs)}`,
        `baseline: hostMode files, from the import of runtime/main in this process (node + tsx boot before it: ${Math.round(processAgeMs)} ms, not included)`,
      ],
      details: {
        first,
        restart,
        imported: { ...imported, memory: undefined },
        processAgeMs: round(processAgeMs),
      },
    };
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

const describe = (ms: number | undefined) => (ms === undefined ? 'not seen' : `${Math.round(ms)} ms`);

/** Fails, naming why, when `npm start` would install dependencies (root or console). */
async function assertNothingToInstall(): Promise<void> {
  for (const [script, what] of [
    ['runtime/ensure-dependencies.js', 'node_modules'],
    ['console/ensure-built.mjs', 'console/node_modules'],
  ] as const) {
    await run(process.execPath, [script, '--check'], { cwd: REPO }).catch((error: { stderr?: string }) => {
      throw new Error(
        `${(error.stderr ?? '').trim() || `${script} --check failed`}. Section 8 times a start with ` +
          `dependencies installed and never lets it reinstall ${what}: run \`npm start\` once first`,
      );
    });
  }
}

/** README's start command on `dataDir`, timed to its first /health 200, then stopped with Ctrl-C. */
async function timeStartCommand(dataDir: string): Promise<CommandStart> {
  const port = await freePort();
  const started = performance.now();
  const [command, ...args] = START_COMMAND;
  // Its own process group, so Ctrl-C (SIGINT to the group) reaches npm, tsx and the runtime.
  const { child, exited, stop } = spawnGroup(command, args, {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, DATA_DIR: dataDir, PORT: String(port) },
  });
  const timing: Omit<CommandStart, 'healthyMs'> = {};
  let output = '';
  const onOutput = (chunk: Buffer) => {
    output += chunk.toString();
    if (timing.checksMs === undefined && /^console: /m.test(output))
      timing.checksMs = performance.now() - started;
    const ready = /^Ready in (\d+) ms/m.exec(output);
    if (ready) timing.runtimeReadyMs = Number(ready[1]);
  };
  child.stdout?.on('data', onOutput);
  child.stderr?.on('data', onOutput);
  try {
    await untilHealthy(`http://127.0.0.1:${port}`, exited, () => output);
    return { healthyMs: performance.now() - started, ...timing };
  } finally {
    // Ctrl-C to the whole group, as a user stops it; SIGKILL if it outlives the grace period.
    await stop('SIGINT', STOP_GRACE_MS);
  }
}

/** The baseline: runtime/main imported and started in this process, and its memory once healthy. */
async function importedStart(): Promise<{ healthyMs: number; memory: Metric[]; children: unknown }> {
  const started = performance.now();
  const bench = await startBenchRuntime('files');
  try {
    await untilHealthy(bench.runtime.url);
    const healthyMs = performance.now() - started;
    const nodeRss = process.memoryUsage().rss;
    const children = await descendants(process.pid);
    const rss = await Promise.all(children.map(async (pid) => ({ pid, ...(await processMemory(pid)) })));
    const java = rss.filter((p) => p.name === 'java').reduce((sum, p) => sum + p.rssBytes, 0);
    const mib = (bytes: number) => round(bytes / 2 ** 20);
    return {
      healthyMs,
      memory: [
        { metric: 'Node process RSS (healthy, idle)', value: mib(nodeRss), unit: 'MiB', lowerIsBetter: true },
        { metric: 'DynamoDB Local (java) RSS', value: mib(java), unit: 'MiB', lowerIsBetter: true },
        { metric: 'total RSS', value: mib(nodeRss + java), unit: 'MiB', lowerIsBetter: true },
      ],
      children: rss,
    };
  } finally {
    await bench.stop();
  }
}

async function untilHealthy(url: string, exited?: Promise<unknown>, output?: () => string): Promise<void> {
  let gone = false;
  exited?.then(() => {
    gone = true;
  });
  const deadline = Date.now() + HEALTH_BOUND_MS;
  while (Date.now() < deadline) {
    const status = await fetch(`${url}/health`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
    if (gone) throw new Error(`the start command exited before /health answered 200:\n${output?.() ?? ''}`);
    await sleep(HEALTH_POLL_MS);
  }
  throw new Error(`GET /health did not answer 200 within ${HEALTH_BOUND_MS} ms`);
}

/** Every descendant pid of `pid` (the java process may sit under a wrapper). */
async function descendants(pid: number): Promise<number[]> {
  const { stdout } = await run('pgrep', ['-P', String(pid)]).catch(() => ({ stdout: '' }));
  const children = stdout.split('\n').filter(Boolean).map(Number);
  const nested = await Promise.all(children.map(descendants));
  return [...children, ...nested.flat()];
}

async function processMemory(pid: number): Promise<{ name: string; rssBytes: number }> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const name = /^Name:\s+(\S+)/m.exec(status)?.[1] ?? '?';
  const kib = Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? 0);
  return { name, rssBytes: kib * 1024 };
}
