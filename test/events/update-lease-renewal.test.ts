/**
 * A gateway's update lease is renewed while its update runs (lambdas/app/gateway-update-lease.ts):
 * where nothing stops a run (the embedded runtime has no timeout), a walk longer than the expiry
 * keeps other updates out.
 */
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import {
  UPDATE_LEASE_MS,
  UPDATE_LEASE_RENEWAL_MS,
  underUpdateLease,
} from '../../lambdas/app/gateway-update-lease';

afterEach(() => jest.useRealTimers());

it('keeps the lease of an update that outlasts the expiry, and frees it at the end', async () => {
  // Prepare: a clock the fake timers move, and an update that ends when the test says.
  jest.useFakeTimers({ now: Date.parse('2026-12-05T12:00:00.000Z') });
  const repository = new MemoryRepository();
  const deps = { repository, clock: () => new Date() };
  let finish!: () => void;
  const running = underUpdateLease(deps, 'gw-hub', () => new Promise<void>((resolve) => (finish = resolve)));
  await jest.advanceTimersByTimeAsync(0);

  // Act: twice the expiry passes while the update runs.
  await jest.advanceTimersByTimeAsync(2 * UPDATE_LEASE_MS);
  const now = Date.now();
  const another = await repository.takeUpdateLease('gw-hub', 'another-update', now + UPDATE_LEASE_MS, now);
  finish();
  await running;
  const afterEnd = await repository.takeUpdateLease('gw-hub', 'another-update', now + UPDATE_LEASE_MS, now);

  // Assess
  expect(UPDATE_LEASE_RENEWAL_MS).toBeLessThan(UPDATE_LEASE_MS / 2);
  expect(another).toBe(false);
  expect(afterEnd).toBe(true);
});

it('frees the lease after a renewal still in flight when the update ended', async () => {
  // Prepare: the renewal's write is slow, and the update ends while it is on its way.
  jest.useFakeTimers({ now: Date.parse('2026-12-05T12:00:00.000Z') });
  const repository = new MemoryRepository();
  const takeUpdateLease = repository.takeUpdateLease.bind(repository);
  let renewalSent!: () => void;
  const renewalArrives = new Promise<void>((resolve) => (renewalSent = resolve));
  let takes = 0;
  repository.takeUpdateLease = async (...args) => {
    takes += 1;
    if (takes === 2) await renewalArrives;
    return takeUpdateLease(...args);
  };
  let finish!: () => void;
  const running = underUpdateLease({ repository, clock: () => new Date() }, 'gw-hub', () => {
    return new Promise<void>((resolve) => (finish = resolve));
  });
  await jest.advanceTimersByTimeAsync(UPDATE_LEASE_RENEWAL_MS);

  // Act: the update ends, then the renewal's write lands.
  finish();
  await jest.advanceTimersByTimeAsync(0);
  renewalSent();
  await running;

  // Assess: nothing holds the lease after the update's end.
  const now = Date.now();
  expect(takes).toBe(2);
  expect(await takeUpdateLease('gw-hub', 'another-update', now + UPDATE_LEASE_MS, now)).toBe(true);
});
