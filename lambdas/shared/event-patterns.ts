/**
 * EventBridge rule patterns, shared by the CDK stack and the embedded runtime's event router so
 * both route exactly the same events.
 */
export const GATEWAY_EVENT_SOURCE = 'vpn.gateways';
export const GATEWAY_DELETED = 'VPN Gateway Deleted';
export const GATEWAY_UPDATED = 'VPN Gateway Updated';
export const AUDIT_EVENT_SOURCE = 'vpc.peering';

export interface EventPattern {
  source: string[];
  'detail-type': string[];
}

/** Routed to the gateway-events Lambda. */
export const gatewayEventsPattern: EventPattern = {
  source: [GATEWAY_EVENT_SOURCE],
  'detail-type': [GATEWAY_DELETED, GATEWAY_UPDATED],
};

export function matchesPattern(
  pattern: EventPattern,
  event: { source: string; 'detail-type': string },
): boolean {
  return pattern.source.includes(event.source) && pattern['detail-type'].includes(event['detail-type']);
}
