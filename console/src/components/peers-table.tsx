/** A gateway's Peers table: what the control plane configured, joined with the live status by key. */
import { useCollection } from '@cloudscape-design/collection-hooks';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import Pagination from '@cloudscape-design/components/pagination';
import SpaceBetween from '@cloudscape-design/components/space-between';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import type { GatewayStatus, Peer, PeerLiveStatus } from '../api/client';
import { formatBytes, handshakeMillis, isOnline, relativeTime } from '../lib/format';
import { OnlineBadge } from './badges';
import { PAGINATION_LABELS } from './labels';

interface Row extends Peer {
  live: PeerLiveStatus | undefined;
}

function Handshake({ live }: { live: PeerLiveStatus | undefined }) {
  if (!live) return <Box color="text-status-inactive">Not reported yet</Box>;
  const now = Date.now();
  const at = handshakeMillis(live.latestHandshake);
  return (
    <SpaceBetween direction="horizontal" size="xs">
      <OnlineBadge online={isOnline(live.latestHandshake, now, live.online)} />
      <span>{at === null ? 'never' : relativeTime(at, now)}</span>
    </SpaceBetween>
  );
}

/**
 * A road-warrior's config: outdated once the gateway's public key or endpoint changed after its
 * download (the client no longer connects), else when it was downloaded.
 */
function ClientConfig({ peer }: { peer: Peer }) {
  if (peer.type !== 'road-warrior') return <>-</>;
  if (peer.configOutdated) {
    return <StatusIndicator type="warning">Outdated: download the config again</StatusIndicator>;
  }
  if (!peer.configDownloadedAt) return <Box color="text-status-inactive">Not downloaded</Box>;
  return <>Downloaded {relativeTime(Date.parse(peer.configDownloadedAt), Date.now())}</>;
}

export function PeersTable(props: {
  /** Undefined while the gateway is not loaded (loading, or its load failed): no count, no Add peer. */
  peers: Peer[] | undefined;
  status: GatewayStatus | undefined;
  loading: boolean;
  onAddPeer(): void;
  onDelete(name: string): void;
  onDownload(name: string): void;
  onShowQr(name: string): void;
}) {
  const live = new Map((props.status?.peers ?? []).map((peer) => [peer.publicKey, peer]));
  const peers = props.peers ?? [];
  const rows: Row[] = peers.map((peer) => ({ ...peer, live: live.get(peer.publicKey) }));
  const { items, collectionProps, filterProps, paginationProps, filteredItemsCount } = useCollection(rows, {
    filtering: {
      empty: !props.peers ? (
        <Box textAlign="center" color="inherit">
          <b>Peers not loaded</b>
        </Box>
      ) : (
        <Box textAlign="center" color="inherit">
          <b>No peers</b>
          <Box variant="p" color="inherit">
            Create a VPC peering, or add a road-warrior peer for a laptop or phone.
          </Box>
        </Box>
      ),
      noMatch: <Box textAlign="center">No peer matches the filter.</Box>,
    },
    sorting: { defaultState: { sortingColumn: { sortingField: 'name' } } },
    pagination: { pageSize: 25 },
  });
  const columns: TableProps.ColumnDefinition<Row>[] = [
    { id: 'name', header: 'Name', sortingField: 'name', isRowHeader: true, cell: (row) => row.name },
    { id: 'type', header: 'Type', sortingField: 'type', cell: (row) => row.type },
    { id: 'tunnelIp', header: 'Tunnel IP', cell: (row) => row.tunnelIp },
    { id: 'allowedIps', header: 'AllowedIPs', cell: (row) => row.allowedIps.join(', ') },
    { id: 'endpoint', header: 'Endpoint', cell: (row) => row.endpoint ?? row.live?.endpoint ?? '-' },
    { id: 'handshake', header: 'Latest handshake', cell: (row) => <Handshake live={row.live} /> },
    { id: 'config', header: 'Config', cell: (row) => <ClientConfig peer={row} /> },
    {
      id: 'transfer',
      header: 'Transfer',
      cell: (row) =>
        row.live ? `${formatBytes(row.live.rxBytes)} received, ${formatBytes(row.live.txBytes)} sent` : '-',
    },
    {
      id: 'actions',
      header: 'Actions',
      cell: (row) => (
        <SpaceBetween direction="horizontal" size="xs">
          {row.type === 'road-warrior' && (
            <>
              <Button variant="inline-link" onClick={() => props.onDownload(row.name)}>
                Download config
              </Button>
              <Button variant="inline-link" onClick={() => props.onShowQr(row.name)}>
                Show QR code
              </Button>
            </>
          )}
          <Button variant="inline-link" onClick={() => props.onDelete(row.name)}>
            Delete
          </Button>
        </SpaceBetween>
      ),
    },
  ];
  return (
    <Table
      {...collectionProps}
      items={items}
      trackBy="name"
      loading={props.loading && peers.length === 0}
      loadingText="Loading peers"
      columnDefinitions={columns}
      wrapLines
      header={
        <Header
          counter={props.peers ? `(${props.peers.length})` : undefined}
          description={
            props.status?.reportedAt
              ? `Handshakes and transfer as of the gateway's report at ${new Date(props.status.reportedAt).toLocaleTimeString()}.`
              : 'Handshakes and transfer appear once the gateway reports.'
          }
          actions={
            <Button disabled={!props.peers} onClick={props.onAddPeer}>
              Add peer
            </Button>
          }
        >
          Peers
        </Header>
      }
      filter={
        <TextFilter
          {...filterProps}
          filteringPlaceholder="Find peers"
          filteringAriaLabel="Filter peers"
          countText={`${filteredItemsCount ?? 0} matches`}
        />
      }
      pagination={<Pagination {...paginationProps} ariaLabels={PAGINATION_LABELS} />}
    />
  );
}
