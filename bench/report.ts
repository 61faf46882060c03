/** The summary table and the regression check against the previous results file. */
import { type Metric, round, type SectionResult } from './harness';

export interface SectionOutcome extends SectionResult {
  name: string;
  title: string;
  seconds: number;
  error?: string;
  /** Where and under what load this section ran; a partial run keeps other sections' own. */
  measuredOn?: MeasuredOn;
}

export interface Machine {
  cpu: string;
  cores: number;
  memoryGiB: number;
  os: string;
  node: string;
}

export interface MeasuredOn {
  date: string;
  machine: Machine;
  /** The 1-minute load average just before the section started and just after it ended. */
  loadAverage: { start: number; end: number };
}

/** A regression: a lower-is-better figure more than this fraction above the previous run's. */
const REGRESSION_THRESHOLD = 0.2;

const COLUMNS = ['section', 'metric', 'value', 'baseline', 'ratio', 'goal'] as const;

const show = (value: number | string | undefined, unit?: string): string => {
  if (value === undefined) return '';
  const text = typeof value === 'number' ? String(round(value)) : value;
  return unit ? `${text} ${unit}` : text;
};

function rowsOf(outcome: SectionOutcome): string[][] {
  if (outcome.error) return [[outcome.title, 'FAILED', outcome.error.slice(0, 100), '', '', '']];
  if (outcome.skipped) return [[outcome.title, 'SKIPPED', outcome.skipped.slice(0, 100), '', '', '']];
  return outcome.metrics.map((m: Metric, i) => [
    i === 0 ? outcome.title : '',
    m.metric,
    show(m.value, m.unit),
    show(m.baseline, typeof m.baseline === 'number' ? m.unit : undefined),
    m.ratio === undefined ? '' : `${round(m.ratio)}×`,
    m.goal ?? '',
  ]);
}

export function formatTable(outcomes: SectionOutcome[]): string {
  const rows = outcomes.flatMap(rowsOf);
  const widths = COLUMNS.map((title, c) => Math.max(title.length, ...rows.map((r) => (r[c] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((cell, c) => cell.padEnd(widths[c] ?? 0)).join(' | ')} |`;
  const rule = `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`;
  const notes = outcomes.flatMap((o) => (o.notes ?? []).map((note) => `  ${o.title}: ${note}`));
  return [line(COLUMNS), rule, ...rows.map(line), '', 'Notes:', ...notes].join('\n');
}

/**
 * Why a section's figures cannot be compared with its previous ones, or undefined when they can:
 * either run's machine unrecorded or different, or either run under load. Loaded: a 1-minute load
 * average above the cores before the section started (someone else's work: a section alone keeps it
 * at most near the cores), or above twice the cores when it ended. A section compared with one
 * measured on another machine or beside other work reports that work, not a change of the code
 * (the section 4 run on a loaded machine of 2026-12-05 would have hidden a 60 % regression).
 */
export function incomparability(previous: SectionOutcome, current: SectionOutcome): string | undefined {
  const [before, now] = [previous.measuredOn, current.measuredOn];
  if (!before) return 'the previous run recorded no machine or load';
  if (!now) return 'this run recorded no machine or load';
  if (JSON.stringify(before.machine) !== JSON.stringify(now.machine))
    return 'the previous run was on another machine';
  const loaded = (on: MeasuredOn) =>
    on.loadAverage.start > on.machine.cores || on.loadAverage.end > 2 * on.machine.cores;
  const load = (on: MeasuredOn) =>
    `load ${on.loadAverage.start} → ${on.loadAverage.end} on ${on.machine.cores} cores`;
  if (loaded(before)) return `the previous run was under load (${load(before)})`;
  if (loaded(now)) return `this run was under load (${load(now)})`;
  return undefined;
}

/** Sections with previous figures that were not compared, and why. */
export function notCompared(previous: SectionOutcome[], current: SectionOutcome[]): string[] {
  return current.flatMap((outcome) => {
    const earlier = previous.find((p) => p.name === outcome.name);
    const reason = earlier && incomparability(earlier, outcome);
    return reason ? [`not compared: ${outcome.name}: ${reason}`] : [];
  });
}

/**
 * `REGRESSION …` lines for every lower-is-better numeric figure up more than 20 % on the previous
 * run, among the sections that can be compared (incomparability).
 */
export function regressions(previous: SectionOutcome[], current: SectionOutcome[]): string[] {
  const before = new Map<string, number>();
  for (const outcome of previous) {
    for (const m of outcome.metrics ?? []) {
      if (m.lowerIsBetter && typeof m.value === 'number') before.set(`${outcome.name}/${m.metric}`, m.value);
    }
  }
  const comparable = (outcome: SectionOutcome) => {
    const earlier = previous.find((p) => p.name === outcome.name);
    return earlier !== undefined && incomparability(earlier, outcome) === undefined;
  };
  return current.filter(comparable).flatMap((outcome) =>
    outcome.metrics.flatMap((m) => {
      const old = before.get(`${outcome.name}/${m.metric}`);
      if (!m.lowerIsBetter || typeof m.value !== 'number' || old === undefined || old <= 0) return [];
      const change = (m.value - old) / old;
      return change > REGRESSION_THRESHOLD
        ? [
            `REGRESSION ${outcome.name}: ${m.metric} ${old} → ${m.value}${m.unit ? ` ${m.unit}` : ''} (+${Math.round(change * 100)} %)`,
          ]
        : [];
    }),
  );
}
