/**
 * One "VPN Gateway Updated" of a gateway processed at a time (docs/DECISIONS.md, "One update of a
 * gateway at a time"). EventBridge invokes the rule's target concurrently, so two quick updates of
 * a hub can meet; their peer walks and registry writes would interleave, and a peer gateway could
 * keep the endpoint or key of the update whose registry write came first while the later one
 * settles its walk (gateway-lifecycle.ts). Under the lease, each update reads the registry after
 * the one before it ended, so the last to run leaves every peer with what the registry holds.
 */
import { GatewayUpdateInProgressError } from '../core/errors';
import { logger } from '../shared/logger';
import { retry } from '../shared/retry';
import { changeMark } from './new-records';
import type { Dependencies } from './ports';

/**
 * How long a lease keeps other updates of its gateway waiting: longer than the functions that take
 * it may run (their timeout, 60 s: lib/constructs/peering-function.ts ROLE_TIMEOUTS, checked by
 * test/infra). One left by a run that stopped is free by the time Lambda retries an event (a
 * minute after a failure, then two).
 */
export const UPDATE_LEASE_MS = 75_000;

/**
 * A holder extends its lease this often while its update runs: where nothing stops a run (the
 * embedded runtime has no timeout, and a large hub's walk on DynamoDB Local can outlast the
 * expiry), the lease never expires under a live holder.
 */
export const UPDATE_LEASE_RENEWAL_MS = UPDATE_LEASE_MS / 3;

/** Takes of a held lease, the first included, before the update is refused for its retry. */
export const UPDATE_LEASE_TRIES = 8;

/** The pause after take `attempt`: 250 ms doubling to 2 s, jittered; about 10 s in all. */
const pauseAfter = (attempt: number, random: number): number =>
  Math.min(250 * 2 ** (attempt - 1), 2_000) * (0.75 + random / 4);

export interface UpdateLeaseDeps extends Pick<Dependencies, 'repository' | 'clock'> {
  /** How the waits are spent (tests pass an instant one). */
  wait?: (ms: number) => Promise<unknown>;
}

/**
 * Runs `update` holding the gateway's update lease, and frees it after, whatever the outcome: a
 * failed update's retry takes it again, and one that ran meanwhile read the registry as the
 * failed one left it (its peerWalkOwedSince included). A lease held by another update is waited
 * for, about 10 s (`tries` takes); still held, GatewayUpdateInProgressError, for the event's retry
 * (Lambda's asynchronous retries, then the rule's dead-letter queue).
 */
export async function underUpdateLease<T>(
  d: UpdateLeaseDeps,
  gatewayId: string,
  update: () => Promise<T>,
  tries = UPDATE_LEASE_TRIES,
): Promise<T> {
  const holder = changeMark(d.clock());
  const take = async (): Promise<boolean> => {
    const now = d.clock().getTime();
    return d.repository.takeUpdateLease(gatewayId, holder, now + UPDATE_LEASE_MS, now);
  };
  await retry(
    async () => {
      if (!(await take())) throw new GatewayUpdateInProgressError(gatewayId);
    },
    {
      attempts: tries,
      delayMs: pauseAfter,
      retryable: (error) => error instanceof GatewayUpdateInProgressError,
      ...(d.wait ? { wait: d.wait } : {}),
    },
  ).catch((error: unknown) => {
    if (error instanceof GatewayUpdateInProgressError) {
      logger.warn('another update of the gateway is being processed: this one is retried', { gatewayId });
    }
    throw error;
  });
  // The holder's own take extends it (a failed renewal is logged: the lease may then expire).
  let renewing: Promise<unknown> = Promise.resolve();
  const renewal = setInterval(() => {
    renewing = take().then(
      (kept) => kept || logger.error('update lease lost to another update', { gatewayId }),
      (error: unknown) => logger.warn('update lease not renewed', { gatewayId, error: String(error) }),
    );
  }, UPDATE_LEASE_RENEWAL_MS);
  renewal.unref();
  try {
    return await update();
  } finally {
    clearInterval(renewal);
    // A renewal on its way would otherwise land after the release and hold the lease on.
    await renewing;
    // Not freed (a throttled delete): the lease expires; the update's outcome stands either way.
    await d.repository.releaseUpdateLease(gatewayId, holder).catch((error: unknown) => {
      logger.warn('update lease not freed: it expires', { gatewayId, error: String(error) });
    });
  }
}
