import { type MeasuredOn, notCompared, regressions, type SectionOutcome } from './report';

const machine = { cpu: 'AMD EPYC', cores: 2, memoryGiB: 23.5, os: 'linux 6.18', node: 'v20.20.2' };
const idle: MeasuredOn = { date: '2026-12-06T00:00:00.000Z', machine, loadAverage: { start: 0.4, end: 1.9 } };

function applyCost(ms: number, measuredOn: MeasuredOn | undefined): SectionOutcome {
  return {
    name: 'apply-cost',
    title: '4. per-change apply cost',
    seconds: 30,
    metrics: [
      { metric: 'apply +1 road-warrior peer at 1 peers', value: ms, unit: 'ms', lowerIsBetter: true },
    ],
    measuredOn,
  };
}

describe('regressions (bench/run.ts)', () => {
  it('reports a figure up more than 20 % on the same machine, both runs idle', () => {
    // Prepare
    const previous = [applyCost(60, idle)];
    // Act
    const found = regressions(previous, [applyCost(80, idle)]);
    // Assess
    expect(found).toEqual([
      'REGRESSION apply-cost: apply +1 road-warrior peer at 1 peers 60 → 80 ms (+33 %)',
    ]);
  });

  it('does not compare with a previous section measured under load, and says so', () => {
    // Prepare: the loaded run of 2026-12-05 (bare wg set 35–49 ms) as the reference
    const loaded = { ...idle, loadAverage: { start: 5.3, end: 6 } };
    const previous = [applyCost(140, loaded)];
    // Act
    const found = regressions(previous, [applyCost(60, idle)]);
    const skipped = notCompared(previous, [applyCost(60, idle)]);
    // Assess
    expect(found).toEqual([]);
    expect(skipped).toEqual([
      'not compared: apply-cost: the previous run was under load (load 5.3 → 6 on 2 cores)',
    ]);
  });

  it('does not compare with a previous section measured on another machine or with no record', () => {
    // Prepare
    const elsewhere = { ...idle, machine: { ...machine, cores: 8 } };
    // Act
    const found = [
      ...regressions([applyCost(10, elsewhere)], [applyCost(60, idle)]),
      ...regressions([applyCost(10, undefined)], [applyCost(60, idle)]),
    ];
    // Assess
    expect(found).toEqual([]);
  });
});
