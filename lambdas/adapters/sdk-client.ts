/**
 * The configuration of every AWS SDK client the adapters build: few attempts, each bounded in time.
 * The SDK's defaults (3 attempts, no request timeout: a request waits as long as its socket stays
 * open) let one call outlive the Lambda that makes it, and API Gateway then answers 504 with no
 * Retry-After instead of the handler's 503. Each bound below is far above what the service
 * normally takes; what outlasts it is an outage, reported as TransientError for the caller's retry
 * (the ASL's, or the API client's after a 503).
 */

/** One SDK retry: the adapters' callers retry too (dynamodb/retry.ts, the ASL). */
export const SDK_MAX_ATTEMPTS = 2;
/** A TCP and TLS connection to a regional endpoint takes milliseconds. */
const CONNECTION_TIMEOUT_MS = 1_000;
/**
 * From sending to the answer's headers, connection included. DynamoDB answers in single-digit
 * milliseconds (its transactions in tens); SSM, Step Functions, EventBridge and an S3 copy of a
 * small object in well under a second.
 */
export const REQUEST_TIMEOUT_MS = { dynamodb: 1_000, other: 2_000 } as const;
/**
 * The SDK's pause before its retry is a random draw under 1 s for throttling (under 50 ms
 * otherwise; @smithy/core's standard retry strategy). A Retry-After hint could stretch it, and
 * none of these services sends one.
 */
const SDK_RETRY_PAUSE_MAX_MS = 1_000;
/**
 * An emulator (DynamoDB Local, LocalStack: the environment sets AWS_ENDPOINT_URL or
 * AWS_ENDPOINT_URL_<SERVICE>) runs on a shared machine, where one request can take seconds without
 * anything being wrong: it gets this bound instead, for the request and for the connection (a busy
 * DynamoDB Local took over 1 s to accept connections with 40 creates in flight on 2 cores: bench 2).
 */
const EMULATOR_TIMEOUT_MS = 10_000;

/** The services the adapters call, by their AWS_ENDPOINT_URL_<SERVICE> suffix. */
export type AwsService = 'DYNAMODB' | 'SSM' | 'SFN' | 'EVENTBRIDGE' | 'S3';

const usesEmulator = (service: AwsService): boolean =>
  Boolean(process.env.AWS_ENDPOINT_URL || process.env[`AWS_ENDPOINT_URL_${service}`]);

function requestTimeoutMs(service: AwsService): number {
  if (usesEmulator(service)) return EMULATOR_TIMEOUT_MS;
  return service === 'DYNAMODB' ? REQUEST_TIMEOUT_MS.dynamodb : REQUEST_TIMEOUT_MS.other;
}

/**
 * The longest one SDK call to `service` can take before it fails: every attempt
 * runs to its request timeout, and the SDK pauses as long as it may between them.
 */
export function sdkCallBoundMs(service: AwsService): number {
  return SDK_MAX_ATTEMPTS * requestTimeoutMs(service) + (SDK_MAX_ATTEMPTS - 1) * SDK_RETRY_PAUSE_MAX_MS;
}

/** Spread into a client's configuration: `new SSMClient(boundedClientConfig('SSM'))`. */
export function boundedClientConfig(service: AwsService) {
  return {
    maxAttempts: SDK_MAX_ATTEMPTS,
    requestHandler: {
      connectionTimeout: usesEmulator(service) ? EMULATOR_TIMEOUT_MS : CONNECTION_TIMEOUT_MS,
      requestTimeout: requestTimeoutMs(service),
      // Without it the SDK only logs a warning when the request timeout passes, and keeps waiting.
      throwOnRequestTimeout: true,
    },
  };
}
