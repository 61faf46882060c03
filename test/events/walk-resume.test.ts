/**
 * A rerun of a hub's peer walk resumes it (lambdas/app/gateway-peer-walk.ts; docs/DECISIONS.md, "A
 * rerun of a hub's peer walk resumes"): the peers a stopped run finished take no start slot, so the
 * event's retry crosses them at lane speed and reaches the tail, however long the whole walk takes
 * at the start rate; a start the run before failed is a new execution, paced as one (review s21e).
 * Run on a virtual clock: each wait moves it, and one that would pass the run's deadline rejects,
 * as the Lambda's timeout would end the run there.
 */
import { gatewayUpdated } from '../../lambdas/app/gateway-lifecycle';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { eventDependenciesAt } from '../support/events-fixture';
import { gatewayRecord } from '../support/gateways';
import { newPeering, uniqueId } from '../support/records';

const T0 = Date.parse('2026-12-06T12:00:00.000Z');
const SPOKES = 60;
const STARTS_PER_SECOND = 10;
/** Each run's time: 10 at once, then 30 more; 60 peers at 10 a second need 5 s. */
const RUN_MS = 3_000;
/** Lambda's asynchronous retry: the update lease (75 s) has expired by then. */
const RETRY_AFTER_MS = 65_000;

/** What a push-gateway execution is started with. */
type PushInput = { gatewayId: string };

class TimedOut extends Error {
  override readonly name = 'TimedOut';
}

/** A hub peered with SPOKES spokes, on its own instance, and deps on a clock runs move. */
async function hubWithSpokes() {
  const { deps, setNow } = eventDependenciesAt(T0);
  const { repository } = deps;
  const hub = gatewayRecord({ id: uniqueId('hub'), tunnelSubnet: '100.64.0.0/22', tunnelIp: '100.64.0.1' });
  await repository.createGateway(hub);
  await repository.claimInstance(hub.instanceId, hub.id);
  const spokes: GatewayRecord[] = [];
  for (let i = 0; i < SPOKES; i++) {
    const spoke = gatewayRecord({ id: uniqueId(`spoke${i}`) });
    await repository.createGateway(spoke);
    await repository.createPeering(newPeering(hub, spoke));
    spokes.push(spoke);
  }
  let nowMs = T0;
  let deadlineMs = Number.POSITIVE_INFINITY;
  const wait = async (ms: number) => {
    if (nowMs + ms > deadlineMs) throw new TimedOut('Task timed out');
    nowMs += ms;
    setNow(nowMs);
  };
  /** One invocation from `atMs`: its waits end at its deadline, `runMs` later. */
  const invocation = (atMs: number, runMs = RUN_MS) => {
    nowMs = atMs;
    setNow(atMs);
    deadlineMs = atMs + runMs;
    return { ...deps, wait, peerFanoutStartsPerSecond: STARTS_PER_SECOND };
  };
  return { hub, spokes, deps, invocation, now: () => nowMs };
}

type Change = (hub: GatewayRecord) => GatewayRecord;
const moved: Change = (hub) => ({ ...hub, instanceId: 'i-0new' });
const readdressed: Change = (hub) => ({ ...hub, publicIp: '198.51.100.77' });
/** The two updates that walk a hub's peers. */
const CHANGES: [string, Change][] = [
  ['a move (every peering re-keyed)', moved],
  ['an endpoint change', readdressed],
];

it.each(CHANGES)(
  '%s: the retry of a walk stopped part-way finishes its tail in one run',
  async (_name, change) => {
    // Prepare: the first run is ended by its timeout about 40 peers in.
    const { hub, spokes, deps, invocation } = await hubWithSpokes();
    const event = toPublicGateway(change(hub));
    await expect(gatewayUpdated(invocation(T0), event)).rejects.toThrow(TimedOut);
    const pushedFirst = new Set(deps.workflows.starts.map((start) => (start.input as PushInput).gatewayId));

    // Act: the event's retry, with a run as long.
    const update = await gatewayUpdated(invocation(T0 + RETRY_AFTER_MS), event);

    // Assess: the first run left a tail, which the retry pushed with the rest; the walk settled, the
    // move finished (its hub pushed at the generation holding every switch).
    const pushed = new Set(update.pushes.map((push) => push.gatewayId));
    expect(spokes.filter((spoke) => !pushedFirst.has(spoke.id)).length).toBeGreaterThan(0);
    expect(spokes.filter((spoke) => !pushed.has(spoke.id))).toEqual([]);
    const stored = await deps.repository.getGateway(hub.id);
    expect(stored?.peerWalkOwedSince).toBeUndefined();
    expect(stored?.unfinishedMove).toBeUndefined();
  },
);

it.each(CHANGES)(
  '%s: the retry of a walk whose push starts failed starts them at the rate',
  async (_name, change) => {
    // Prepare: a first run writes every peer, paced, but Step Functions refuses each spoke's start
    // (throttled past the adapter's retries); the run throws, for the event's retry.
    const { hub, deps, invocation, now } = await hubWithSpokes();
    const event = toPublicGateway(change(hub));
    const unbounded = Number.POSITIVE_INFINITY;
    deps.workflows.failFor = (name) => !name.includes(hub.id);
    await expect(gatewayUpdated(invocation(T0, unbounded), event)).rejects.toThrow(/cannot start/);
    deps.workflows.failFor = () => false;
    const startsBefore = deps.workflows.starts.length;

    // Act: the retry, Step Functions back.
    const retryAt = T0 + RETRY_AFTER_MS;
    await gatewayUpdated(invocation(retryAt, unbounded), event);

    // Assess: every spoke's execution is a new one (no earlier start took its name), so the retry
    // starts them at the rate, as a fresh walk does: 60 at 10 a second, the first 10 at once.
    const spokeStarts = deps.workflows.starts
      .slice(startsBefore)
      .filter((start) => (start.input as PushInput).gatewayId !== hub.id);
    expect(spokeStarts).toHaveLength(SPOKES);
    expect(now() - retryAt).toBeGreaterThanOrEqual(((SPOKES - STARTS_PER_SECOND) / STARTS_PER_SECOND) * 1000);
  },
);
