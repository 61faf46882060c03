/**
 * A gateway moved to another instance by a "VPN Gateway Updated" (app/gateway-lifecycle.ts;
 * docs/DECISIONS.md, "A gateway moved to another instance", "A moved gateway's retirement window
 * and its recovery" and "A move's end is owed on the gateway item"; docs/SECURITY.md). The old
 * instance is retired before the registry moves; the registry write that moves it also writes the
 * move (`unfinishedMove`), which stays until its end has run (finishMove), so a redelivered event
 * or the sweep resumes a run that stopped anywhere after that write. Every step is idempotent.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { GatewayRecord, UnfinishedMove } from '../core/types';
import { logger } from '../shared/logger';
import type { Dependencies, InstanceSecrets, InstanceTarget } from './ports';
import { type PushRun, startGatewayPush } from './push-runs';

export type MoveDeps = Pick<Dependencies, 'repository' | 'workflows' | 'configStore' | 'commands'> & {
  /** Withdrawal only (a moved gateway's copies): the push to its new instance delivers new ones. */
  instanceSecrets: Pick<InstanceSecrets, 'withdraw'>;
  /** How the waits are spent (tests pass one their clock follows, or an instant one). */
  wait?: (ms: number) => Promise<unknown>;
};

/**
 * How often, and how many times, the walk of a move looks for its early push's document before it
 * starts without it (movedInstanceRendered): 10 s at most, beside the walk's 40 s
 * (PEER_FANOUT_BUDGET_SECONDS) in the gateway-events function's 60 s. A push renders and delivers a
 * hub of 1,000 peerings in about 1 to 2 s after its start (review s21e).
 */
export const EARLY_DOCUMENT_LOOK_MS = 250;
export const EARLY_DOCUMENT_LOOKS = 40;
/** Every how many looks the execution is asked whether it still runs (one DescribeExecution). */
const LOOKS_PER_DESCRIBE = 4;

/**
 * What was published for a gateway's previous instance goes, and that instance is told to tear the
 * gateway down, all at `generation`: its marker then refuses every push of the gateway up to it.
 * Idempotent.
 */
async function retireInstance(
  d: Pick<MoveDeps, 'configStore' | 'instanceSecrets' | 'commands'>,
  previous: InstanceTarget,
  generation: number,
): Promise<void> {
  await d.instanceSecrets.withdraw(previous);
  await d.configStore.deleteThrough(previous.gatewayId, generation);
  await d.commands.teardown({ ...previous, generation });
}

/**
 * Before the registry write that moves the gateway: the instance it leaves is retired at the move's
 * generation (`move.retiredThrough`). A move still unfinished from an earlier update (`pending`),
 * whose mark this write replaces, has its instance retired and released first, unless the gateway
 * comes back to it.
 */
export async function retireBeforeMove(
  d: MoveDeps,
  gatewayId: string,
  move: UnfinishedMove,
  pending: UnfinishedMove | undefined,
  newInstanceId: string,
): Promise<void> {
  if (
    pending !== undefined &&
    pending.instanceId !== newInstanceId &&
    pending.instanceId !== move.instanceId
  ) {
    await retireInstance(d, { gatewayId, instanceId: pending.instanceId }, move.retiredThrough);
    await d.repository.releaseInstance(pending.instanceId, gatewayId);
  }
  await retireInstance(d, { gatewayId, instanceId: move.instanceId }, move.retiredThrough);
}

/**
 * The new instance's start, right after the registry write that names it (before the peer walk,
 * so the moved gateway is not dark while its peerings are re-keyed: docs/DECISIONS.md, "A moved
 * gateway serves during its key-rotation walk"), in an order a redelivery or the sweep can resume
 * from the mark:
 * - A push reads the registry, so none that reads the gateway after the move's registry write
 *   reaches the old instance, and none that read it before renders above the generation `stored`
 *   holds (read with that write, or a later one). When that is above `retiredThrough` (a peering
 *   change committed while the old instance was being retired, or a resumed run's re-retirement
 *   that stopped), the old instance is retired again at it, and the new instance gets a generation
 *   above it: the push of that one may have gone to the old instance, taking its execution name,
 *   and its push item, of the same generation, would not be replaced.
 * - Its reports are forgotten and its lock released, then the new instance's push started (joined
 *   by name when a stopped run started it). It renders the registry as it reads it: the preshared
 *   keys the walk has not rotated yet, which the peer gateways not walked yet still hold.
 */
export async function startMovedInstance(
  d: MoveDeps,
  stored: GatewayRecord,
  move: UnfinishedMove,
): Promise<PushRun> {
  let generation = stored.desiredGeneration;
  if (generation > move.retiredThrough) {
    await retireInstance(d, { gatewayId: stored.id, instanceId: move.instanceId }, generation);
    generation = (await d.repository.bumpGeneration(stored.id)) ?? generation;
  }
  await d.repository.forgetInstanceReports(stored.id);
  await d.repository.releaseInstance(move.instanceId, stored.id);
  return startGatewayPush(d, stored.id, generation);
}

/**
 * Waits, bounded, until the early push (`started`, startMovedInstance's) has published the new
 * instance's document of its generation, for the walk to begin after it (docs/DECISIONS.md, "A
 * moved gateway's early push renders before its walk"): each switch of the walk moves the
 * gateway's generation, every 40 ms at the default rate, and a render of a hub of 1,000 peerings
 * reads longer than that, so one begun during the walk seldom renders. A push publishes its
 * document after it delivered the secrets the document names, before its command: once it is
 * there, the walk may delete the keys it replaces. False (logged) when the execution ended without
 * it (the gateway gone, or a peering change committed meanwhile: it rendered above) or the looks
 * ran out; the walk starts then anyway, and a push it outruns ends superseded (app/push.ts).
 */
export async function movedInstanceRendered(
  d: Pick<MoveDeps, 'configStore' | 'workflows' | 'wait'>,
  started: PushRun,
): Promise<boolean> {
  const wait = d.wait ?? sleep;
  const { gatewayId, generation, executionId } = started;
  for (let look = 1; look <= EARLY_DOCUMENT_LOOKS; look++) {
    if ((await d.configStore.get(gatewayId, generation)) !== undefined) return true;
    if (look % LOOKS_PER_DESCRIBE === 0 && (await d.workflows.describe(executionId)).status !== 'RUNNING')
      break;
    await wait(EARLY_DOCUMENT_LOOK_MS);
  }
  logger.warn("moved gateway's walk starts before its early push published", {
    gatewayId,
    generation,
    executionId,
  });
  return false;
}

/**
 * The end of a move, once the peer walk gave every peering its new key: the new instance's push at
 * the gateway's generation read now, which holds every switch (each moved it), when that is above
 * `started`'s (startMovedInstance's, rendered before them, which it would otherwise join); then the
 * mark settled, conditional on being this move's (a later move's stays). Undefined when nothing
 * moved the generation since `started` (no peering switched): that push renders the end state.
 */
export async function finishMove(
  d: MoveDeps,
  gatewayId: string,
  move: UnfinishedMove,
  started: PushRun,
): Promise<PushRun | undefined> {
  const current = (await d.repository.getGateway(gatewayId))?.desiredGeneration;
  const push =
    current !== undefined && current > started.generation
      ? await startGatewayPush(d, gatewayId, current)
      : undefined;
  await d.repository.settleMove(gatewayId, move);
  return push;
}
