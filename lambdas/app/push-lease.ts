/**
 * A gateway's pushes coalesced under its push lease (docs/DECISIONS.md, "Coalescing a gateway's
 * pushes"): one push in flight per gateway; a push that finds the lease held waits and tries
 * again, done once the instance applied what its execution needs, else it takes the freed lease and
 * sends the latest generation, which covers every waiter. The send itself is push.ts's
 * (pushGatewayConfig); the lease is freed by its poll (checkPush) when the command ends.
 */
import { pushLeaseFree } from '../core/push-lease';
import type { GatewayRecord } from '../core/types';
import { type PushDeps, type PushTicket, pushGatewayConfig } from './push';
import { isDriftRepair } from './push-runs';

/**
 * How long a push lease keeps other pushes of its gateway waiting: about what a healthy apply takes
 * at most (on AWS a push's CheckCommand gives up after 60 polls of 2 s), not the command's SSM
 * timeout (600 s), since a holder that vanished (its execution stopped) would keep every waiter that
 * long. The lease only spares commands: a holder still polling when it expires costs one command
 * more (the instance applies in order and skips stale documents), never a wrong apply.
 */
export const PUSH_LEASE_MS = 2 * 60_000;

/** How often a waiter reads the gateway too, not only the lease (pushUnderLease). */
export const FULL_TRY_INTERVAL_MS = 15_000;

/** A push that waits for the gateway's lease: what its execution needs applied, and its tries. */
export interface QueuedPush {
  gatewayId: string;
  gatewayCreatedAt: string;
  /** The instance the gateway had at the last full try: a lease for another one is stale. */
  instanceId: string;
  /** When the gateway was last read (the last full try). */
  checkedAt: string;
  /**
   * The gateway's generation at the execution's first try, read after its own change: what
   * Activate requires (the generation it would have rendered). Kept across tries, so a waiter never
   * chases the changes of pushes started after it.
   */
  generation: number;
  tries: number;
}

export type LeasedPush =
  | { kind: 'gone' }
  | { kind: 'applied'; generation: number }
  | { kind: 'queued'; queued: QueuedPush }
  | { kind: 'sent'; ticket: PushTicket };

/**
 * One try of a push that coalesces with the gateway's others (docs/DECISIONS.md "Coalescing a
 * gateway's pushes"): done without sending when the gateway's instance already applied what this
 * execution needs; otherwise it takes the gateway's push lease and sends the latest generation
 * (which covers every waiter), or, the lease held by another push, answers queued, to try again
 * after a wait. The lease is held by the execution's push loop (`loop`, its state name): a retried
 * step finds its own lease and its recorded command instead of sending twice. After `maxTries` queued tries it sends without
 * the lease, as every push did before.
 */
