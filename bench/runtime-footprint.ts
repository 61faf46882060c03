/**
 * Section 8: the embedded runtime's time to healthy (from importing runtime/main in this fresh
 * process to the first `GET /health` 200) and its resident memory once healthy: this Node process
 * plus the DynamoDB Local JVM it started (VmRSS of every descendant process).
 */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { round, type SectionResult, startBenchRuntime } from './harness';

const run = promisify(execFile);
const HEALTH_POLL_MS = 10;
const HEALTH_BOUND_MS = 60_000;

export async function benchRuntimeFootprint(): Promise<SectionResult> {
  const processAgeMs = process.uptime() * 1000;
  const started = performance.now();
  const bench = await startBenchRuntime('files');
  try {
    const startReturnedMs = performance.now() - started;
    await untilHealthy(bench.runtime.url);
    const healthyMs = performance.now() - started;
    const nodeRss = process.memoryUsage().rss;
    const children = await descendants(process.pid);
    const rss = await Promise.all(children.map(async (pid) => ({ pid, ...(await processMemory(pid)) })));
    const java = rss.filter((p) => p.name === 'java').reduce((sum, p) => sum + p.rssBytes, 0);
    const mib = (bytes: number) => round(bytes / 2 ** 20);
    return {
      metrics: [
        { metric: 'start → GET /health 200', value: round(healthyMs), unit: 'ms', lowerIsBetter: true },
        { metric: 'Node process RSS (healthy, idle)', value: mib(nodeRss), unit: 'MiB', lowerIsBetter: true },
        { metric: 'DynamoDB Local (java) RSS', value: mib(java), unit: 'MiB', lowerIsBetter: true },
        { metric: 'total RSS', value: mib(nodeRss + java), unit: 'MiB', lowerIsBetter: true },
      ],
      notes: [
        'hostMode files; the clock starts at the import of runtime/main (DynamoDB Local start, table, handlers, HTTP)',
        `node + tsx boot before that: ${Math.round(processAgeMs)} ms (not included)`,
      ],
      details: { startReturnedMs: round(startReturnedMs), processAgeMs: round(processAgeMs), children: rss },
    };
  } finally {
    await bench.stop();
  }
}

async function untilHealthy(url: string): Promise<void> {
  const deadline = Date.now() + HEALTH_BOUND_MS;
  while (Date.now() < deadline) {
    const status = await fetch(`${url}/health`).then(
      (r) => r.status,
      () => 0,
    );
    if (status === 200) return;
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
