/**
 * `npm run bench`: runs every section of bench/sections.ts in order, prints one summary table and
 * writes bench/results/latest.json. Speeds are reported, never asserted: a failed or skipped section
 * is reported and the others still run. Each "lower is better" figure more than 20 % above the
 * previous latest.json is printed as a REGRESSION line, for the sections measured on the same machine
 * with neither run under load (report.ts, incomparability). Each section records its own date,
 * machine and load: a partial run keeps the other sections as they were measured.
 */
import '../runtime/polyfills';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { cpus, loadavg, platform, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { spawnGroup } from '../runtime/process-group';
import type { SectionResult } from './harness';
import { formatTable, type Machine, notCompared, regressions, type SectionOutcome } from './report';
import { SECTIONS, type SectionSpec } from './sections';

const RESULTS_DIR = join(__dirname, 'results');
const LATEST = join(RESULTS_DIR, 'latest.json');
const CHILD = join(__dirname, 'child.ts');
/** Between SIGTERM to a section's group at its bound and SIGKILL. */
const STOP_GRACE_MS = 15_000;

async function runSection(section: SectionSpec): Promise<SectionOutcome> {
  const started = performance.now();
  const date = new Date().toISOString();
  const loadAtStart = oneMinuteLoad();
  const measuredOn = () => ({
    date,
    machine: machine(),
    loadAverage: { start: loadAtStart, end: oneMinuteLoad() },
  });
  process.stderr.write(`\n== ${section.title} …\n`);
  try {
    const result = section.isolated ? await runIsolated(section) : await withTimeout(section);
    return {
      name: section.name,
      title: section.title,
      seconds: elapsed(started),
      ...result,
      measuredOn: measuredOn(),
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`   section failed: ${message}\n`);
    return {
      name: section.name,
      title: section.title,
      seconds: elapsed(started),
      metrics: [],
      error: message,
      measuredOn: measuredOn(),
    };
  }
}

const oneMinuteLoad = (): number => Math.round((loadavg()[0] ?? 0) * 100) / 100;

const elapsed = (started: number) => Math.round((performance.now() - started) / 100) / 10;

async function withTimeout(section: SectionSpec): Promise<SectionResult> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, fail) => {
    timer = setTimeout(() => fail(new Error(`timed out after ${section.timeoutMs} ms`)), section.timeoutMs);
  });
  try {
    return await Promise.race([section.run(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The section in a fresh `node --import tsx` process group, stopped (SIGTERM, then SIGKILL) at its bound. */
async function runIsolated(section: SectionSpec): Promise<SectionResult> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-section-'));
  const resultFile = join(dir, 'result.json');
  try {
    // Its own process group: at the bound, what the section started (a DynamoDB Local JVM,
    // wireguard-go) goes with it even when its own clean-up (bench/child.ts, on SIGTERM) hangs.
    const { exited, stop } = spawnGroup(
      process.execPath,
      ['--no-warnings', '--import', 'tsx', CHILD, section.name, resultFile],
      {
        stdio: ['ignore', 'inherit', 'inherit'],
        // The handlers' step logs would drown the report (and cost time while measured).
        env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'WARN', LOG_LEVEL: 'WARN' },
      },
    );
    let timedOut = false;
    const bound = setTimeout(() => {
      timedOut = true;
      void stop('SIGTERM', STOP_GRACE_MS);
    }, section.timeoutMs);
    const code = await exited;
    clearTimeout(bound);
    // A section that failed before its clean-up may have left some of its group running.
    await stop('SIGKILL', 0);
    if (timedOut) throw new Error(`timed out after ${section.timeoutMs / 1000} s`);
    if (code !== 0) {
      const reported = await readFile(resultFile, 'utf8').then(
        (text) => (JSON.parse(text) as { error?: string }).error,
        () => undefined,
      );
      throw new Error(reported ?? `section process exited with ${code} (its error is above)`);
    }
    return JSON.parse(await readFile(resultFile, 'utf8')) as SectionResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function machine(): Machine {
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    os: `${platform()} ${release()}`,
    node: process.version,
  };
}

async function readPrevious(): Promise<{ sections?: SectionOutcome[] } | undefined> {
  try {
    return JSON.parse(await readFile(LATEST, 'utf8')) as { sections?: SectionOutcome[] };
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const only = process.argv.slice(2);
  const previous = await readPrevious();
  const started = new Date();
  const outcomes: SectionOutcome[] = [];
  for (const section of SECTIONS.filter((s) => only.length === 0 || only.includes(s.name))) {
    outcomes.push(await runSection(section));
  }
  // A partial run replaces only the sections it ran; the others keep their last figures.
  const kept = (previous?.sections ?? []).filter((s) => !outcomes.some((o) => o.name === s.name));
  const report = {
    date: started.toISOString(),
    durationSeconds: Math.round((Date.now() - started.getTime()) / 1000),
    machine: machine(),
    sections: SECTIONS.flatMap((spec) => [...outcomes, ...kept].filter((o) => o.name === spec.name)),
  };
  const found = regressions(previous?.sections ?? [], outcomes);
  const skipped = notCompared(previous?.sections ?? [], outcomes);
  process.stdout.write(`\n${formatTable(outcomes)}\n`);
  process.stdout.write(
    found.length === 0
      ? `\nNo regression above 20 % against the previous results${previous ? '' : ' (none found)'}.\n`
      : `\n${found.join('\n')}\n`,
  );
  if (skipped.length > 0) process.stdout.write(`${skipped.join('\n')}\n`);
  await mkdir(RESULTS_DIR, { recursive: true });
  await writeFile(
    LATEST,
    `${JSON.stringify({ ...report, regressions: found, notCompared: skipped }, null, 2)}\n`,
  );
  const m = report.machine;
  process.stdout.write(
    `\nMachine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}. ` +
      `Took ${report.durationSeconds} s. Results: bench/results/latest.json\n`,
  );
}

main().catch((error: Error) => {
  process.stderr.write(`${error.stack ?? error.message}\n`);
  process.exitCode = 1;
});
