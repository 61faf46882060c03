/**
 * Section 8: the embedded runtime's time to healthy and its memory.
 * - From the command: README's start command (`npm start`: dependency check, console check,
 *   `tsx runtime/main.ts` on DynamoDB Local) spawned on a fresh DATA_DIR, clocked from the spawn
 *   to the first `GET /health` 200; then again on the same DATA_DIR (a restart). Goal ≤ 5 s with
 *   dependencies installed. The command must not install anything: the section asks
 *   `runtime/ensure-dependencies.js --check` and `console/ensure-built.mjs --check` first and fails
 *   rather than let `npm start` run `npm ci` (a benchmark never reinstalls a node_modules, which
 *   may be shared). The console is brought up to date once before the clock starts.
 * - From the import (the baseline): runtime/main imported and started in this fresh process the
 *   way runtime/start.ts starts it (DynamoDB Local booting in its quick JIT tier while the modules
 *   load), so the ratio is what npm and the two checks add.
 * - Resident memory of the first `npm start` once healthy: VmRSS of every process of its group (npm,
 *   its shell, the Node process running runtime/start.ts, the DynamoDB Local JVM).
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
  /** VmRSS of the command's processes once healthy, when asked for. */
  memory?: GroupMemory;
}

interface GroupMemory {
  /** The Node process running runtime/start.ts (and runtime/main). */
  runtimeNodeBytes: number;
  javaBytes: number;
  /** Every process of the group: npm, its shell, the runtime's Node, java. */
  totalBytes: number;
  processes: { pid: number; name: string; rssBytes: number }[];
}

export async function benchRuntimeFootprint(): Promise<SectionResult> {
  const processAgeMs = process.uptime() * 1000;
  await assertNothingToInstall();
  // Built now if a source changed, so the clock measures a start, not a console build.
  await run('npm', ['run', '--silent', 'console:build'], { cwd: REPO, timeout: 5 * 60_000 });
  const dataDir = await mkdtemp(join(tmpdir(), 'vpc-peering-bench-start-'));
  try {
    const first = await timeStartCommand(dataDir, { measureMemory: true });
    const restart = await timeStartCommand(dataDir, { measureMemory: false });
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
      ...memoryRows(first.memory),
    ];
    return {
      metrics,
      notes: [
        'from the command: spawn of `npm start` (default settings, DynamoDB Local, PORT and DATA_DIR set) to the first /health 200, console already built',
        `of which npm + dependency check + console check: ${describe(first.checksMs)} (fresh), ${describe(restart.checksMs)} (restart); runtime/main's own "Ready in" (its imports done, DynamoDB Local booting since before them): ${describe(first.runtimeReadyMs)}, ${describe(restart.runtimeReadyMs)}`,
        `baseline: hostMode files, from the import of runtime/main in this process, DynamoDB Local started before it in its quick JIT tier as runtime/start.ts does (node + tsx boot before it: ${Math.round(processAgeMs)} ms, not included)`,
        'memory: the processes of the first `npm start` (fresh DATA_DIR) once healthy, idle',
      ],
      details: {
        first,
        restart,
        imported,
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
async function timeStartCommand(
  dataDir: string,
  { measureMemory }: { measureMemory: boolean },
): Promise<CommandStart> {
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
    const healthyMs = performance.now() - started;
    const memory = measureMemory && child.pid !== undefined ? await groupMemory(child.pid) : undefined;
    return { healthyMs, ...timing, memory };
  } finally {
    // Ctrl-C to the whole group, as a user stops it; SIGKILL if it outlives the grace period.
    await stop('SIGINT', STOP_GRACE_MS);
  }
}

/** The baseline: runtime/main imported and started in this process as `npm start` starts it. */
async function importedStart(): Promise<{ healthyMs: number }> {
  const started = performance.now();
  const bench = await startBenchRuntime('files', { startsAsNpmStart: true });
  try {
    await untilHealthy(bench.runtime.url);
    return { healthyMs: performance.now() - started };
  } finally {
    await bench.stop();
  }
}

/** VmRSS of `pid` and every descendant, the runtime's Node told apart by its command line. */
async function groupMemory(pid: number): Promise<GroupMemory> {
  const pids = [pid, ...(await descendants(pid))];
  const processes = await Promise.all(pids.map(async (p) => ({ pid: p, ...(await processMemory(p)) })));
  const runtimeNode = await Promise.all(
    processes.map(async (p) =>
      (await readFile(`/proc/${p.pid}/cmdline`, 'utf8').catch(() => '')).includes('runtime/start.ts')
        ? p.rssBytes
        : 0,
    ),
  );
  const sum = (values: number[]) => values.reduce((total, value) => total + value, 0);
  return {
    runtimeNodeBytes: sum(runtimeNode),
    javaBytes: sum(processes.filter((p) => p.name === 'java').map((p) => p.rssBytes)),
    totalBytes: sum(processes.map((p) => p.rssBytes)),
    processes,
  };
}

function memoryRows(memory: GroupMemory | undefined): Metric[] {
  if (!memory) return [];
  const mib = (bytes: number) => round(bytes / 2 ** 20);
  return [
    {
      metric: '`npm start`: runtime Node process RSS (healthy, idle)',
      value: mib(memory.runtimeNodeBytes),
      unit: 'MiB',
      lowerIsBetter: true,
    },
    {
      metric: '`npm start`: DynamoDB Local (java) RSS',
      value: mib(memory.javaBytes),
      unit: 'MiB',
      lowerIsBetter: true,
    },
    {
      metric: '`npm start`: total RSS of its processes (npm, shell, Node, java)',
      value: mib(memory.totalBytes),
      unit: 'MiB',
      lowerIsBetter: true,
    },
  ];
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
