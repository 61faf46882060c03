/** An EventBridge event as the bus delivers it to a handler: the one shape the event tests build. */
import type { EventBridgeEvent } from 'aws-lambda';
import { GATEWAY_EVENT_SOURCE } from '../../lambdas/shared/event-patterns';
import { uniqueId } from './records';

export function busEvent(
  detailType: string,
  detail: unknown,
  options: { source?: string; time?: Date } = {},
): EventBridgeEvent<string, unknown> {
  return {
    version: '0',
    id: uniqueId('event'),
    'detail-type': detailType,
    source: options.source ?? GATEWAY_EVENT_SOURCE,
    account: '000000000000',
    time: (options.time ?? new Date()).toISOString(),
    region: 'us-east-1',
    resources: [],
    detail,
  };
}
