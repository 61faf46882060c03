/**
 * `Idempotency-Key` on POST (docs/CONTRACT.md#idempotency): a repeat with the same key and body returns the first
 * result and does nothing twice.
 *
 * - Scope: caller + method + path, so keys of different users or routes never meet.
 * - Same key, different body: 409 IDEMPOTENCY_KEY_REUSED. Replaying the first result would hide a
 *   client bug, running the new body would break "does nothing twice"; refusing is the only
 *   answer that is right in both readings.
 * - Only the request that claimed the key stores its result, and only a result that a repeat
 *   should see again: below 500 and not 429. A 429 (TOO_MANY_OPERATIONS) tells the client to
 *   retry, and a retry with the same key must then run, not replay the refusal for the key's 24
 *   hours; so the claim is left unanswered, as after a 5xx. A repeat that finds the key
 *   claimed but unanswered (first request still running, died, or refused with a 5xx or 429) runs
 *   again: the routes derive their ids from the key, so the rerun names the same gateway / peering
 *   / workflow execution and creates nothing twice.
 */
import { createHash } from 'node:crypto';
import type { ApiDeps } from '../app/api/context';
import { ConflictError, ValidationError } from '../core/errors';
import type { Caller } from '../core/types';
import { toErrorResponse } from './errors';
import { type ApiEvent, headerOf } from './event';
import type { HttpResponse } from './response';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/** Visible ASCII, bounded: the key ends up in a storage key. */
const KEY_SHAPE = /^[\x21-\x7e]{1,255}$/;

/** 429 asks for a retry, 5xx may pass on one: neither is the request's outcome, so neither is replayed. */
const isReplayable = (statusCode: number): boolean => statusCode < 500 && statusCode !== 429;

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The request's Idempotency-Key, validated; undefined when absent. */
export function idempotencyKeyOf(event: ApiEvent): string | undefined {
  const key = headerOf(event, IDEMPOTENCY_HEADER);
  if (key === undefined) return undefined;
  if (!KEY_SHAPE.test(key)) {
    throw new ValidationError('must be 1 to 255 visible ASCII characters', IDEMPOTENCY_HEADER);
  }
  return key;
}

export async function withIdempotency(
  d: Pick<ApiDeps, 'repository' | 'clock'>,
  caller: Caller,
  event: ApiEvent,
  run: () => Promise<HttpResponse>,
): Promise<HttpResponse> {
  const key = idempotencyKeyOf(event);
  if (key === undefined) return run();
  const scopedKey = sha256([caller.userId, event.httpMethod, event.path, key].join('\n'));
  const requestHash = sha256(event.body ?? '');
  const existing = await d.repository.claimIdempotencyKey({
    key: scopedKey,
    requestHash,
    createdAt: d.clock().toISOString(),
  });
  if (existing && existing.requestHash !== requestHash) throw new ConflictError('IDEMPOTENCY_KEY_REUSED');
  if (existing?.response) return { ...existing.response, headers: { ...existing.response.headers } };
  const response = await run().catch(toErrorResponse);
  if (!existing && isReplayable(response.statusCode)) {
    await d.repository.completeIdempotencyKey(scopedKey, {
      statusCode: response.statusCode,
      headers: response.headers,
      body: response.body,
    });
  }
  return response;
}
