/**
 * Error mapping middleware: typed errors become the `{"error": {"code", "message"}}` envelope with
 * their status; anything else is a 500 whose details stay in the log (messages of our own errors
 * never hold secret values, only secret-store names).
 */
import type { MiddlewareObj } from '@middy/core';
import {
  ConflictError,
  ForbiddenError,
  GatewayGoneError,
  GatewayUpdateInProgressError,
  NotFoundError,
  PushFailedError,
  TooManyOperationsError,
  TransientError,
  UnauthorizedError,
  ValidationError,
} from '../core/errors';
import { logger } from '../shared/logger';
import { errorResponse, HttpError, type HttpResponse } from './response';

const BY_CLASS: ReadonlyArray<readonly [new (...args: never[]) => Error, number, string]> = [
  [ValidationError, 400, 'VALIDATION_ERROR'],
  [UnauthorizedError, 401, 'UNAUTHORIZED'],
  [ForbiddenError, 403, 'FORBIDDEN'],
  [NotFoundError, 404, 'NOT_FOUND'],
  // Deleted between the visibility check and the write: as absent as any other unknown gateway.
  [GatewayGoneError, 404, 'NOT_FOUND'],
  [PushFailedError, 502, 'PUSH_FAILED'],
  [TooManyOperationsError, 429, 'TOO_MANY_OPERATIONS'],
];

export function toErrorResponse(error: unknown): HttpResponse {
  if (error instanceof HttpError) {
    return errorResponse(error.statusCode, error.code, error.message, error.headers);
  }
  if (error instanceof ConflictError) return errorResponse(409, error.code, error.message);
  // Throttling or contention that outlasted the adapters' own retries: worth a retry by the client.
  // The message stays generic; the SDK's text names tables and internals.
  if (error instanceof TransientError) {
    logger.warn('Transient failure in the API', { errorMessage: error.message });
    return errorResponse(503, 'SERVICE_UNAVAILABLE', 'The service is busy, retry the request', {
      'retry-after': '1',
    });
  }
  // A registration that waited about 10 s for an update of the same gateway id to end.
  if (error instanceof GatewayUpdateInProgressError) {
    return errorResponse(503, 'SERVICE_UNAVAILABLE', 'The gateway is being updated, retry the request', {
      'retry-after': '5',
    });
  }
  const known = BY_CLASS.find(([type]) => error instanceof type);
  if (known && error instanceof Error) return errorResponse(known[1], known[2], error.message);
  logger.error('Unhandled error in the API', {
    errorName: error instanceof Error ? error.name : typeof error,
    errorMessage: error instanceof Error ? error.message : undefined,
    stack: error instanceof Error ? error.stack : undefined,
  });
  return errorResponse(500, 'INTERNAL_ERROR', 'Internal error');
}

export function httpErrors(): MiddlewareObj<unknown, HttpResponse> {
  return {
    name: 'httpErrors',
    onError: (request) => {
      request.response = toErrorResponse(request.error);
    },
  };
}
