/**
 * The fan-outs' start rate (lambdas/core/fanout-pace.ts): a burst at once, then one start per
 * 1/rate seconds, reserved in turn by starts asking at the same moment; the time is the caller's.
 */
import { StartPacer } from '../../../lambdas/core/fanout-pace';

it('lets the burst go at once, then gives starts asking together successive slots', () => {
  // Prepare: 4 a second, a burst of 2.
  const pacer = new StartPacer({ ratePerSecond: 4, burst: 2 });

  // Act: six starts ask at 0 ms.
  const waits = Array.from({ length: 6 }, () => pacer.reserve(0));

  // Assess
  expect(waits).toEqual([0, 0, 250, 500, 750, 1000]);
});

it('counts the time passed: a start asking late waits only for what is still owed', () => {
  // Prepare: one a second, no burst beyond one; two reserved at 0 (slots 0 and 1,000 ms).
  const pacer = new StartPacer({ ratePerSecond: 1, burst: 1 });
  pacer.reserve(0);
  pacer.reserve(0);

  // Act
  const at600 = pacer.reserve(600);
  const afterIdle = pacer.reserve(10_000);

  // Assess: the third slot is at 2,000 ms; after a long idle the bucket is full again (no more).
  expect(at600).toBe(1_400);
  expect(afterIdle).toBe(0);
  expect(pacer.reserve(10_000)).toBe(1_000);
});

it('refuses a rate that would never start anything', () => {
  // Act
  const act = () => new StartPacer({ ratePerSecond: 0, burst: 1 });

  // Assess
  expect(act).toThrow(RangeError);
});
