/**
 * A gateway moved to another instance by a "VPN Gateway Updated" (app/gateway-lifecycle.ts;
 * docs/DECISIONS.md, "A gateway moved to another instance", "A moved gateway's retirement window
 * and its recovery" and "A move's end is owed on the gateway item"; docs/SECURITY.md). The old
 * instance is retired before the registry moves; the registry write that moves it also writes the
 * move (`unfinishedMove`), which stays until its end has run (finishMove), so a redelivered event
 * or the sweep resumes a run that stopped anywhere after that write. Every step is idempotent.
 */
import type { GatewayRecord, UnfinishedMove } from '../core/types';
import type { Dependencies, InstanceSecrets, InstanceTarget } from './ports';
import { type PushRun, startGatewayPush } from './push-runs';

export type MoveDeps = Pick<Dependencies, 'repository' | 'workflows' | 'configStore' | 'commands'> & {
  /** Withdrawal only (a moved gateway's copies): the push to its new instance delivers new ones. */
  instanceSecrets: Pick<InstanceSecrets, 'withdraw'>;
};

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
