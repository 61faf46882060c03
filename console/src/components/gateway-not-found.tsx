/**
 * A gateway page whose gateway the API does not know (404): deleted while the page was open or
 * since its address was kept (a bookmark, Back, another tab), or never the caller's. It says so,
 * links back to the list (under its filters, list-return.ts), and offers no action on what is not
 * there. An admin sees every gateway, so to an admin a 404 only means it is gone.
 */
import Alert from '@cloudscape-design/components/alert';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import { gatewaysListHref } from '../list-return';
import { usePageTitle } from '../page-title';
import { followInApp } from '../router';
import { GatewayBreadcrumbs } from './gateway-breadcrumbs';

export function GatewayNotFound({ id, isAdmin }: { id: string; isAdmin: boolean }) {
  const heading = `Gateway ${id} not found`;
  usePageTitle(heading);
  return (
    <ContentLayout
      breadcrumbs={<GatewayBreadcrumbs id={id} name={id} />}
      header={<Header variant="h1">{heading}</Header>}
    >
      <Alert type="warning" header="This gateway is not there">
        {isAdmin
          ? 'It may have been deleted.'
          : 'It may have been deleted, or it is not one of your gateways.'}{' '}
        <Link href={gatewaysListHref()} onFollow={followInApp}>
          Back to VPN Gateways
        </Link>
      </Alert>
    </ContentLayout>
  );
}
