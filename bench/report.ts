/** The summary table and the regression check against the previous results file. */
import { type Metric, round, type SectionResult } from './harness';

export interface SectionOutcome extends SectionResult {
  name: string;
  title: string;
  seconds: number;
  error?: string;
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

/** `REGRESSION …` lines for every lower-is-better numeric figure up more than 20 % on the previous run. */
export function regressions(previous: SectionOutcome[], current: SectionOutcome[]): string[] {
  const before = new Map<string, number>();
  for (const outcome of previous) {
    for (const m of outcome.metrics ?? []) {
      if (m.lowerIsBetter && typeof m.value === 'number') before.set(`${outcome.name}/${m.metric}`, m.value);
    }
  }
  return current.flatMap((outcome) =>
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
