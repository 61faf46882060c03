/**
 * EventBridge rule patterns, shared by the CDK stack and the embedded runtime's event router so
 * both route exactly the same events.
 */
export const GATEWAY_EVENT_SOURCE = 'vpn.gateways';
export const GATEWAY_DELETED = 'VPN Gateway Deleted';
export const GATEWAY_UPDATED = 'VPN Gateway Updated';
export const AUDIT_EVENT_SOURCE = 'vpc.peering';
/** What an EventBridge schedule delivers. */
export const SCHEDULED_EVENT = 'Scheduled Event';
/** What Run Command announces when an invocation on one instance changes status. */
export const COMMAND_INVOCATION_CHANGED = 'EC2 Command Invocation Status-change Notification';

export interface EventPattern {
  source: string[];
  'detail-type': string[];
  /** Top-level detail fields, each equal to one of the listed strings. */
  detail?: Record<string, string[]>;
}

/** Routed to the gateway-events Lambda. */
export const gatewayEventsPattern: EventPattern = {
  source: [GATEWAY_EVENT_SOURCE],
  'detail-type': [GATEWAY_DELETED, GATEWAY_UPDATED],
};

/** Routed to the status-reports Lambda: a finished invocation of the report document. */
export function reportInvocationsPattern(reportDocumentName: string): EventPattern {
  return {
    source: ['aws.ssm'],
    'detail-type': [COMMAND_INVOCATION_CHANGED],
    detail: { 'document-name': [reportDocumentName], status: ['Success'] },
  };
}

export function matchesPattern(
  pattern: EventPattern,
  event: { source: string; 'detail-type': string; detail?: unknown },
): boolean {
  if (!pattern.source.includes(event.source) || !pattern['detail-type'].includes(event['detail-type'])) {
    return false;
  }
  const detail = (typeof event.detail === 'object' && event.detail !== null ? event.detail : {}) as Record<
    string,
    unknown
  >;
  return Object.entries(pattern.detail ?? {}).every(
    ([field, values]) => typeof detail[field] === 'string' && values.includes(detail[field]),
  );
}
