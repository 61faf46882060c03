/**
 * Bench section 12's floor: the gateway list as Cloudscape and React draw it on their own. The
 * components of src/App.tsx and src/pages/GatewaysList.tsx with the props that shape them (layout,
 * sticky header, full-page table, collection hooks), 20 rows written in, and none of the app: no
 * configuration or API request, no sign-in, no router, no chunk loaded on demand.
 * Built only by the bench (vite.floor.config.ts), never shipped.
 */
import '@cloudscape-design/global-styles/index.css';
import { useCollection } from '@cloudscape-design/collection-hooks';
import AppLayout from '@cloudscape-design/components/app-layout';
import Button from '@cloudscape-design/components/button';
import Flashbar from '@cloudscape-design/components/flashbar';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import Pagination from '@cloudscape-design/components/pagination';
import SideNavigation from '@cloudscape-design/components/side-navigation';
import StatusIndicator from '@cloudscape-design/components/status-indicator';
import Table from '@cloudscape-design/components/table';
import TextFilter from '@cloudscape-design/components/text-filter';
import TopNavigation from '@cloudscape-design/components/top-navigation';
import { createRoot } from 'react-dom/client';

const GATEWAYS = Array.from({ length: 20 }, (_, i) => ({
  id: `gw-console-${i + 1}`,
  name: `gateway-${String(i + 1).padStart(2, '0')}`,
  vpcId: `vpc-console-${i + 1}`,
  vpcCidr: `10.${i + 1}.0.0/16`,
  tunnelSubnet: `100.64.${i + 1}.0/24`,
  endpoint: `198.51.100.${i + 1}:51820`,
  location: 'local',
  status: 'ACTIVE',
}));
type Gateway = (typeof GATEWAYS)[number];

function GatewayTable() {
  const { items, collectionProps, filterProps, paginationProps, filteredItemsCount } = useCollection(
    GATEWAYS,
    {
      filtering: {},
      sorting: { defaultState: { sortingColumn: { sortingField: 'name' } } },
      pagination: { pageSize: 20 },
    },
  );
  return (
    <Table<Gateway>
      {...collectionProps}
      items={items}
      trackBy="id"
      variant="full-page"
      columnDefinitions={[
        {
          id: 'name',
          header: 'Name',
          sortingField: 'name',
          isRowHeader: true,
          cell: (g) => <Link href={`/gateways/${g.id}`}>{g.name}</Link>,
        },
        { id: 'vpc', header: 'VPC', sortingField: 'vpcId', cell: (g) => g.vpcId },
        { id: 'cidr', header: 'VPC CIDR', sortingField: 'vpcCidr', cell: (g) => g.vpcCidr },
        { id: 'tunnel', header: 'Tunnel subnet', sortingField: 'tunnelSubnet', cell: (g) => g.tunnelSubnet },
        { id: 'endpoint', header: 'Public endpoint', cell: (g) => g.endpoint },
        { id: 'location', header: 'Location', sortingField: 'location', cell: (g) => g.location },
        {
          id: 'status',
          header: 'Status',
          sortingField: 'status',
          cell: (g) => <StatusIndicator type="success">{g.status}</StatusIndicator>,
        },
      ]}
      header={
        <Header
          variant="awsui-h1-sticky"
          counter={`(${GATEWAYS.length})`}
          actions={<Button iconName="refresh" ariaLabel="Refresh" />}
        >
          VPN Gateways
        </Header>
      }
      filter={
        <TextFilter
          {...filterProps}
          filteringAriaLabel="Filter"
          countText={`${filteredItemsCount ?? 0} matches`}
        />
      }
      pagination={<Pagination {...paginationProps} />}
    />
  );
}

function Floor() {
  return (
    <>
      <div id="top-nav">
        <TopNavigation
          identity={{ href: '/gateways', title: 'VPC Peering' }}
          utilities={[
            {
              type: 'menu-dropdown',
              text: 'user-1',
              description: 'User',
              iconName: 'user-profile',
              items: [{ id: 'signout', text: 'Sign out' }],
            },
          ]}
        />
      </div>
      <AppLayout
        headerSelector="#top-nav"
        toolsHide
        notifications={<Flashbar items={[]} />}
        navigation={
          <SideNavigation
            header={{ text: 'VPC Peering', href: '/gateways' }}
            activeHref="/gateways"
            items={[
              {
                type: 'section',
                text: 'Networking',
                items: [
                  { type: 'link', text: 'VPN Gateways', href: '/gateways' },
                  { type: 'link', text: 'VPC Peerings', href: '/peerings' },
                ],
              },
            ]}
          />
        }
        content={<GatewayTable />}
      />
    </>
  );
}

const root = document.getElementById('root');
if (!root) throw new Error('floor/index.html has no #root');
createRoot(root).render(<Floor />);
