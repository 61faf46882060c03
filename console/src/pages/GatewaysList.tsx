/**
 * VPN Gateways: every gateway the caller sees, a page of the API at a time (use-paged-list.ts), in
 * the API's order (by id); admins also see and filter by owner (on the server: `ownerId`).
 */
import { useCollection } from '@cloudscape-design/collection-hooks';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import { useEffect, useState } from 'react';
import type { Gateway } from '../api/client';
import type { Identity } from '../auth/session';
import { GatewayStatusBadge } from '../components/badges';
import { ListLoadFailed, ListPagination, listCounter } from '../components/paged-list';
import { takePreloadedGateways } from '../preload';
import { followInApp, gatewayHref, navigate } from '../router';
import { usePagedList } from '../use-paged-list';
import { gatewaysPage } from './gateways-data';

const ALL_OWNERS: SelectProps.Option = { label: 'All owners', value: '' };

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

/**
 * The owner filter's options: the owners of the pages seen matching what is typed, and what is
 * typed itself, as an owner id the API filters by (`ownerId=`): the pages seen may not hold every
 * owner.
 */
export function ownerOptions(knownOwners: string[], typed: string): SelectProps.Option[] {
  const text = typed.trim();
  const matching = knownOwners.filter((id) => id.includes(text));
  const asTyped =
    text && !knownOwners.includes(text)
      ? [{ label: text, value: text, description: 'This owner id, as typed' }]
      : [];
  return [ALL_OWNERS, ...asTyped, ...matching.map((id) => ({ label: id, value: id }))];
}

export function GatewaysList({ identity }: { identity: Identity }) {
  const [owner, setOwner] = useState<SelectProps.Option>(ALL_OWNERS);
  const ownerId = owner.value || undefined;
  const [preloaded] = useState(takePreloadedGateways);
  const list = usePagedList(
    'Loading gateways',
    (nextToken) => gatewaysPage(ownerId, nextToken),
    [ownerId],
    preloaded,
  );
  // The API filters by owner; the same filter here keeps the table right against an API that does not yet.
  const gateways = list.items.filter((gateway) => !ownerId || gateway.ownerId === ownerId);
  const [knownOwners, setKnownOwners] = useState<string[]>([]);
  // The owner filter offers the owners of the unfiltered pages seen.
  useEffect(() => {
    if (ownerId || list.loading) return;
    setKnownOwners((known) => {
      const more = list.items.map((g) => g.ownerId).filter((id) => !known.includes(id));
      return more.length ? [...new Set([...known, ...more])].sort() : known;
    });
  }, [list.items, list.loading, ownerId]);
  const [ownerText, setOwnerText] = useState('');
  const { items, collectionProps, filterProps, filteredItemsCount } = useCollection(gateways, {
    filtering: {
      empty:
        list.error !== undefined ? (
          <ListLoadFailed title="Gateways could not be loaded" list={list} />
        ) : (
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
        ),
      noMatch: (
        <Box textAlign="center" color="inherit">
          <b>No match on this page</b>
          <Box variant="p" color="inherit">
            The filter looks at this page only; other pages may hold a match.
          </Box>
        </Box>
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
        <SpaceBetween direction="horizontal" size="xs">
          <TextFilter
            {...filterProps}
            filteringPlaceholder="Find on this page"
            filteringAriaLabel="Filter the gateways of this page"
            countText={`${filteredItemsCount ?? 0} matches on this page`}
          />
          {identity.isAdmin && (
            <Select
              selectedOption={owner}
              onChange={({ detail }) => setOwner(detail.selectedOption)}
              options={ownerOptions(knownOwners, ownerText)}
              filteringType="manual"
              onLoadItems={({ detail }) => setOwnerText(detail.filteringText)}
              filteringPlaceholder="Find or type an owner id"
              filteringAriaLabel="Owner id"
              ariaLabel="Filter by owner"
              inlineLabelText="Owner"
            />
          )}
        </SpaceBetween>
      }
      pagination={<ListPagination list={list} />}
    />
  );
}
