/** A failed step's reason as users read it: stable sentences, never the step's internal text. */
import { CONFLICT_MESSAGES } from '../../../lambdas/core/errors';
import { FAILURE_REASONS, userFacingFailureReason } from '../../../lambdas/core/failure-reasons';

const cause = (errorType: string, errorMessage: string) => JSON.stringify({ errorType, errorMessage });
const LEAK =
  'User: arn:aws:sts::123456789012:assumed-role/push-config is not authorized to perform: ssm:SendCommand';

describe('userFacingFailureReason', () => {
  it.each<[string, { Error?: string; Cause?: string } | undefined, string]>([
    [
      'a failed push',
      { Error: 'CommandFailedError', Cause: cause('CommandFailedError', 'i-0abc ended Failed') },
      FAILURE_REASONS.push,
    ],
    ['an unregistered invocation', { Error: 'InvocationNotReadyError' }, FAILURE_REASONS.push],
    [
      'a deleted gateway',
      { Error: 'GatewayGoneError', Cause: cause('GatewayGoneError', 'Gateway gw-1 no longer exists') },
      FAILURE_REASONS.gatewayGone,
    ],
    [
      'retries exhausted on throttling',
      { Error: 'TransientError', Cause: cause('TransientError', LEAK) },
      FAILURE_REASONS.unavailable,
    ],
    [
      'a Lambda service error',
      { Error: 'Lambda.ServiceException', Cause: LEAK },
      FAILURE_REASONS.unavailable,
    ],
    ['a task timeout', { Error: 'States.Timeout' }, FAILURE_REASONS.unavailable],
    ['a Lambda timeout', { Error: 'Lambda.Unknown' }, FAILURE_REASONS.unavailable],
    ['a Lambda timeout on newer runtimes', { Error: 'Sandbox.Timedout' }, FAILURE_REASONS.unavailable],
    [
      'an SDK AccessDenied',
      { Error: 'AccessDeniedException', Cause: cause('AccessDeniedException', LEAK) },
      FAILURE_REASONS.internal,
    ],
    [
      'a known conflict',
      { Error: 'ConflictError', Cause: cause('ConflictError', CONFLICT_MESSAGES.TUNNEL_SUBNET_EXHAUSTED) },
      CONFLICT_MESSAGES.TUNNEL_SUBNET_EXHAUSTED,
    ],
    [
      'a conflict with unknown text',
      { Error: 'ConflictError', Cause: cause('ConflictError', LEAK) },
      FAILURE_REASONS.internal,
    ],
    ['plain text', { Error: 'States.TaskFailed', Cause: LEAK }, FAILURE_REASONS.internal],
    ['nothing', undefined, FAILURE_REASONS.internal],
  ])('%s', (_case, failure, expected) => {
    // Act
    const reason = userFacingFailureReason(failure);
    // Assess
    expect(reason).toBe(expected);
    expect(reason).not.toContain('123456789012');
  });
});
