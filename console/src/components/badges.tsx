/** Status words as Cloudscape StatusIndicators. */
import StatusIndicator, { type StatusIndicatorProps } from '@cloudscape-design/components/status-indicator';
import type { Liveness } from '../lib/format';

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

const LIVENESS: Record<Liveness, [StatusIndicatorProps.Type, string]> = {
  online: ['success', 'Online'],
  offline: ['stopped', 'Offline'],
  unknown: ['info', 'Unknown'],
};

export function LivenessBadge({ liveness }: { liveness: Liveness }) {
  const [type, text] = LIVENESS[liveness];
  return (
    <StatusIndicator type={type} wrapText={false}>
      {text}
    </StatusIndicator>
  );
}
