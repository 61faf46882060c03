/**
 * What can go wrong talking to the API, as the pages show it. Every failure becomes one of these;
 * none is swallowed (README, "Using the console").
 */

/** The API answered with its error envelope (or with a status and no envelope). */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** Retry-After (429, 503, 409 IDEMPOTENCY_KEY_IN_PROGRESS): how long the API asks to wait. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }
}

/** The request never got an answer (offline, DNS, connection refused): worth a retry. */
export class NetworkError extends Error {
  override readonly name = 'NetworkError';
}

/**
 * A peering that settled in another status than ACTIVE (FAILED, with its `statusReason`): a
 * documented outcome (docs/CONTRACT.md), shown by its status, not as an unexpected error.
 */
export class PeeringEndedError extends Error {
  override readonly name = 'PeeringEndedError';
  constructor(
    readonly peeringId: string,
    readonly status: string,
    readonly statusReason: string | undefined,
  ) {
    super(statusReason || `Peering ${peeringId} ended ${status}`);
  }
}

/** The token is missing, expired or refused: the console goes back to sign-in. */
export class SessionExpiredError extends Error {
  override readonly name = 'SessionExpiredError';
}

/**
 * One 400 names every bad field, joined by `; ` (docs/DECISIONS.md, "One 400 names every bad
 * field"): `name: must be …; publicKey: must be a WireGuard key: …`. A part splits off only where
 * the next begins with a `field: ` prefix, so a message's own colons stay in it.
 */
const NEXT_FIELD = /;\s(?=[A-Za-z][A-Za-z0-9.]*: )/;
const FIELD_PREFIX = /^([A-Za-z][A-Za-z0-9.]*): (.+)$/s;

/** A form's failure as it shows it: each of its fields' faults on that field, the rest on the form. */
export interface FormErrors<F extends string> {
  fields: Partial<Record<F, string>>;
  form: string | undefined;
}

/**
 * The one reading of a submission's failure by a form with these `fields`: a VALIDATION_ERROR's
 * parts naming one of them go to it; what names no field of the form (or any other failure) is
 * said on the form, as `formErrorText` words it.
 */
export function formErrors<F extends string>(error: unknown, fields: readonly F[]): FormErrors<F> {
  if (error === undefined) return { fields: {}, form: undefined };
  if (!(error instanceof ApiError) || error.code !== 'VALIDATION_ERROR')
    return { fields: {}, form: formErrorText(error) };
  const byField: Partial<Record<F, string>> = {};
  const rest: string[] = [];
  for (const part of error.message.split(NEXT_FIELD)) {
    const match = FIELD_PREFIX.exec(part);
    const field = fields.find((known) => known === match?.[1]);
    if (field && match?.[2]) byField[field] = byField[field] ? `${byField[field]}; ${match[2]}` : match[2];
    else rest.push(part);
  }
  const form =
    rest.length === 0 ? undefined : formErrorText(new ApiError(error.status, error.code, rest.join('; ')));
  return { fields: byField, form };
}

/** The API answered 404: what was asked for is not there (deleted, or never the caller's). */
export function isNotFound(error: unknown): boolean {
  return error instanceof ApiError && error.status === 404;
}

/** The error envelope of an answer, whatever its body held. */
export function toApiError(status: number, body: unknown, retryAfter?: string | null): ApiError {
  const envelope = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  const code = typeof envelope?.code === 'string' ? envelope.code : `HTTP_${status}`;
  const message =
    typeof envelope?.message === 'string' ? envelope.message : `The API answered ${status} without a message`;
  // Seconds only: the API never sends an HTTP date; anything else is no wait at all.
  const seconds = retryAfter && /^\d+$/.test(retryAfter.trim()) ? Number(retryAfter.trim()) : undefined;
  return new ApiError(status, code, message, seconds);
}

export interface ShownError {
  header: string;
  message: string;
  retryable: boolean;
  /** How long a Retry waits first: as the API asked (Retry-After), or `retryWaitSeconds`. */
  retryAfterSeconds?: number;
}

