/**
 * `Idempotency-Key` on POST (docs/CONTRACT.md#idempotency): a repeat with the same key and body returns the first
 * result and does nothing twice.
 *
 * - Scope: caller + method + the matched route pattern and its decoded params, so keys of different
 *   users or routes never meet, and every spelling of one path (a trailing or doubled slash, a
 *   %-escaped id) meets the same key.
 * - Same key, different body: 409 IDEMPOTENCY_KEY_REUSED. Replaying the first result would hide a
 *   client bug, running the new body would break "does nothing twice"; refusing is the only
 *   answer that is right in both readings.
 * - Same key while the request that claimed it still runs (claimed, unanswered, younger than
 *   IDEMPOTENCY_LEASE_MS): 409 IDEMPOTENCY_KEY_IN_PROGRESS with Retry-After. Running it alongside
 *   would trip over the first one's own writes (PEER_EXISTS, GATEWAY_EXISTS for what is the same
 *   request). An unanswered claim past the lease has no request behind it any more: it runs again.
 * - The answer is recorded, and replayed unless it asks to retry later (asksToRetryLater: 429,
 *   5xx, GATEWAY_BEING_DELETED): a retry with the same key then runs, rather than replaying the
 *   refusal for the key's 24 hours. It is recorded all the same, so that a retry can tell "ended,
 *   run again" from "still running".
 * - A rerun (after an answer that asked for a retry, or a dead request) first takes the claim over
 *   (one of two simultaneous retries wins; the other is told the key is in progress), then records
 *   its own answer. The
 *   routes derive their ids from the key and the record's nonce (minted with the first claim, kept
 *   by take-overs), so a rerun names the same gateway / peering / workflow execution and creates
 *   nothing twice; one that finds what its first run committed answers it (docs/DECISIONS.md, "A
 *   rerun answers what its first run committed"). The same key once the record expired names new
 *   ones (docs/DECISIONS.md, "Derived ids live no longer than their Idempotency-Key").
 */
import { createHash } from 'node:crypto';
import type { ApiDeps } from '../app/api/context';
import { type IdDerivation, newIdNonce } from '../app/api/ids';
import type { IdempotencyRecord } from '../app/ports';
import { ConflictError, ValidationError } from '../core/errors';
import type { Caller } from '../core/types';
import { logger } from '../shared/logger';
import { toErrorResponse } from './errors';
import { type ApiEvent, headerOf } from './event';
import { HttpError, type HttpResponse } from './response';
import type { RouteRequest } from './router';

export const IDEMPOTENCY_HEADER = 'Idempotency-Key';
/**
 * Visible ASCII, bounded: the key ends up in a storage key. The OpenAPI document states the same
 * (test/api/openapi-shapes.test.ts keeps them equal).
 */
export const IDEMPOTENCY_KEY_SHAPE = { pattern: /^[\x21-\x7e]{1,255}$/, maxLength: 255 } as const;

/**
 * How long an unanswered claim stands for a request still running. The api Lambda is stopped at
 * 29 s (lib/constructs/peering-function.ts; API Gateway's integration limit too), so past that no
 * request is behind the claim; 60 s leaves room for clock skew between containers, as the
 * admissions do (docs/DECISIONS.md, "Tenants and traffic").
 */
export const IDEMPOTENCY_LEASE_MS = 60_000;
/** The request being waited for answers within the API's wait window (API_WAIT_MS, 8 s) mostly. */
const IN_PROGRESS_RETRY_AFTER_SECONDS = 2;
/** API Gateway's integration limit, the api Lambda's timeout: no request runs longer. */
const REQUEST_MAX_MS = 29_000;

/**
 * Seconds until a retry may get an answer. While the claim is younger than any request can run,
 * its request may answer any moment; past that it died (a crash, a stopped runtime), and the key
 * runs again only once the lease lapses, so a shorter Retry-After would only be refused again.
 */
function retryAfterSeconds(claim: IdempotencyRecord, now: Date): number {
  const age = now.getTime() - Date.parse(claim.createdAt);
  if (age < REQUEST_MAX_MS) return IN_PROGRESS_RETRY_AFTER_SECONDS;
  return Math.max(1, Math.ceil((IDEMPOTENCY_LEASE_MS - age) / 1000));
}

/** Answers that ask the client to retry later, and so must not stand for the key's outcome. */
const RETRY_LATER_CODES = new Set(['GATEWAY_BEING_DELETED', 'IDEMPOTENCY_KEY_IN_PROGRESS']);

