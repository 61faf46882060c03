/**
 * One structured JSON logger for every handler. Nothing secret is ever passed to it: keys are
 * referred to by secret-store name only, and `redact` guards the few places that log payloads.
 *
 * Correlation ids (README, "Logs"): `withLogKeys` puts keys on every line written while a piece of
 * work runs, through this logger or any child of it, wherever the line is written (a use case deep
 * in a step as well as the handler). Powertools' `appendKeys` would do that on the shared logger
 * instance, which is wrong when invocations run concurrently in one process, as in the embedded
 * runtime; the keys live in an AsyncLocalStorage instead, read by the formatter.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { LogFormatter, Logger, LogItem } from '@aws-lambda-powertools/logger';
import type { LogAttributes, UnformattedAttributes } from '@aws-lambda-powertools/logger/types';
import { env } from './env';

const invocationKeys = new AsyncLocalStorage<Readonly<Record<string, string>>>();

/** Powertools' default layout, then the line's own keys, then the correlation ids of the work in progress. */
class CorrelatedLogFormatter extends LogFormatter {
  override formatAttributes(attributes: UnformattedAttributes, additional: LogAttributes): LogItem {
    const context = attributes.lambdaContext;
    return new LogItem({
      attributes: {
        level: attributes.logLevel,
        message: attributes.message,
        timestamp: this.formatTimestamp(attributes.timestamp),
        service: attributes.serviceName,
        cold_start: context?.coldStart,
        function_arn: context?.invokedFunctionArn,
        function_memory_size: context?.memoryLimitInMB,
        function_name: context?.functionName,
        function_request_id: context?.awsRequestId,
        sampling_rate: attributes.sampleRateValue,
        xray_trace_id: attributes.xRayTraceId,
      },
    })
      .addAttributes(additional)
      .addAttributes({ ...invocationKeys.getStore() });
  }
}

export const logger = new Logger({
  serviceName: env.serviceName(),
  logFormatter: new CorrelatedLogFormatter(),
});

/** Runs `work` with `keys` (added to those already in effect) on every log line it writes. */
export function withLogKeys<T>(keys: Readonly<Record<string, string>>, work: () => T): T {
  return invocationKeys.run({ ...invocationKeys.getStore(), ...keys }, work);
}

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
