/**
 * A hub's fan-outs start their workflows at a bounded rate (lambdas/app/peer-fanout.ts,
 * docs/DECISIONS.md "A hub's cascade and its peerings", amended in session 18): a deleted hub's
 * peering deletions and an updated hub's peer pushes each make a dozen state transitions, from the
 * account's budget every tenant's workflows share. Timed with Jest's fake timers: the runs wait
 * through them, and each start is stamped with the fake clock.
 */
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import { cascadeGatewayRemoval } from '../../lambdas/app/gateway-cascade';
import { gatewayUpdated } from '../../lambdas/app/gateway-lifecycle';
import type { RemovedGateway, StartedExecution, WorkflowName } from '../../lambdas/app/ports';
import { DEFAULT_PEER_FANOUT_STARTS_PER_SECOND } from '../../lambdas/core/fanout-pace';
import { toPublicGateway } from '../../lambdas/core/views';
import { eventDependencies } from '../support/events-fixture';
import { RecordingWorkflows } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { newPeering, uniqueId } from '../support/records';

const T0 = Date.parse('2026-12-06T12:00:00.000Z');

/** Records the fake clock's time of each start, from the run's start. */
class TimedWorkflows extends RecordingWorkflows {
  readonly startedAtMs: number[] = [];

  override async start(workflow: WorkflowName, name: string, input: unknown): Promise<StartedExecution> {
    this.startedAtMs.push(Date.now() - T0);
    return super.start(workflow, name, input);
  }
}

/** Waits as a Lambda would, on the timers the test's fake timers move. */
const timerWait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Moves the fake timers until `run` settles; its outcome. */
async function settle<T>(run: Promise<T>): Promise<T> {
  let done = false;
  const watched = run.finally(() => {
    done = true;
  });
  while (!done) await jest.advanceTimersByTimeAsync(50);
  return watched;
}

/** How many starts fell in each second from the run's start. */
function startsPerSecond(startedAtMs: readonly number[]): number[] {
  const seconds: number[] = [];
  for (const at of startedAtMs) {
    const second = Math.floor(at / 1000);
    seconds[second] = (seconds[second] ?? 0) + 1;
  }
  return Array.from(seconds, (count) => count ?? 0);
}

/** A hub peered with `count` spokes, in a fresh repository. */
async function hubWithSpokes(count: number) {
  const repository = new MemoryRepository();
  const hub = gatewayRecord({ id: uniqueId('hub'), tunnelSubnet: '100.64.0.0/22', tunnelIp: '100.64.0.1' });
  await repository.createGateway(hub);
  for (let i = 0; i < count; i++) {
    const spoke = gatewayRecord({ id: uniqueId(`spoke${i}`) });
    await repository.createGateway(spoke);
    await repository.createPeering(newPeering(hub, spoke));
  }
  const deps = { ...eventDependencies({ repository, workflows: new TimedWorkflows() }), wait: timerWait };
  return { hub, deps };
}

beforeEach(() => jest.useFakeTimers({ now: T0 }));
afterEach(() => jest.useRealTimers());

describe("a deleted hub's cascade", () => {
  it('starts its peerings deletions at the rate set: a second of them at once, then evenly spaced', async () => {
    // Prepare: 60 peerings at 10 a second.
    const { hub, deps } = await hubWithSpokes(60);
    const removed = (await deps.repository.deleteGateway(hub.id)) as RemovedGateway;

    // Act
    jest.setSystemTime(T0);
    await settle(cascadeGatewayRemoval({ ...deps, peerFanoutStartsPerSecond: 10 }, removed));

    // Assess: all started; the burst at once, then at most 10 in any second, the last after ~5 s.
    const { startedAtMs } = deps.workflows;
    expect(startedAtMs).toHaveLength(60);
    expect(startedAtMs.filter((at) => at === 0)).toHaveLength(10);
    const [, ...afterFirst] = startsPerSecond(startedAtMs);
    for (const count of afterFirst) expect(count).toBeLessThanOrEqual(10);
    expect(Math.max(...startedAtMs)).toBeGreaterThanOrEqual(5_000);
    expect(await deps.repository.isGatewayCascadePending(hub.id)).toBe(false);
  });

  it('keeps to the default rate when none is set', async () => {
    // Prepare
    const { hub, deps } = await hubWithSpokes(100);
    const removed = (await deps.repository.deleteGateway(hub.id)) as RemovedGateway;

    // Act
    jest.setSystemTime(T0);
    await settle(cascadeGatewayRemoval(deps, removed));

    // Assess: (100 - 25) / 25 = 3 s after the burst.
    const rate = DEFAULT_PEER_FANOUT_STARTS_PER_SECOND;
    const { startedAtMs } = deps.workflows;
    expect(startedAtMs).toHaveLength(100);
    const [, ...afterFirst] = startsPerSecond(startedAtMs);
    for (const count of afterFirst) expect(count).toBeLessThanOrEqual(rate);
    expect(Math.max(...startedAtMs)).toBeGreaterThanOrEqual(((100 - rate) / rate) * 1000);
  });
});

describe("an updated hub's peer walk", () => {
  it('starts its peers pushes at the rate set', async () => {
    // Prepare: a hub of 40 peerings moves to a new endpoint; 8 starts a second.
    const { hub, deps } = await hubWithSpokes(40);

    // Act
    jest.setSystemTime(T0);
    const update = await settle(
      gatewayUpdated(
        { ...deps, peerFanoutStartsPerSecond: 8 },
        toPublicGateway({ ...hub, publicIp: '198.51.100.77' }),
      ),
    );

    // Assess: every peer pushed; 8 at once, then at most 8 in any second, the last after ~4 s.
    const { startedAtMs } = deps.workflows;
    expect(update.pushes).toHaveLength(40);
    expect(startedAtMs.filter((at) => at === 0)).toHaveLength(8);
    const [, ...afterFirst] = startsPerSecond(startedAtMs);
    for (const count of afterFirst) expect(count).toBeLessThanOrEqual(8);
    expect(Math.max(...startedAtMs)).toBeGreaterThanOrEqual(4_000);
  });
});
