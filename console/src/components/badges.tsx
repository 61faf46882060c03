/** Status words as Cloudscape StatusIndicators. */
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';

const GATEWAY: Record<string, StatusIndicatorProps.Type> = {
  ACTIVE: 'success',
  PENDING: 'pending',
  ERROR: 'error',
  DELETING: 'in-progress',
};

const PEERING: Record<string, StatusIndicatorProps.Type> = {
  ACTIVE: 'success',
  PROVISIONING: 'in-progress',
  FAILED: 'error',
  DELETING: 'in-progress',
};

export function GatewayStatusBadge({ status }: { status: string }) {
  return <StatusIndicator type={GATEWAY[status] ?? 'info'}>{status}</StatusIndicator>;
}

export function PeeringStatusBadge({ status }: { status: string }) {
  return <StatusIndicator type={PEERING[status] ?? 'info'}>{status}</StatusIndicator>;
}

export function OnlineBadge({ online }: { online: boolean }) {
  return (
    <StatusIndicator type={online ? 'success' : 'stopped'}>{online ? 'Online' : 'Offline'}</StatusIndicator>
  );
}
