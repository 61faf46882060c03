/**
 * The cascade of the embedded runtime's memory storage (`VPG_STORAGE=memory`): where DynamoDB's
 * stream hands a removed gateway to the cascade handler, the in-memory repository hands it here.
 * Removals run one at a time, in order, retried like a stream batch until they succeed or the
 * attempts run out (then logged: the memory mode is for tests, where a failure shows).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { type CascadeDeps, cascadeGatewayRemoval } from '../lambdas/app/gateway-cascade';
import type { GatewayRecord } from '../lambdas/core/types';
import { errorFields, type RuntimeLog } from './runtime-log';

const ATTEMPTS = 5;
const RETRY_PAUSE_MS = 200;

export interface MemoryCascade {
  /** What the repository calls when a gateway is deleted. */
  removed(gateway: GatewayRecord): void;
  /** Resolves once every removal so far has been cascaded. */
  idle(): Promise<void>;
}

export function memoryCascade(deps: () => CascadeDeps, log: RuntimeLog): MemoryCascade {
  let queue: Promise<void> = Promise.resolve();
  const cascade = async (gateway: GatewayRecord) => {
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      try {
        await cascadeGatewayRemoval(deps(), gateway);
        return;
      } catch (error) {
        log.warn('gateway cascade attempt failed', { gatewayId: gateway.id, attempt, ...errorFields(error) });
        await sleep(RETRY_PAUSE_MS);
      }
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
