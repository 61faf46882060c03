/**
 * Typed errors with stable `name`s. Lambda reports `name` as errorType, so the ASL Retry/Catch
 * match these names, and the API maps them to HTTP statuses. Messages of conflicts are the exact
 * texts of docs/CONTRACT.md#prerequisites and #errors; a conflict's code is recoverable from its message alone because a
 * Lambda error carries only errorType and errorMessage across Step Functions.
 */

export const CONFLICT_MESSAGES = {
  SAME_VPC: 'Cannot peer gateways in the same VPC',
  VPC_CIDRS_OVERLAP: 'The VPC CIDRs of the two gateways overlap',
  TUNNEL_SUBNETS_OVERLAP: 'The tunnel subnets of the two gateways overlap',
  TUNNEL_SUBNET_OVERLAPS_REMOTE_VPC: 'A tunnel subnet overlaps with the remote VPC CIDR',
  PEERING_ALREADY_EXISTS: 'A peering already exists between these gateways',
  GATEWAY_NOT_ACTIVE: 'Both gateways must be ACTIVE',
  OWNER_MISMATCH: 'Both gateways must belong to the same user',
  ROUTED_CIDR_CONFLICT:
    'The remote VPC CIDR or tunnel subnet overlaps a prefix already routed through the tunnel',
  ENDPOINT_INSIDE_PEERED_PREFIX:
    "A VPC CIDR or tunnel subnet of these gateways covers a gateway's public endpoint",
  TUNNEL_SUBNET_EXHAUSTED: 'No free address is left in the tunnel subnet',
  GATEWAY_EXISTS: 'A gateway with this id already exists',
  GATEWAY_BEING_DELETED:
    'A gateway with this id is still being deleted; register it again once its deletion has finished',
  PEER_EXISTS: 'A peer with this name already exists on this gateway',
  PUBLIC_KEY_IN_USE: 'This public key is already used by this gateway or one of its peers',
  INSTANCE_IN_USE: 'Another gateway already uses this instanceId',
  QUOTA_EXCEEDED: 'A limit of this deployment was reached',
  IDEMPOTENCY_KEY_REUSED: 'This Idempotency-Key was already used with a different request body',
} as const;

export type ConflictCode = keyof typeof CONFLICT_MESSAGES;

/** 409: the request is well formed but contradicts the current state. */
export class ConflictError extends Error {
  override readonly name = 'ConflictError';
  constructor(
    readonly code: ConflictCode,
    message: string = CONFLICT_MESSAGES[code],
  ) {
    super(message);
  }

  /** Rebuilds a ConflictError from an errorMessage that crossed Step Functions. */
  static fromMessage(message: string): ConflictError | undefined {
    const code = (Object.keys(CONFLICT_MESSAGES) as ConflictCode[]).find(
      (c) => CONFLICT_MESSAGES[c] === message,
    );
    if (code) return new ConflictError(code);
    const prefixed = /^([A-Z_]+): (.*)$/s.exec(message);
    if (prefixed?.[1] && prefixed[1] in CONFLICT_MESSAGES) {
      return new ConflictError(prefixed[1] as ConflictCode, prefixed[2]);
    }
    return undefined;
  }
}

/** 400: which field is wrong and why. */
export class ValidationError extends Error {
  override readonly name = 'ValidationError';
  constructor(
    message: string,
    readonly field?: string,
  ) {
    super(field ? `${field}: ${message}` : message);
  }
}

/** 404: absent, or not visible to the caller (never 403, so nothing can be enumerated). */
export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
  constructor(what: string) {
    super(`${what} not found`);
  }
}

/** 403: a user calling an admin-only route. */
export class ForbiddenError extends Error {
  override readonly name = 'ForbiddenError';
  constructor(message = 'This route requires the admin group') {
    super(message);
  }
}

/** 429: the caller has too much in flight already; retry once some of it ended. */
export class TooManyOperationsError extends Error {
  override readonly name = 'TooManyOperationsError';
}

/** 401: missing or invalid token. */
export class UnauthorizedError extends Error {
  override readonly name = 'UnauthorizedError';
  constructor(message = 'A valid bearer token is required') {
    super(message);
  }
}

/** A retryable infrastructure hiccup (throttling, a lost race worth retrying). ASL retries it. */
export class TransientError extends Error {
  override readonly name = 'TransientError';
}

/**
 * A push whose snapshot kept losing to a gateway with an unfinished move (its key-rotation walk
 * switches peerings faster than a render): the move's end pushes after the last switch
 * (app/instance-move.ts finishMove), so push-gateway ends such a push superseded, never failed
 * (docs/DECISIONS.md, "A moved gateway's early push renders before its walk").
 */
export class PushSupersededError extends Error {
  override readonly name = 'PushSupersededError';
}

/** SSM has not registered the invocation yet (normal right after SendCommand). ASL retries it. */
export class InvocationNotReadyError extends Error {
  override readonly name = 'InvocationNotReadyError';
}

/**
 * The store refused a write whose item is past its size limit (DynamoDB's 400 KB, counted in UTF-8
 * bytes). Not transient: the same write fails again.
 */
export class ItemTooLargeError extends Error {
  override readonly name = 'ItemTooLargeError';
}

/** A config push ended Failed, TimedOut or Cancelled, or never finished within its bound. */
export class CommandFailedError extends Error {
  override readonly name = 'CommandFailedError';
}

/**
 * 502: a change is stored but its gateway did not apply it (the push-gateway execution failed).
 * Drift repair pushes it again (docs/DECISIONS.md, "Status reports").
 */
export class PushFailedError extends Error {
  override readonly name = 'PushFailedError';
  constructor(
    message = 'The gateway did not apply the change; its configuration push failed and will be retried',
  ) {
    super(message);
  }
}

/**
 * Another "VPN Gateway Updated" of the same gateway is being processed (its update lease is
 * held: app/gateway-update-lease.ts). Thrown after a bounded wait, for the event's retry.
 */
export class GatewayUpdateInProgressError extends Error {
  override readonly name = 'GatewayUpdateInProgressError';
  constructor(readonly gatewayId: string) {
    super(`Another update of gateway ${gatewayId} is being processed`);
  }
}

/** The gateway vanished while a workflow was working on it. */
export class GatewayGoneError extends Error {
  override readonly name = 'GatewayGoneError';
  constructor(readonly gatewayId: string) {
    super(`Gateway ${gatewayId} no longer exists`);
  }
}

/**
 * A secret a gateway's document names is not in the store: its peering was deleted after the
 * document's peers were read (a push re-reads them), or the store lost it.
 */
export class SecretMissingError extends Error {
  override readonly name = 'SecretMissingError';
  constructor(readonly secretName: string) {
    super(`Secret ${secretName} does not exist`);
  }
}

/**
 * A gateway's peer set changed between the checks of a new peering and its transaction (a
 * concurrent peering may now route an overlapping prefix): run the checks again. Not a
 * TransientError on purpose: retrying the same transaction could never succeed.
 */
export class ChecksOutdatedError extends Error {
  override readonly name = 'ChecksOutdatedError';
}
