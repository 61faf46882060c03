/**
 * The cascade of the embedded runtime's memory storage (`VPG_STORAGE=memory`): where DynamoDB's
 * stream hands a removed gateway to the cascade handler, the in-memory repository hands it here.
 * Removals run one at a time, in order, retried like a stream batch until they succeed or the
 * attempts run out (then logged: the memory mode is for tests, where a failure shows), through the
 * one retry loop (lambdas/shared/retry.ts).
 */
import { type CascadeDeps, cascadeGatewayRemoval } from '../lambdas/app/gateway-cascade';
import type { GatewayRecord } from '../lambdas/core/types';
import { type RetryOptions, retry } from '../lambdas/shared/retry';
import { errorFields, type RuntimeLog } from './runtime-log';

const ATTEMPTS = 5;
const RETRY_PAUSE_MS = 200;

export interface MemoryCascade {
  /** What the repository calls when a gateway is deleted. */
  removed(gateway: GatewayRecord): void;
  /** Resolves once every removal so far has been cascaded. */
  idle(): Promise<void>;
}

export function memoryCascade(
  deps: () => CascadeDeps,
  log: RuntimeLog,
  { wait }: Pick<RetryOptions, 'wait'> = {},
): MemoryCascade {
  let queue: Promise<void> = Promise.resolve();
  const cascade = async (gateway: GatewayRecord) => {
    const failed = (attempt: number, error: unknown) =>
      log.warn('gateway cascade attempt failed', { gatewayId: gateway.id, attempt, ...errorFields(error) });
    try {
      await retry(() => cascadeGatewayRemoval(deps(), gateway), {
        attempts: ATTEMPTS,
        delayMs: (attempt, _random, error) => {
          failed(attempt, error);
          return RETRY_PAUSE_MS;
        },
        ...(wait ? { wait } : {}),
      });
    } catch (error) {
      // The last attempt failed too: logged, and the queue goes on with the next removal.
      failed(ATTEMPTS, error);
    }
  };
  return {
    removed: (gateway) => {
      queue = queue.then(() => cascade(gateway));
    },
    idle: async () => {
      let seen: Promise<void> | undefined;
      while (seen !== queue) {
        seen = queue;
        await seen;
      }
    },
  };
}
