/**
 * AWS SDK failures worth retrying later, as TransientError (the name the ASL Retry and the API's
 * 503 path match). The SDK has already retried these a few times; what outlasts its retries is
 * throttling or a service-side hiccup, never a reason to compensate a peering. Everything else
 * passes through unchanged.
 */
import { TransientError } from '../core/errors';

/** Throttling and server-side error names across the services the adapters call. */
const TRANSIENT_NAMES = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'TooManyUpdates',
  'RequestLimitExceeded',
  'ProvisionedThroughputExceededException',
  'TransactionConflictException',
  'TransactionInProgressException',
  'SlowDown',
  'RequestTimeout',
  'RequestTimeoutException',
  'InternalServerError',
  'InternalServerException',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  // Step Functions' open-execution quota: it clears as running executions end.
  'ExecutionLimitExceeded',
]);

/**
 * Connection failures below HTTP: the request may not even have reached the service. The UND_ERR_
 * codes are fetch's (undici), for the requests signed by hand (adapters/signed-s3/http-objects.ts).
 */
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ENOTFOUND',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

interface SdkErrorShape {
  name?: string;
  code?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

export function isTransientAwsError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const shaped = error as Error & SdkErrorShape;
  const status = shaped.$metadata?.httpStatusCode;
  return (
    TRANSIENT_NAMES.has(error.name) ||
    (shaped.code !== undefined && NETWORK_CODES.has(shaped.code)) ||
    status === 429 ||
    (status !== undefined && status >= 500) ||
    shaped.$retryable !== undefined
  );
}

/** The SDK's text names accounts, roles and resources: it stays in `cause`, for the logs. */
export function toTransient(service: string, error: unknown): unknown {
  if (!isTransientAwsError(error)) return error;
  const name = error instanceof Error ? error.name : 'Error';
  return new TransientError(`${service} ${name}`, { cause: error });
}

/** Runs one SDK call, turning what is worth retrying into TransientError. */
export async function transientOn<T>(service: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toTransient(service, error);
  }
}
