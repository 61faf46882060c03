/**
 * VPC Peerings: every peering the caller sees, a page of the API at a time (use-paged-list.ts) in
 * the API's order (by id), filtered on the server by status and, for admins, by owner
 * (components/list-filters.tsx); its two gateways linked, and Delete with confirmation.
 */
import { useCollection } from '@cloudscape-design/collection-hooks';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Modal from '@cloudscape-design/components/modal';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import { useMemo, useState } from 'react';
import {
  api,
  call,
  callWithStatus,
  listPageQuery,
  type Page,
  PEERING_STATUSES,
  type Peering,
  type PeeringStatusValue,
} from '../api/client';
import type { Identity } from '../auth/session';
import { PeeringStatusBadge } from '../components/badges';
import { FilteredEmpty, ListFilterBar, NoMatchOnPage, useListFilters } from '../components/list-filters';
import { ListLoadFailed, ListPagination, listCounter } from '../components/paged-list';
import { useRetryWait, WaitingButton } from '../components/retry-wait';
import { formatTime } from '../lib/format';
import { useNotifications } from '../notifications';
import { usePageTitle } from '../page-title';
import { followInApp, gatewayHref, type ListFilters } from '../router';
import { usePagedList } from '../use-paged-list';
import { untilPeeringGone } from './gateway-data';

interface Row extends Peering {
  names: [string, string];
}

/** Name look-ups at once: a page's (up to 40 gateways) stay well inside the caller's burst. */
const NAME_LOOKUPS_AT_ONCE = 4;

/**
 * The names of these gateways, each read once (`GET /v1/gateways/{id}`) and kept in `names`: the
 * page shown needs at most two per row, whatever the size of the fleet. A gateway that cannot be
 * read (gone, or the read refused) shows by its id.
 */
async function nameGateways(ids: string[], names: Map<string, string>): Promise<void> {
  const unnamed = [...new Set(ids)].filter((id) => !names.has(id));
  const lookUp = async (): Promise<void> => {
    for (let id = unnamed.shift(); id !== undefined; id = unnamed.shift()) {
      const gatewayId = id;
      const gateway = await call(
        api().GET('/v1/gateways/{id}', { params: { path: { id: gatewayId } } }),
      ).catch(() => undefined);
      if (gateway) names.set(gatewayId, gateway.name || gatewayId);
    }
  };
  await Promise.all(Array.from({ length: NAME_LOOKUPS_AT_ONCE }, lookUp));
}

/** One page of peerings, narrowed on the server by the filters, with the names of their gateways. */
async function peeringsPage(
  names: Map<string, string>,
  filters: ListFilters<PeeringStatusValue>,
  nextToken?: string,
): Promise<Page<Row>> {
  const page = await call(
    api().GET('/v1/vpc-peerings', {
      params: { query: listPageQuery(filters, nextToken) },
    }),
  );
  await nameGateways(
    page.items.flatMap((peering) => peering.gatewayIds),
    names,
  );
  const items = page.items.map((peering): Row => {
    const [a = '', b = ''] = peering.gatewayIds;
    return { ...peering, names: [names.get(a) ?? a, names.get(b) ?? b] };
  });
  return { items, ...(page.nextToken ? { nextToken: page.nextToken } : {}) };
}

const gatewayLink = (id: string | undefined, name: string) =>
  id ? (
    <Link href={gatewayHref(id)} onFollow={followInApp}>
      {name}
    </Link>
  ) : (
    '-'
  );

