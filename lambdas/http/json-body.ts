/**
 * JSON request bodies: parsed once with the core's parseJsonBody (malformed → 400), bounded in
 * size. Oversize bodies get 400 VALIDATION_ERROR rather than 413: docs/CONTRACT.md#invariants 7 promises a 400 for
 * bad input and the contract's error codes have no 413 (the embedded front's transport-level 1 MiB
 * cap is the only 413). The router parses only once the route matched and the caller may use it, so
 * an unknown path is 404, another method 405 and a user on an admin route 403, whatever the body.
 */
import { parseJsonBody } from '../core/schemas';
import type { ApiEvent } from './event';

export const MAX_BODY_BYTES = 16 * 1024;

const METHODS_WITH_BODY = new Set(['POST', 'PUT', 'PATCH']);

function rawBody(event: ApiEvent): string | null {
  if (event.body === null || event.body === undefined) return null;
  return event.isBase64Encoded ? Buffer.from(event.body, 'base64').toString('utf8') : event.body;
}

/** The request's parsed JSON body for methods that carry one, undefined for the others. */
export function jsonBodyOf(event: ApiEvent, maxBytes: number = MAX_BODY_BYTES): unknown {
  if (!METHODS_WITH_BODY.has(event.httpMethod)) return undefined;
  const raw = rawBody(event);
  // Decoded once here so the idempotency hash and the parser see the same text.
  event.body = raw;
  event.isBase64Encoded = false;
  return parseJsonBody(raw, maxBytes);
}
