/**
 * What AWS services deliver to the handlers, as the embedded runtime imitates them: EventBridge's
 * scheduled event, and SSM's command-invocation notification put on the bus (runtime/main.ts).
 */
import { randomBytes } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { env } from '../lambdas/shared/env';
import { COMMAND_INVOCATION_CHANGED, SCHEDULED_EVENT } from '../lambdas/shared/event-patterns';
import type { ReportInvocation } from './hosts';

/** What an EventBridge schedule delivers to its target. */
export function scheduledEvent(): EventBridgeEvent<string, unknown> {
  return {
    version: '0',
    id: randomBytes(16).toString('hex'),
    'detail-type': SCHEDULED_EVENT,
    source: 'aws.events',
    account: '000000000000',
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: env.awsRegion(),
    resources: [],
    detail: {},
  };
}

/** The PutEvents entry of SSM's "EC2 Command Invocation Status-change Notification". */
export function commandInvocationEntry(invocation: ReportInvocation, documentName: string) {
  return {
    Source: 'aws.ssm',
    DetailType: COMMAND_INVOCATION_CHANGED,
    Detail: JSON.stringify({
      'command-id': invocation.commandId,
      'document-name': documentName,
      'instance-id': invocation.instanceId,
      status: invocation.status,
    }),
  };
}