export function PeeringsList({ identity }: { identity: Identity }) {
  usePageTitle('VPC Peerings');
  const { notify, reportError } = useNotifications();
  const filtering = useListFilters(PEERING_STATUSES, identity.isAdmin);
  const [names] = useState(() => new Map<string, string>());
  const list = usePagedList(
    'Loading VPC peerings',
    (nextToken) => peeringsPage(names, filtering.filters, nextToken),
    filtering.key,
  );
  const owners = useMemo(() => list.items.map((row) => row.ownerId), [list.items]);
  const [deleting, setDeleting] = useState<Row>();
  const [busy, setBusy] = useState(false);
  const wait = useRetryWait();
  const { items, collectionProps, filterProps, filteredItemsCount, actions } = useCollection(list.items, {
    filtering: {
      empty:
        list.error !== undefined ? (
          <ListLoadFailed title="VPC peerings could not be loaded" list={list} filtering={filtering} />
        ) : (
          <FilteredEmpty
            noun="peerings"
            filtering={filtering}
            list={list}
            unfiltered={
              <Box textAlign="center" color="inherit">
                <b>No VPC peerings</b>
                <Box variant="p" color="inherit">
                  Open a gateway under VPN Gateways and choose Create VPC Peering.
                </Box>
              </Box>
            }
          />
        ),
      noMatch: (
        <NoMatchOnPage noun="peerings" filtering={filtering} clearText={() => actions.setFiltering('')} />
      ),
    },
  });
  const columns: TableProps.ColumnDefinition<Row>[] = [
    { id: 'id', header: 'Peering', isRowHeader: true, cell: (row) => row.id },
    ...(identity.isAdmin ? [{ id: 'owner', header: 'Owner', cell: (row: Row) => row.ownerId }] : []),
    { id: 'a', header: 'Gateway', cell: (row) => gatewayLink(row.gatewayIds[0], row.names[0]) },
    { id: 'b', header: 'Remote gateway', cell: (row) => gatewayLink(row.gatewayIds[1], row.names[1]) },
    {
      id: 'status',
      header: 'Status',
      cell: (row) => <PeeringStatusBadge status={row.status} />,
    },
    { id: 'reason', header: 'Status reason', cell: (row) => row.statusReason ?? '-' },
    {
      id: 'createdAt',
      header: 'Created',
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
        callWithStatus(
          api().DELETE('/v1/vpc-peerings/{id}', { params: { path: { id: row.id } } }),
          `Delete VPC peering ${row.id}`,
        ),
      );
      setDeleting(undefined);
      // 202 while it runs: follow this peering alone (404 once gone), then read the page shown once.
      if (status === 202) await untilPeeringGone(row.id);
      notify({ type: 'success', content: `VPC peering ${row.id} deleted on both gateways.` });
      list.reload();
    } catch (error) {
      const held = wait.holds(error);
      if (!held) setDeleting(undefined);
      reportError(`Deleting VPC peering ${row.id}`, error);
      // The peering may have changed meanwhile (deleted with a push that failed: 502, gone: 404):
      // the page shows where it stands.
      if (!held) list.reload();
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Table
        {...collectionProps}
        items={items}
        loading={list.loading}
        loadingText="Loading VPC peerings"
        trackBy="id"
        variant="full-page"
        columnDefinitions={columns}
        header={
          <Header
            variant="awsui-h1-sticky"
            counter={list.loading ? undefined : listCounter(list)}
            description={
              identity.isAdmin
                ? 'Each peering connects the VPCs of two gateways of one owner, on both sides; in order of id.'
                : 'Each peering connects the VPCs of two of your gateways, on both sides; in order of id.'
            }
            actions={<Button iconName="refresh" ariaLabel="Refresh VPC peerings" onClick={list.refresh} />}
          >
            VPC Peerings
          </Header>
        }
        filter={
          <ListFilterBar
            find={{ noun: 'peerings', filterProps, filteredItemsCount }}
            statuses={PEERING_STATUSES}
            filtering={filtering}
            {...(identity.isAdmin ? { owners } : {})}
          />
        }
        pagination={<ListPagination list={list} />}
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
          The peering between <b>{deleting.names[0]}</b> and <b>{deleting.names[1]}</b>
          {identity.isAdmin ? `, gateways of ${deleting.ownerId},` : ''} is removed from both gateways.
        </Modal>
      )}
    </>
  );
}
