/**
 * DynamoDB failures as the typed errors of lambdas/core/errors.ts. Capacity and contention
 * failures become TransientError (the ASL Retry and the API's 503 path know that name), an item
 * past 400 KB ItemTooLargeError (so no use case matches the SDK's names), whether one write or a
 * transaction's item made it; a transaction cancelled by a condition stays a
 * TransactionCanceledException for the repository to read its CancellationReasons.
 */
import type { AttributeValue, CancellationReason } from '@aws-sdk/client-dynamodb';
import { ItemTooLargeError, TransientError } from '../../core/errors';
import { isTransientAwsError } from '../transient';

const TRANSIENT_REASONS = new Set([
  'TransactionConflict',
  'ThrottlingError',
  'ProvisionedThroughputExceeded',
  'RequestLimitExceeded',
]);

/** Reason codes of a cancelled transaction, in TransactItems order; undefined for other errors. */
export function cancellationReasons(error: unknown): CancellationReason[] | undefined {
  if (!(error instanceof Error) || error.name !== 'TransactionCanceledException') return undefined;
  return (error as Error & { CancellationReasons?: CancellationReason[] }).CancellationReasons ?? [];
}

export const failedCondition = (reason: CancellationReason | undefined): boolean =>
  reason?.Code === 'ConditionalCheckFailed';

export const isConditionalCheckFailure = (error: unknown): boolean =>
  error instanceof Error && error.name === 'ConditionalCheckFailedException';

/**
 * The connection failed after the SDK's own retries (a reset or timed-out socket, an overloaded
 * endpoint): the request may be sent again, so it is worth another attempt of the step.
 */
const NETWORK_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE']);
const isNetworkFailure = (error: Error): boolean =>
  error.name === 'TimeoutError' ||
  NETWORK_CODES.has(String((error as { code?: unknown }).code)) ||
  /socket hang up|TimeoutError/.test(error.message);

/**
 * DynamoDB refuses an item over 400 KB (PutItem, or what an UpdateItem would make) with a
 * ValidationException that only its message tells from a malformed request.
 */
const ITEM_TOO_LARGE = /Item size (to update )?has exceeded the maximum allowed size/;

/**
 * A transaction cancelled for a reason no retry changes: an item it would make past 400 KB (a
 * hub's shared route block: docs/DECISIONS.md, "Peerings per gateway"), or another ValidationError
 * (a malformed expression). Read as a lost race, it was run 30 times, then retried by the ASL, and
 * ended as "try again". ItemTooLargeError, or a plain Error (an internal error) for the others. A
 * failed condition beside it is left to the repository: it may tell more (a peering written
 * meanwhile, an address taken), and its next attempt meets the ValidationError alone.
 */
function permanentCancellation(error: Error, reasons: CancellationReason[]): Error | undefined {
  const invalid = reasons.filter((reason) => reason.Code === 'ValidationError');
  if (invalid.length === 0 || reasons.some(failedCondition)) return undefined;
  const messages = invalid.map((reason) => reason.Message ?? '').join('; ');
  const text = `DynamoDB transaction cancelled: ValidationError: ${messages}`;
  return invalid.some((reason) => ITEM_TOO_LARGE.test(reason.Message ?? ''))
    ? new ItemTooLargeError(text, { cause: error })
    : new Error(text, { cause: error });
}

export function toTypedError(error: unknown): unknown {
  if (!(error instanceof Error)) return error;
  if (error.name === 'ValidationException' && ITEM_TOO_LARGE.test(error.message)) {
    return new ItemTooLargeError(`DynamoDB ${error.name}: ${error.message}`, { cause: error });
  }
  if (isTransientAwsError(error) || isNetworkFailure(error)) {
    return new TransientError(`DynamoDB ${error.name}: ${error.message}`, { cause: error });
  }
  const reasons = cancellationReasons(error);
  const permanent = reasons && permanentCancellation(error, reasons);
  if (permanent) return permanent;
  const codes = (reasons ?? []).map((reason) => reason.Code ?? 'None');
  if (
    reasons &&
    codes.some((code) => TRANSIENT_REASONS.has(code)) &&
    !codes.includes('ConditionalCheckFailed')
  ) {
    return new TransientError(`DynamoDB transaction cancelled: ${codes.join(', ')}`, { cause: error });
  }
  return error;
}

/** A number attribute of a raw (not unmarshalled) item, as CancellationReasons carry them. */
export function numberAttribute(
  item: Record<string, AttributeValue> | undefined,
  name: string,
): number | undefined {
  const value = item?.[name]?.N;
  return value === undefined ? undefined : Number(value);
}

export function stringAttribute(
  item: Record<string, AttributeValue> | undefined,
  name: string,
): string | undefined {
  return item?.[name]?.S;
}
