/**
 * Per-caller throttling in the API handler (docs/DECISIONS.md, "Tenants and traffic"): each caller
 * (`sub`) has its own token bucket, so one client cannot use up the stage-wide API Gateway limit
 * of everyone. Buckets live in the Lambda container: the effective limit is per container, a bound
 * against one noisy caller rather than an exact quota. 429 THROTTLED with Retry-After.
 */
import type { MiddlewareObj } from '@middy/core';
import { type BucketSettings, TokenBuckets } from '../core/token-bucket';
import type { ApiEvent } from './event';
import { HttpError } from './response';

export function callerThrottle(
  settings: () => BucketSettings,
  now: () => number = Date.now,
): MiddlewareObj<ApiEvent> {
  let buckets: TokenBuckets | undefined;
  return {
    name: 'callerThrottle',
    before: (request) => {
      const caller = request.event.caller;
      if (!caller) return;
      const current = settings();
      if (current.ratePerSecond <= 0) return; // 0 turns throttling off
      buckets ??= new TokenBuckets(current);
      const waitSeconds = buckets.take(caller.userId, now());
      if (waitSeconds > 0) {
        throw new HttpError(
          429,
          'THROTTLED',
          `Too many requests from this caller; retry in ${waitSeconds} s`,
          {
            'retry-after': String(waitSeconds),
          },
        );
      }
    },
  };
}
