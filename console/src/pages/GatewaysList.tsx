/**
 * VPN Gateways: every gateway the caller sees, a page of the API at a time (use-paged-list.ts), in
 * the API's order (by id), filtered on the server by status and, for admins, by owner
 * (components/list-filters.tsx); admins also see the owner of each.
 */
import { useCollection } from '@cloudscape-design/collection-hooks';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import { useEffect, useMemo, useState } from 'react';
import { GATEWAY_STATUSES, type Gateway } from '../api/client';
import type { Identity } from '../auth/session';
import { GatewayStatusBadge } from '../components/badges';
import { FilteredEmpty, ListFilterBar, NoMatchOnPage, useListFilters } from '../components/list-filters';
import { ListLoadFailed, ListPagination, listCounter } from '../components/paged-list';
import { rememberGatewaysQuery } from '../list-return';
import { usePageTitle } from '../page-title';
import { takePreloadedGateways } from '../preload';
import { followInApp, gatewayHref, listQueryOf, navigate } from '../router';
import { usePagedList } from '../use-paged-list';
import { gatewaysPage } from './gateways-data';

function columns(isAdmin: boolean): TableProps.ColumnDefinition<Gateway>[] {
  const all: (TableProps.ColumnDefinition<Gateway> & { adminOnly?: boolean })[] = [
    {
      id: 'name',
      header: 'Name',
      isRowHeader: true,
      cell: (gateway) => (
        <Link href={gatewayHref(gateway.id)} onFollow={followInApp}>
          {gateway.name || gateway.id}
        </Link>
      ),
    },
    { id: 'owner', header: 'Owner', cell: (g) => g.ownerId, adminOnly: true },
    { id: 'vpc', header: 'VPC', cell: (g) => g.vpcId },
    { id: 'cidr', header: 'VPC CIDR', cell: (g) => g.vpcCidr },
    { id: 'tunnel', header: 'Tunnel subnet', cell: (g) => g.tunnelSubnet },
    { id: 'endpoint', header: 'Public endpoint', cell: (g) => `${g.publicIp}:${g.listenPort}` },
    { id: 'location', header: 'Location', cell: (g) => g.location || '-' },
    {
      id: 'status',
      header: 'Status',
      cell: (g) => <GatewayStatusBadge status={g.status} />,
    },
  ];
  return all.filter((column) => isAdmin || !column.adminOnly);
}

export function GatewaysList({ identity }: { identity: Identity }) {
  usePageTitle('VPN Gateways');
  const filtering = useListFilters(GATEWAY_STATUSES, identity.isAdmin);
  const { filters } = filtering;
  // The way back from a gateway opens the list under these filters (list-return.ts).
  useEffect(() => rememberGatewaysQuery(listQueryOf(filters)), [filters]);
  const [preloaded] = useState(takePreloadedGateways);
  const list = usePagedList(
    'Loading gateways',
    (nextToken) => gatewaysPage(filters, nextToken),
    filtering.key,
    preloaded,
  );
  const owners = useMemo(() => list.items.map((gateway) => gateway.ownerId), [list.items]);
  const { items, collectionProps, filterProps, filteredItemsCount, actions } = useCollection(list.items, {
    filtering: {
      empty:
        list.error !== undefined ? (
          <ListLoadFailed title="Gateways could not be loaded" list={list} filtering={filtering} />
        ) : (
          <FilteredEmpty
            noun="gateways"
            filtering={filtering}
            list={list}
            unfiltered={
              <Box textAlign="center" color="inherit">
                <SpaceBetween size="xxs">
                  <b>No gateways</b>
                  <Box variant="p" color="inherit">
                    {identity.isAdmin
                      ? 'Register a gateway to manage it here.'
                      : 'Your VPN gateways appear here once the provisioning system registers them.'}
                  </Box>
                </SpaceBetween>
              </Box>
            }
          />
        ),
      noMatch: (
        <NoMatchOnPage noun="gateways" filtering={filtering} clearText={() => actions.setFiltering('')} />
      ),
    },
  });
  return (
    <Table
      {...collectionProps}
      items={items}
      loading={list.loading}
      loadingText="Loading gateways"
      trackBy="id"
      variant="full-page"
      columnDefinitions={columns(identity.isAdmin)}
      header={
        <Header
          variant="awsui-h1-sticky"
          counter={list.loading ? undefined : listCounter(list)}
          description="WireGuard VPN gateways, one per VPC, in order of id. Open one to peer its VPC with another."
          actions={
            <SpaceBetween direction="horizontal" size="xs">
              <Button iconName="refresh" ariaLabel="Refresh gateways" onClick={list.refresh} />
              {identity.isAdmin && (
                <Button variant="primary" onClick={() => navigate('/gateways/register')}>
                  Register gateway
                </Button>
              )}
            </SpaceBetween>
          }
        >
          VPN Gateways
        </Header>
      }
      filter={
        <ListFilterBar
          find={{ noun: 'gateways', filterProps, filteredItemsCount }}
          statuses={GATEWAY_STATUSES}
          filtering={filtering}
          {...(identity.isAdmin ? { owners } : {})}
        />
      }
      pagination={<ListPagination list={list} />}
    />
  );
}
