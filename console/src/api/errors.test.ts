import { describe, expect, test } from 'vitest';
import {
  ApiError,
  describeError,
  formErrors,
  LATER_WITHOUT_RETRY_AFTER_SECONDS,
  NetworkError,
  retryWaitSeconds,
  SessionExpiredError,
  toApiError,
} from './errors';

describe('error mapping', () => {
  test('an API envelope keeps its code and its message word for word', () => {
    const error = toApiError(409, {
      error: { code: 'VPC_CIDRS_OVERLAP', message: 'The VPC CIDRs of the two gateways overlap' },
    });
    expect(error).toBeInstanceOf(ApiError);
    expect(describeError('Creating the VPC peering', error)).toEqual({
      header: 'Creating the VPC peering: VPC_CIDRS_OVERLAP',
      message: 'The VPC CIDRs of the two gateways overlap',
      retryable: false,
    });
  });

  test('an answer without an envelope still says its status', () => {
    const error = toApiError(502, '<html>Bad gateway</html>');
    expect(error.code).toBe('HTTP_502');
    expect(describeError('Loading gateways', error).retryable).toBe(true);
  });

  test('a validation error names its field', () => {
    const error = toApiError(400, {
      error: { code: 'VALIDATION_ERROR', message: 'vpcCidr: must be a CIDR' },
    });
    expect(formErrors(error, ['vpcCidr'])).toEqual({
      fields: { vpcCidr: 'must be a CIDR' },
      form: undefined,
    });
    const conflict = toApiError(409, { error: { code: 'PEER_EXISTS', message: 'x: y' } });
    expect(formErrors(conflict, ['x'])).toEqual({ fields: {}, form: 'PEER_EXISTS: x: y' });
  });

  test('a 400 naming several fields gives each its own message; what names no field of the form, the form', () => {
    // Prepare: the API joins every fault (docs/DECISIONS.md, "One 400 names every bad field")
    const error = toApiError(400, {
      error: {
        code: 'VALIDATION_ERROR',
        message:
          'name: must be lowercase letters, digits or -; publicKey: must be a WireGuard key: 44 characters of base64; colour: unknown field; unknown fields a, b',
      },
    });
    // Act
    const shown = formErrors(error, ['name', 'publicKey']);
    // Assess
    expect(shown.fields).toEqual({
      name: 'must be lowercase letters, digits or -',
      publicKey: 'must be a WireGuard key: 44 characters of base64',
    });
    expect(shown.form).toBe('VALIDATION_ERROR: colour: unknown field; unknown fields a, b');
    expect(formErrors(undefined, ['name'])).toEqual({ fields: {}, form: undefined });
  });

  test('a network failure offers a retry; anything else is still shown', () => {
    expect(describeError('Loading gateways', new NetworkError('Failed to fetch'))).toEqual({
      header: 'Loading gateways: the API could not be reached',
      message: 'Failed to fetch',
      retryable: true,
    });
    expect(describeError('Loading gateways', new Error('boom')).message).toBe('boom');
    expect(describeError('Loading gateways', new SessionExpiredError('ended')).message).toBe('ended');
  });

  test('a 429 and a request still running are worth a retry, after the wait the API asks for', () => {
    // Act
    const throttled = toApiError(
      429,
      { error: { code: 'THROTTLED', message: 'Too many requests from this caller; retry in 3 s' } },
      '3',
    );
    const running = toApiError(409, { error: { code: 'IDEMPOTENCY_KEY_IN_PROGRESS', message: 'x' } }, '2');
    const operations = toApiError(429, { error: { code: 'TOO_MANY_OPERATIONS', message: 'x' } }, null);
    const conflict = toApiError(409, { error: { code: 'PEER_EXISTS', message: 'x' } }, '5');
    // Assess
    expect(describeError('Loading gateways', throttled)).toMatchObject({
      retryable: true,
      retryAfterSeconds: 3,
    });
    expect(describeError('Adding peer laptop', running)).toMatchObject({
      retryable: true,
      retryAfterSeconds: 2,
    });
    expect(describeError('Loading gateways', operations).retryable).toBe(true);
    expect(describeError('Adding peer laptop', conflict)).toEqual({
      header: 'Adding peer laptop: PEER_EXISTS',
      message: 'x',
      retryable: false,
    });
  });

  test('GATEWAY_BEING_DELETED is a wait for the cleanup, not a dead end', () => {
    // Act: the API sends no Retry-After with it
    const error = toApiError(
      409,
      {
        error: {
          code: 'GATEWAY_BEING_DELETED',
          message:
            'A gateway with this id is still being deleted; register it again once its deletion has finished',
        },
      },
      null,
    );
    // Assess: retryable, after a few seconds, saying what it waits for
    expect(describeError('Registering the gateway', error)).toEqual({
      header: 'Registering the gateway: GATEWAY_BEING_DELETED',
      message:
        'A gateway with this id is still being deleted; register it again once its deletion has finished. ' +
        'The previous gateway with this id is still being cleaned up; send the form again in a little while.',
      retryable: true,
      retryAfterSeconds: LATER_WITHOUT_RETRY_AFTER_SECONDS,
    });
    expect(retryWaitSeconds(error)).toBe(LATER_WITHOUT_RETRY_AFTER_SECONDS);
  });

  test('a form waits only for what asks to be retried', () => {
    // Assess: Retry-After of a retryable answer; none for a conflict, nor for a retry without a wait
    expect(retryWaitSeconds(toApiError(503, { error: { code: 'SERVICE_UNAVAILABLE' } }, '1'))).toBe(1);
    expect(retryWaitSeconds(toApiError(409, { error: { code: 'PEER_EXISTS' } }, '5'))).toBeUndefined();
    expect(
      retryWaitSeconds(toApiError(429, { error: { code: 'TOO_MANY_OPERATIONS' } }, null)),
    ).toBeUndefined();
    expect(retryWaitSeconds(new NetworkError('Failed to fetch'))).toBeUndefined();
  });
});
