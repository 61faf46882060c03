/**
 * runtime/repeat.ts: a timer's period is 0 (never) or a positive number of milliseconds a Node timer
 * holds. Anything else (NaN from a mistyped setting, a negative or an endless period, one past
 * 2^31-1 ms) is refused: Node would run the task every millisecond.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { repeat } from '../../runtime/repeat';

describe('repeat', () => {
  it.each([
    ['NaN', Number.NaN],
    ['-1', -1],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['2^31 (past what a timer holds)', 2 ** 31],
  ])('refuses the period %s', (_case, period) => {
    // Prepare
    const task = jest.fn(async () => {});
    // Act
    const act = () => repeat(period, task, () => {});
    // Assess
    expect(act).toThrow(RangeError);
    expect(task).not.toHaveBeenCalled();
  });

  it('never runs the task for a period of 0', async () => {
    // Prepare
    const task = jest.fn(async () => {});
    // Act
    const stop = repeat(0, task, () => {});
    await sleep(30);
    await stop();
    // Assess
    expect(task).not.toHaveBeenCalled();
  });

  it('runs the task every period until stopped', async () => {
    // Prepare
    const task = jest.fn(async () => {});
    // Act
    const stop = repeat(10, task, () => {});
    await sleep(100);
    await stop();
    const runs = task.mock.calls.length;
    await sleep(30);
    // Assess: a few runs (not one per millisecond), none after the stop.
    expect(runs).toBeGreaterThanOrEqual(2);
    expect(runs).toBeLessThanOrEqual(12);
    expect(task.mock.calls.length).toBe(runs);
  });
});