/**
 * 409s that ask to be sent again later, as the API documents them (docs/CONTRACT.md#errors; the
 * API's own list is `RETRY_LATER_CODES` in lambdas/http/idempotency.ts): the same request with the
 * same Idempotency-Key runs again rather than replaying the refusal.
 */
const RETRY_LATER_CONFLICTS = new Set(['IDEMPOTENCY_KEY_IN_PROGRESS', 'GATEWAY_BEING_DELETED']);

/**
 * What the console adds to the API's message for a condition that passes on its own, without a
 * Retry-After to count down: what the person waits for.
 */
const WAIT_FOR: Record<string, string> = {
  GATEWAY_BEING_DELETED:
    'The previous gateway with this id is still being cleaned up; send the form again in a little while.',
};

/**
 * How long to wait before asking again when the API says "later" without a Retry-After
 * (GATEWAY_BEING_DELETED: a deletion's cleanup takes seconds): a form's Submit counts it down rather
 * than inviting a click that is refused again at once.
 */
export const LATER_WITHOUT_RETRY_AFTER_SECONDS = 5;

/**
 * Worth asking again: the API failed (5xx), the caller was throttled (429: THROTTLED,
 * TOO_MANY_OPERATIONS), the same request is still running (409 IDEMPOTENCY_KEY_IN_PROGRESS), or the
 * previous gateway of the id is still being cleaned up (409 GATEWAY_BEING_DELETED).
 */
function isRetryable(error: ApiError): boolean {
  return error.status >= 500 || error.status === 429 || RETRY_LATER_CONFLICTS.has(error.code);
}

/**
 * How long a form waits before it may send a failed request again: the API's Retry-After of an
 * answer worth retrying, a few seconds for a 409 that asks for "later" without one; undefined when
 * there is nothing to wait for (no retry, or retry at once).
 */
export function retryWaitSeconds(error: unknown): number | undefined {
  if (!(error instanceof ApiError) || !isRetryable(error)) return undefined;
  if (error.retryAfterSeconds) return error.retryAfterSeconds;
  return RETRY_LATER_CONFLICTS.has(error.code) ? LATER_WITHOUT_RETRY_AFTER_SECONDS : undefined;
}

/** How a failure reads in a flash: the API's own message word for word, headed by what failed. */
export function describeError(action: string, error: unknown): ShownError {
  if (error instanceof ApiError) {
    const retryable = isRetryable(error);
    const wait = retryWaitSeconds(error);
    const waitFor = WAIT_FOR[error.code];
    return {
      header: `${action}: ${error.code}`,
      message: waitFor ? `${error.message}. ${waitFor}` : error.message,
      retryable,
      ...(wait ? { retryAfterSeconds: wait } : {}),
    };
  }
  if (error instanceof NetworkError) {
    return { header: `${action}: the API could not be reached`, message: error.message, retryable: true };
  }
  if (error instanceof PeeringEndedError) {
    return { header: `${action}: ${error.status}`, message: error.message, retryable: false };
  }
  const message = error instanceof Error ? error.message : String(error);
  return { header: `${action}: unexpected error`, message, retryable: false };
}

/** A failure in one line, where its action is already said: the code and the API's message. */
export function errorText(error: unknown): string {
  const { message } = describeError('', error);
  if (error instanceof ApiError) return `${error.code}: ${message}`;
  if (error instanceof NetworkError) return `The API could not be reached: ${message}`;
  return message;
}

/**
 * How a failure reads inside the form or dialog that sent the request (its `errorText`). The form
 * keeps its input and its Idempotency-Key, so its own button is the retry; a failure worth asking
 * again at once says so.
 */
export function formErrorText(error: unknown): string {
  const { retryable, retryAfterSeconds } = describeError('', error);
  const text = errorText(error);
  return retryable && !retryAfterSeconds
    ? `${text.replace(/\.$/, '')}. Try again to send the same request.`
    : text;
}
