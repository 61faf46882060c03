/**
 * A gateway's Peers table: what the control plane configured, joined with the live status by key,
 * then the peers the gateway still runs that the registry no longer has (a removal not applied yet).
 */
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
import { formatBytes, formatTime, handshakeMillis, liveness, relativeTime } from '../lib/format';
import { LivenessBadge } from './badges';
import { PAGINATION_LABELS } from './labels';

/** A registry peer, with the live status of its key when the gateway reported it. */
interface RegistryRow extends Peer {
  removed: false;
  live: PeerLiveStatus | undefined;
}

/**
 * A peer the gateway still runs that the registry no longer has: its removal's push failed (502
 * PUSH_FAILED) or is queued, and the key can still connect until drift repair applies the removal
 * (docs/DECISIONS.md, "A peering delete whose pushes failed is 502, not 204").
 */
interface RemovedRow {
  removed: true;
  name: string;
  type: string;
  publicKey: string;
  allowedIps: string[];
  endpoint: string | null;
  live: PeerLiveStatus;
}

type Row = RegistryRow | RemovedRow;

/** Every `/status` peer whose key no registry peer has, named as the applied document named it. */
function removedRows(peers: Peer[], live: PeerLiveStatus[]): RemovedRow[] {
  const registered = new Set(peers.map((peer) => peer.publicKey));
  return live
    .filter((peer) => !registered.has(peer.publicKey))
    .map((peer) => ({
      removed: true,
      name: peer.name ?? `Unnamed (key ${peer.publicKey.slice(0, 8)}…)`,
      type: peer.type ?? '-',
      publicKey: peer.publicKey,
      allowedIps: peer.allowedIps,
      endpoint: peer.endpoint,
      live: peer,
    }));
}

function Handshake({ live, stale }: { live: PeerLiveStatus | undefined; stale: boolean }) {
  if (!live) return <Box color="text-status-inactive">Not reported yet</Box>;
  const now = Date.now();
  const at = handshakeMillis(live.latestHandshake);
  // A stale report's handshake is the last one it saw (the header says when that was), not the
  // latest there is; with no report at all there is none to show.
  const when = at === null ? (stale ? 'none reported' : 'never') : relativeTime(at, now);
  return (
    <SpaceBetween direction="horizontal" size="xs">
      <LivenessBadge liveness={liveness(live.latestHandshake, now, live.online, stale)} />
      <span>{when}</span>
    </SpaceBetween>
  );
}

function PeersDescription({ status }: { status: GatewayStatus | undefined }) {
  if (!status?.reportedAt) return <>Handshakes and transfer appear once the gateway reports.</>;
  const at = formatTime(status.reportedAt);
  if (!status.stale) return <>Handshakes and transfer as of the gateway's report at {at}.</>;
  return (
    <>
      Handshakes and transfer as of the gateway's last report, at {at}. It has not reported since: whether
      peers are online is unknown.
    </>
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
  /** The gateway has more peers than `peers` (the console reads at most 5,100): said, none removed. */
  peersTruncated: boolean;
  /** `peers` was read no earlier than `status`, and its latest read did not fail. */
  registryCurrent: boolean;
  /** Peers whose delete is under way: shown as Deleting, with no Delete to ask again. */
  deleting: ReadonlySet<string>;
  status: GatewayStatus | undefined;
  loading: boolean;
  onAddPeer(): void;
  onDelete(name: string): void;
  onDownload(name: string): void;
  onShowQr(name: string): void;
}) {
  const reported = props.status?.peers ?? [];
  const live = new Map(reported.map((peer) => [peer.publicKey, peer]));
  const stale = props.status?.stale === true;
  const peers = props.peers ?? [];
  // Only the whole registry, read since the status, tells a peer removed: one not loaded, cut at
  // 5,100 peers, failed or older would show registered peers as removed (docs/DECISIONS.md, "The
  // console shows what status says").
  const tellsRemoved = props.peers !== undefined && !props.peersTruncated && props.registryCurrent;
  const rows: Row[] = [
    ...peers.map((peer): Row => ({ ...peer, removed: false, live: live.get(peer.publicKey) })),
    ...(tellsRemoved ? removedRows(peers, reported) : []),
  ];
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
    {
      id: 'name',
      header: 'Name',
      sortingField: 'name',
      isRowHeader: true,
      cell: (row) =>
        row.removed ? (
          <SpaceBetween size="xxs">
            <span>{row.name}</span>
            <StatusIndicator type="warning" wrapText={false}>
              Removed, still on the gateway
            </StatusIndicator>
            <Box variant="small">Removal pending: it can still connect.</Box>
          </SpaceBetween>
        ) : props.deleting.has(row.name) ? (
          <SpaceBetween size="xxs">
            <span>{row.name}</span>
            <StatusIndicator type="in-progress" wrapText={false}>
              Deleting
            </StatusIndicator>
          </SpaceBetween>
        ) : (
          row.name
        ),
    },
    { id: 'type', header: 'Type', sortingField: 'type', cell: (row) => row.type },
    { id: 'tunnelIp', header: 'Tunnel IP', cell: (row) => (row.removed ? '-' : row.tunnelIp) },
    { id: 'allowedIps', header: 'AllowedIPs', cell: (row) => row.allowedIps.join(', ') || '-' },
    { id: 'endpoint', header: 'Endpoint', cell: (row) => row.endpoint ?? row.live?.endpoint ?? '-' },
    {
      id: 'handshake',
      header: 'Latest handshake',
      cell: (row) => <Handshake live={row.live} stale={stale} />,
    },
    { id: 'config', header: 'Config', cell: (row) => (row.removed ? '-' : <ClientConfig peer={row} />) },
    {
      id: 'transfer',
      header: 'Transfer',
      cell: (row) =>
        row.live ? `${formatBytes(row.live.rxBytes)} received, ${formatBytes(row.live.txBytes)} sent` : '-',
    },
    {
      id: 'actions',
      header: 'Actions',
      // A removed peer has nothing left to act on: drift repair pushes its removal again.
      cell: (row) =>
        row.removed ? (
          '-'
        ) : (
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
            <Button
              variant="inline-link"
              disabled={props.deleting.has(row.name)}
              onClick={() => props.onDelete(row.name)}
            >
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
      trackBy={(row) => (row.removed ? `removed ${row.publicKey}` : row.name)}
      loading={props.loading && peers.length === 0}
      loadingText="Loading peers"
      columnDefinitions={columns}
      wrapLines
      header={
        <Header
          counter={props.peers ? `(${rows.length}${props.peersTruncated ? '+' : ''})` : undefined}
          description={
            <>
              <PeersDescription status={props.status} />
              {props.peersTruncated && (
                <>
                  <br />
                  <StatusIndicator type="info">
                    Showing the first {peers.length.toLocaleString('en-US')} peers: more exist. The table, its
                    filter and its sorting cover only these, and no peer is shown as removed.
                  </StatusIndicator>
                </>
              )}
            </>
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
