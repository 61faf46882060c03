/**
 * One structured JSON logger for every handler. Nothing secret is ever passed to it: keys are
 * referred to by secret-store name only, and `redact` guards the few places that log payloads.
 */
import { Logger } from '@aws-lambda-powertools/logger';

export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'vpc-peering' });

const SECRET_FIELD = /private.?key|preshared|psk|secret|authorization|token/i;

/** A copy of `value` with every secret-looking field replaced, for logging payloads. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        SECRET_FIELD.test(k) && !k.endsWith('Param') ? '[redacted]' : redact(v),
      ]),
    );
  }
  return value;
}
