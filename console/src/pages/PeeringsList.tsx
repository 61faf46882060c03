/** VPC Peerings: every peering the caller sees, its two gateways linked, and Delete with confirmation. */
import { useCollection } from '@cloudscape-design/collection-hooks';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Modal from '@cloudscape-design/components/modal';
import Pagination from '@cloudscape-design/components/pagination';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import { useState } from 'react';
import {
  allPages,
  api,
  call,
  callWithStatus,
  type Gateway,
  type Listed,
  PAGE_SIZE,
  type Peering,
} from '../api/client';
import { PeeringStatusBadge } from '../components/badges';
import { PAGINATION_LABELS } from '../components/labels';
import { ListLimitNotice, listCounter } from '../components/list-limit';
import { useRetryWait, WaitingButton } from '../components/retry-wait';
import { formatTime } from '../lib/format';
import { useNotifications } from '../notifications';
import { followInApp, gatewayHref } from '../router';
import { useLoad } from '../use-load';
import { untilPeeringGone } from './gateway-data';
import { loadGateways } from './gateways-data';

interface Row extends Peering {
  names: [string, string];
}

async function loadPeerings(): Promise<Listed<Row>> {
  const [peerings, gateways] = await Promise.all([
    allPages((nextToken) =>
      call(
        api().GET('/v1/vpc-peerings', {
          params: { query: { limit: PAGE_SIZE, ...(nextToken ? { nextToken } : {}) } },
        }),
      ),
    ),
    loadGateways(),
  ]);
  // A gateway past the gateway list's limit shows by its id.
  const names = new Map(gateways.items.map((gateway: Gateway) => [gateway.id, gateway.name || gateway.id]));
  const items = peerings.items.map((peering): Row => {
    const [a = '', b = ''] = peering.gatewayIds;
    return { ...peering, names: [names.get(a) ?? a, names.get(b) ?? b] };
  });
  return { items, truncated: peerings.truncated };
}

const gatewayLink = (id: string | undefined, name: string) =>
  id ? (
    <Link href={gatewayHref(id)} onFollow={followInApp}>
      {name}
    </Link>
  ) : (
    '-'
  );

export function PeeringsList() {
  const { notify, reportError } = useNotifications();
  const { data, loading, reload } = useLoad('Loading VPC peerings', loadPeerings, []);
  const [deleting, setDeleting] = useState<Row>();
  const [busy, setBusy] = useState(false);
  const wait = useRetryWait();
  const rows = data?.items ?? [];
  const truncated = data?.truncated ?? false;
  const { items, collectionProps, filterProps, paginationProps, filteredItemsCount } = useCollection(rows, {
    filtering: {
      empty: (
        <Box textAlign="center" color="inherit">
          <b>No VPC peerings</b>
          <Box variant="p" color="inherit">
            Open a gateway under VPN Gateways and choose Create VPC Peering.
          </Box>
        </Box>
      ),
      noMatch: <Box textAlign="center">No peering matches the filter.</Box>,
    },
    sorting: { defaultState: { sortingColumn: { sortingField: 'createdAt' }, isDescending: true } },
    pagination: { pageSize: 20 },
  });
  const columns: TableProps.ColumnDefinition<Row>[] = [
    { id: 'id', header: 'Peering', sortingField: 'id', isRowHeader: true, cell: (row) => row.id },
    { id: 'a', header: 'Gateway', cell: (row) => gatewayLink(row.gatewayIds[0], row.names[0]) },
    { id: 'b', header: 'Remote gateway', cell: (row) => gatewayLink(row.gatewayIds[1], row.names[1]) },
    {
      id: 'status',
      header: 'Status',
      sortingField: 'status',
      cell: (row) => <PeeringStatusBadge status={row.status} />,
    },
    { id: 'reason', header: 'Status reason', cell: (row) => row.statusReason ?? '-' },
    {
      id: 'createdAt',
      header: 'Created',
      sortingField: 'createdAt',
      cell: (row) => formatTime(row.createdAt),
    },
    {
      id: 'actions',
      header: 'Actions',
      cell: (row) => (
        <Button variant="inline-link" disabled={row.status === 'DELETING'} onClick={() => setDeleting(row)}>
          Delete
        </Button>
      ),
    },
  ];
  const confirmDelete = async (row: Row) => {
    if (busy || wait.secondsLeft > 0) return;
    setBusy(true);
    try {
      const { status } = await wait.send(
        callWithStatus(api().DELETE('/v1/vpc-peerings/{id}', { params: { path: { id: row.id } } })),
      );
      setDeleting(undefined);
      // 202 while it runs: follow this peering alone (404 once gone), then load the list once.
      if (status === 202) await untilPeeringGone(row.id);
      notify({ type: 'success', content: `VPC peering ${row.id} deleted on both gateways.` });
      reload();
    } catch (error) {
      if (!wait.holds(error)) setDeleting(undefined);
      reportError(`Deleting VPC peering ${row.id}`, error);
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Table
        {...collectionProps}
        items={items}
        loading={loading}
        loadingText="Loading VPC peerings"
        trackBy="id"
        variant="full-page"
        columnDefinitions={columns}
        header={
          <SpaceBetween size="s">
            <Header
              variant="awsui-h1-sticky"
              counter={loading ? undefined : listCounter(rows.length, truncated)}
              description="Each peering connects the VPCs of two of your gateways, on both sides."
              actions={<Button iconName="refresh" ariaLabel="Refresh VPC peerings" onClick={reload} />}
            >
              VPC Peerings
            </Header>
            {truncated && (
              <ListLimitNotice
                count={rows.length}
                what="VPC peerings"
                narrow="A gateway's page lists all of its peerings."
              />
            )}
          </SpaceBetween>
        }
        filter={
          <TextFilter
            {...filterProps}
            filteringPlaceholder="Find peerings"
            filteringAriaLabel="Filter peerings"
            countText={`${filteredItemsCount ?? 0} matches`}
          />
        }
        pagination={<Pagination {...paginationProps} ariaLabels={PAGINATION_LABELS} />}
      />
      {deleting && (
        <Modal
          closeAriaLabel="Close dialog"
          visible
          onDismiss={() => setDeleting(undefined)}
          header={`Delete VPC peering ${deleting.id}?`}
          footer={
            <Box float="right">
              <SpaceBetween direction="horizontal" size="xs">
                <Button variant="link" onClick={() => setDeleting(undefined)}>
                  Cancel
                </Button>
                <WaitingButton
                  variant="primary"
                  loading={busy}
                  onClick={() => confirmDelete(deleting)}
                  wait={wait}
                >
                  Delete
                </WaitingButton>
              </SpaceBetween>
            </Box>
          }
        >
          The peering between <b>{deleting.names[0]}</b> and <b>{deleting.names[1]}</b> is removed from both
          gateways.
        </Modal>
      )}
    </>
  );
}
