/** VPN Gateways: every gateway the caller sees; admins also see and filter by owner. */
import { useCollection } from '@cloudscape-design/collection-hooks';
import Box from '@cloudscape-design/components/box';
import Button from '@cloudscape-design/components/button';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Pagination from '@cloudscape-design/components/pagination';
import Select, { type SelectProps } from '@cloudscape-design/components/select';
import SpaceBetween from '@cloudscape-design/components/space-between';
import Table, { type TableProps } from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import { useEffect, useState } from 'react';
import type { Gateway } from '../api/client';
import type { Identity } from '../auth/session';
import { GatewayStatusBadge } from '../components/badges';
import { PAGINATION_LABELS } from '../components/labels';
import { ListLimitNotice, listCounter } from '../components/list-limit';
import { takePreloadedGateways } from '../preload';
import { followInApp, gatewayHref, navigate } from '../router';
import { useLoad } from '../use-load';
import { loadGateways } from './gateways-data';

const ALL_OWNERS: SelectProps.Option = { label: 'All owners', value: '' };

function columns(isAdmin: boolean): TableProps.ColumnDefinition<Gateway>[] {
  const all: (TableProps.ColumnDefinition<Gateway> & { adminOnly?: boolean })[] = [
    {
      id: 'name',
      header: 'Name',
      sortingField: 'name',
      isRowHeader: true,
      cell: (gateway) => (
        <Link href={gatewayHref(gateway.id)} onFollow={followInApp}>
          {gateway.name || gateway.id}
        </Link>
      ),
    },
    { id: 'owner', header: 'Owner', sortingField: 'ownerId', cell: (g) => g.ownerId, adminOnly: true },
    { id: 'vpc', header: 'VPC', sortingField: 'vpcId', cell: (g) => g.vpcId },
    { id: 'cidr', header: 'VPC CIDR', sortingField: 'vpcCidr', cell: (g) => g.vpcCidr },
    { id: 'tunnel', header: 'Tunnel subnet', sortingField: 'tunnelSubnet', cell: (g) => g.tunnelSubnet },
    { id: 'endpoint', header: 'Public endpoint', cell: (g) => `${g.publicIp}:${g.listenPort}` },
    { id: 'location', header: 'Location', sortingField: 'location', cell: (g) => g.location || '-' },
    {
      id: 'status',
      header: 'Status',
      sortingField: 'status',
      cell: (g) => <GatewayStatusBadge status={g.status} />,
    },
  ];
  return all.filter((column) => isAdmin || !column.adminOnly);
}

/**
 * The owner filter's options: the owners of the loaded list matching what is typed, and what is
 * typed itself, as an owner id the API filters by (`ownerId=`): the loaded list may not hold every
 * owner (it stops at 5,000 gateways).
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
  const { data, loading, reload } = useLoad(
    'Loading gateways',
    () => loadGateways(ownerId),
    [ownerId],
    preloaded,
  );
  // The API filters by owner; the same filter here keeps the table right against an API that does not yet.
  const gateways = (data?.items ?? []).filter((gateway) => !ownerId || gateway.ownerId === ownerId);
  const truncated = data?.truncated ?? false;
  const [knownOwners, setKnownOwners] = useState<string[]>([]);
  // The owner filter offers the owners of the unfiltered list.
  useEffect(() => {
    if (!ownerId && data) setKnownOwners([...new Set(data.items.map((g) => g.ownerId))].sort());
  }, [data, ownerId]);
  const [ownerText, setOwnerText] = useState('');
  const { items, collectionProps, filterProps, paginationProps, filteredItemsCount } = useCollection(
    gateways,
    {
      filtering: {
        empty: (
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
            <b>No match</b>
            <Box variant="p" color="inherit">
              No gateway matches the filter.
            </Box>
          </Box>
        ),
      },
      sorting: { defaultState: { sortingColumn: { sortingField: 'name' } } },
      pagination: { pageSize: 20 },
    },
  );
  return (
    <Table
      {...collectionProps}
      items={items}
      loading={loading}
      loadingText="Loading gateways"
      trackBy="id"
      variant="full-page"
      columnDefinitions={columns(identity.isAdmin)}
      header={
        <SpaceBetween size="s">
          <Header
            variant="awsui-h1-sticky"
            counter={loading ? undefined : listCounter(gateways.length, truncated)}
            description="WireGuard VPN gateways, one per VPC. Open one to peer its VPC with another."
            actions={
              <SpaceBetween direction="horizontal" size="xs">
                <Button iconName="refresh" ariaLabel="Refresh gateways" onClick={reload} />
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
          {truncated && (
            <ListLimitNotice
              count={gateways.length}
              what="gateways"
              narrow={
                identity.isAdmin ? 'Choose or type an owner id in the Owner filter to list theirs.' : ''
              }
            />
          )}
        </SpaceBetween>
      }
      filter={
        <SpaceBetween direction="horizontal" size="xs">
          <TextFilter
            {...filterProps}
            filteringPlaceholder="Find gateways"
            filteringAriaLabel="Filter gateways"
            countText={`${filteredItemsCount ?? 0} matches`}
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
      pagination={<Pagination {...paginationProps} ariaLabels={PAGINATION_LABELS} />}
    />
  );
}
