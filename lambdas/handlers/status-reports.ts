/**
 * Gateway status collection (app/status-reports.ts). Two EventBridge rules invoke it: the schedule
 * ("Scheduled Event") asks every gateway instance for its live report with one Run Command, and
 * each finished report invocation ("EC2 Command Invocation Status-change Notification" of the
 * report document) is stored as its gateway's status, starting a repair push for a gateway that
 * stayed behind its desired generation for a whole period. A report that cannot be stored, also for
 * a TransientError or an InvocationNotReadyError, is logged as a warning and dropped: the next period
 * brings a fresh one. A malformed event is thrown as a ValidationError; any other error is thrown as
 * it is (Lambda retries the event, then parks it in the dead-letter queue).
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import { repository } from '../adapters/dynamodb';
import { configStore } from '../adapters/s3';
import { workflowEngine } from '../adapters/sfn';
import { commandBus } from '../adapters/ssm';
import { requestStatusReports, storeStatusReport } from '../app/status-reports';
import { ValidationError } from '../core/errors';
import { clock } from '../shared/deps';
import { eventRuleHandler, type RuleEvent } from '../shared/event-handler';
import { COMMAND_INVOCATION_CHANGED, SCHEDULED_EVENT } from '../shared/event-patterns';

/** Run Command ids: a command id is a UUID, an instance id `i-…` (or `mi-…`, or a local name). */
const INVOCATION_ID = /^[A-Za-z0-9._:-]{1,128}$/;

function invocationOf(detail: unknown): { commandId: string; instanceId: string } {
  const fields = (typeof detail === 'object' && detail !== null ? detail : {}) as Record<string, unknown>;
  const commandId = fields['command-id'];
  const instanceId = fields['instance-id'];
  if (typeof commandId !== 'string' || !INVOCATION_ID.test(commandId)) {
    throw new ValidationError('must be a command id', 'detail.command-id');
  }
  if (typeof instanceId !== 'string' || !INVOCATION_ID.test(instanceId)) {
    throw new ValidationError('must be an instance id', 'detail.instance-id');
  }
  return { commandId, instanceId };
}

async function route(event: RuleEvent, log: Logger): Promise<void> {
  switch (event['detail-type']) {
    case SCHEDULED_EVENT: {
      const commandId = await requestStatusReports({ commands: commandBus() });
      log.info('status reports requested', { commandId });
      return;
    }
    case COMMAND_INVOCATION_CHANGED: {
      const invocation = invocationOf(event.detail);
      const result = await storeStatusReport(
        {
          repository: repository(),
          configStore: configStore(),
          commands: commandBus(),
          clock: clock(),
          workflows: workflowEngine(),
        },
        invocation,
      );
      if (!result.stored) {
        const { stored: _dropped, ...why } = result;
        log.warn('status report dropped', { ...invocation, ...why });
        return;
      }
      log.info('status report stored', { ...invocation, gatewayId: result.gatewayId });
      if (result.repair)
        log.warn('gateway behind its desired state for a period: push started', { ...result.repair });
      return;
    }
    default:
      throw new ValidationError(
        `unsupported detail-type ${JSON.stringify(event['detail-type'])}`,
        'detail-type',
      );
  }
}

export const handler = eventRuleHandler('status event', route);
