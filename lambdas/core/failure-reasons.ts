/**
 * What a user reads as a failed peering's `statusReason` (and the 502 body): one stable sentence
 * per kind of failure. The step's own error text (instance ids, SDK messages naming accounts and
 * roles) goes to the logs only (docs/DECISIONS.md, "Failure reasons").
 */
import { ConflictError } from './errors';

export const FAILURE_REASONS = {
  push: 'A gateway instance did not apply the configuration',
  gatewayGone: 'A gateway was deleted while the peering was being set up',
  unavailable: 'A service the control plane depends on was unavailable; try again',
  tooLarge:
    'A gateway of this peering routes too many peerings into one address block to record another; delete some of its peerings first',
  internal: 'The peering could not be set up because of an internal error',
} as const;

const BY_ERROR_NAME: Readonly<Record<string, string>> = {
  CommandFailedError: FAILURE_REASONS.push,
  InvocationNotReadyError: FAILURE_REASONS.push,
  GatewayGoneError: FAILURE_REASONS.gatewayGone,
  TransientError: FAILURE_REASONS.unavailable,
  // A record of a gateway reached the store's item limit: retrying cannot help (adapters/dynamodb/errors.ts).
  ItemTooLargeError: FAILURE_REASONS.tooLarge,
  'States.Timeout': FAILURE_REASONS.unavailable,
  'States.HeartbeatTimeout': FAILURE_REASONS.unavailable,
  // A Lambda that ran out of time on newer runtimes (Lambda.Unknown on older ones: Lambda.* below).
  'Sandbox.Timedout': FAILURE_REASONS.unavailable,
};

/** The Catch output `{Error, Cause}` of a failed step; Cause is `{"errorType","errorMessage"}` JSON. */
export interface StepFailure {
  Error?: string;
  Cause?: string;
}

function errorMessageOf(cause: string | undefined): string {
  try {
    const parsed = JSON.parse(cause ?? '') as { errorMessage?: unknown };
    return typeof parsed.errorMessage === 'string' ? parsed.errorMessage : '';
  } catch {
    return '';
  }
}

export function userFacingFailureReason(failure: StepFailure | undefined): string {
  const name = failure?.Error ?? '';
  if (name === 'ConflictError') {
    // Conflict messages are the contract's own sentences (core/errors.ts).
    const conflict = ConflictError.fromMessage(errorMessageOf(failure?.Cause));
    if (conflict) return conflict.message;
  }
  if (name.startsWith('Lambda.')) return FAILURE_REASONS.unavailable;
  return BY_ERROR_NAME[name] ?? FAILURE_REASONS.internal;
}
