/**
 * The tag the gateway product puts on every gateway instance. IAM lets the control plane send
 * commands only to instances carrying it, and the periodic status report targets them by it.
 */
export const GATEWAY_TAG = { key: 'vpc-peering:role', value: 'gateway' } as const;