export async function pushUnderLease(
  d: PushDeps,
  gatewayId: string,
  lease: { execution: string; loop: string; queued?: QueuedPush; maxTries: number },
): Promise<LeasedPush> {
  const { queued } = lease;
  const holder = `${lease.execution}/${lease.loop}`;
  // A waiter whose lease is still another's, live, reads nothing else (1 read a try), but once
  // FULL_TRY_INTERVAL_MS passed it reads the gateway too: one deleted, moved or registered again
  // since it last looked is then found that soon, not at the lease's expiry.
  const now = d.clock();
  const quickTry =
    queued !== undefined &&
    queued.tries < lease.maxTries &&
    now.getTime() - Date.parse(queued.checkedAt) < FULL_TRY_INTERVAL_MS;
  if (quickTry && (await heldByAnother(d, queued, lease.execution, holder))) {
    return { kind: 'queued', queued: { ...queued, tries: queued.tries + 1 } };
  }
  // Read together: a push's latency is mostly round trips (bench section 1).
  const [gateway, applied] = await Promise.all([
    d.repository.getGateway(gatewayId),
    d.repository.getAppliedGeneration(gatewayId),
  ]);
  if (!gateway) return { kind: 'gone' };
  // A waiter of another incarnation (the id deleted and registered again) needs this one's state.
  const sameIncarnation = queued?.gatewayCreatedAt === gateway.createdAt;
  const needed = queued && sameIncarnation ? queued.generation : gateway.desiredGeneration;
  // A drift repair sends whatever APPLIED says: its instance reported running less (rolled back).
  if (!isDriftRepair(lease.execution) && appliedCovers(applied, gateway, needed)) {
    // A retried step whose first run took the lease and sent (then was cut off) ends here when
    // its command applied meanwhile, with no CheckCommand left to free the lease: freed here, so
    // the gateway's other pushes need not wait out the expiry. A waiter that never took it pays
    // one conditional delete that changes nothing.
    await d.repository.releasePushLease(gatewayId, holder);
    return { kind: 'applied', generation: needed };
  }
  const tries = queued?.tries ?? 0;
  if (tries >= lease.maxTries) return sent(await pushGatewayConfig(d, gatewayId, gateway));
  const taken = await d.repository.takePushLease(
    {
      gatewayId,
      execution: lease.execution,
      leaseHolder: holder,
      gatewayCreatedAt: gateway.createdAt,
      instanceId: gateway.instanceId,
      expiresAt: new Date(now.getTime() + PUSH_LEASE_MS).toISOString(),
    },
    now.toISOString(),
  );
  if (!taken) {
    const { createdAt: gatewayCreatedAt, instanceId } = gateway;
    return {
      kind: 'queued',
      queued: {
        gatewayId,
        gatewayCreatedAt,
        instanceId,
        generation: needed,
        tries: tries + 1,
        checkedAt: now.toISOString(),
      },
    };
  }
  const { commandId, generation, deliveredAt } = taken;
  if (commandId !== undefined && generation !== undefined) {
    // This loop's own command, sent by a run that died before answering: poll it (resumed).
    const { gatewayCreatedAt, instanceId } = taken;
    const ticket = { gatewayId, gatewayCreatedAt, instanceId, commandId, generation, polls: 0 };
    const delivered = deliveredAt === undefined ? {} : { deliveredAt };
    return sent({ ...ticket, ...delivered, leaseHolder: holder, resumed: true });
  }
  const ticket = await pushGatewayConfig(d, gatewayId, gateway).catch(async (error: unknown) => {
    // Nothing sent: the waiters need not wait out the expiry (a retry of this step takes it again).
    await d.repository.releasePushLease(gatewayId, holder);
    throw error;
  });
  if (!ticket) return { kind: 'gone' };
  await d.repository.recordPushLeaseCommand({
    ...taken,
    commandId: ticket.commandId,
    generation: ticket.generation,
    deliveredAt: ticket.deliveredAt ?? now.toISOString(),
  });
  return sent({ ...ticket, leaseHolder: holder });
}

/** A push sent, or not (undefined: the gateway is gone). */
export const sent = (ticket: PushTicket | undefined): LeasedPush =>
  ticket ? { kind: 'sent', ticket } : { kind: 'gone' };

/** Whether another push loop holds the gateway's lease, live, for what the waiter last saw. */
async function heldByAnother(
  d: Pick<PushDeps, 'repository' | 'clock'>,
  queued: QueuedPush,
  execution: string,
  holder: string,
): Promise<boolean> {
  const stored = await d.repository.getPushLease(queued.gatewayId);
  if (!stored || stored.leaseHolder === holder) return false;
  const wanted = { execution, leaseHolder: holder, ...queued };
  return !pushLeaseFree(stored, wanted, d.clock().toISOString());
}

/**
 * Whether the gateway's instance applied `generation` or above, as this incarnation on its current
 * instance (a report of another is never the gateway's: plausiblyApplied).
 */
function appliedCovers(
  applied: Awaited<ReturnType<PushDeps['repository']['getAppliedGeneration']>>,
  gateway: GatewayRecord,
  generation: number,
): boolean {
  return (
    applied !== undefined &&
    applied.appliedGeneration >= generation &&
    applied.instanceId === gateway.instanceId &&
    applied.gatewayCreatedAt === gateway.createdAt
  );
}