function errorCodeOf(response: Pick<HttpResponse, 'body'>): string | undefined {
  try {
    const code = (JSON.parse(response.body) as { error?: { code?: unknown } } | null)?.error?.code;
    return typeof code === 'string' ? code : undefined;
  } catch {
    return undefined; // not the error envelope
  }
}

/** 429 and 5xx ask for a retry (or may pass on one), as do the 409s whose cause will pass. */
function asksToRetryLater(response: Pick<HttpResponse, 'statusCode' | 'body'>): boolean {
  if (response.statusCode === 429 || response.statusCode >= 500) return true;
  return RETRY_LATER_CODES.has(errorCodeOf(response) ?? '');
}

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** The request's Idempotency-Key, validated; undefined when absent. */
export function idempotencyKeyOf(event: ApiEvent): string | undefined {
  const key = headerOf(event, IDEMPOTENCY_HEADER);
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY_SHAPE.pattern.test(key)) {
    throw new ValidationError('must be 1 to 255 visible ASCII characters', IDEMPOTENCY_HEADER);
  }
  return key;
}

/** The stored key: the route as matched, not the path as sent (JSON keeps the parts apart). */
function scopeOf(request: RouteRequest<Caller>, key: string): string {
  const params = Object.entries(request.params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256(JSON.stringify([request.caller.userId, request.event.httpMethod, request.path, params, key]));
}

function inProgress(claim: IdempotencyRecord, now: Date): boolean {
  return !claim.response && now.getTime() - Date.parse(claim.createdAt) < IDEMPOTENCY_LEASE_MS;
}

/** A record written before nonces has none: its ids derive from the key alone (IdDerivation). */
const derivationOf = (key: string, claim: Pick<IdempotencyRecord, 'nonce'>): IdDerivation =>
  claim.nonce === undefined ? { key } : { key, nonce: claim.nonce };

/** Records `response` for the repeats; a failure to record never costs the caller its answer. */
async function record(
  d: Pick<ApiDeps, 'repository'>,
  scopedKey: string,
  response: HttpResponse,
): Promise<void> {
  try {
    await d.repository.completeIdempotencyKey(scopedKey, {
      statusCode: response.statusCode,
      headers: response.headers,
      body: response.body,
    });
  } catch (error) {
    // What the request did is done: its answer is still the truth. A repeat finds the claim
    // unanswered and, past the lease, runs again (the ids derive from the key and its nonce).
    logger.warn('Idempotency answer not recorded', {
      statusCode: response.statusCode,
      errorName: error instanceof Error ? error.name : typeof error,
      errorMessage: error instanceof Error ? error.message : undefined,
    });
  }
}

export async function withIdempotency(
  d: Pick<ApiDeps, 'repository' | 'clock'>,
  request: RouteRequest<Caller>,
  run: (derivation: IdDerivation | undefined) => Promise<HttpResponse>,
): Promise<HttpResponse> {
  const key = idempotencyKeyOf(request.event);
  if (key === undefined) return run(undefined);
  const scopedKey = scopeOf(request, key);
  const requestHash = sha256(request.event.body ?? '');
  const now = d.clock();
  const nonce = newIdNonce();
  const existing = await d.repository.claimIdempotencyKey({
    key: scopedKey,
    requestHash,
    createdAt: now.toISOString(),
    nonce,
  });
  if (existing && existing.requestHash !== requestHash) throw new ConflictError('IDEMPOTENCY_KEY_REUSED');
  if (existing?.response && !asksToRetryLater(existing.response)) {
    return { ...existing.response, headers: { ...existing.response.headers } };
  }
  // A claim whose request is over is taken over before running again: of two retries arriving
  // together, one runs and the other is told the key is in progress.
  if (
    existing &&
    (inProgress(existing, now) || !(await d.repository.retakeIdempotencyKey(existing, now.toISOString())))
  ) {
    // Not in progress: another retry took the claim over a moment ago, and runs now.
    const retryAfter = inProgress(existing, now)
      ? retryAfterSeconds(existing, now)
      : IN_PROGRESS_RETRY_AFTER_SECONDS;
    throw new HttpError(
      409,
      'IDEMPOTENCY_KEY_IN_PROGRESS',
      'A request with this Idempotency-Key is still running; retry it later to get its answer',
      { 'retry-after': String(retryAfter) },
    );
  }
  // A rerun derives from the claim it took over, so it names what the first run named.
  const response = await run(derivationOf(key, existing ?? { nonce })).catch(toErrorResponse);
  await record(d, scopedKey, response);
  return response;
}
