/**
 * A gateway page whose gateway the API does not know (404): deleted while the page was open or
 * since its address was kept (a bookmark, Back, another tab), or never the caller's. It says so,
 * links back to the list, and offers no action on what is not there.
 */
import Alert from '@cloudscape-design/components/alert';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import { followInApp } from '../router';
import { GatewayBreadcrumbs } from './gateway-breadcrumbs';

export function GatewayNotFound({ id }: { id: string }) {
  return (
    <ContentLayout
      breadcrumbs={<GatewayBreadcrumbs id={id} name={id} />}
      header={<Header variant="h1">{`Gateway ${id} not found`}</Header>}
    >
      <Alert type="warning" header="This gateway is not there">
        It may have been deleted, or it is not one of your gateways.{' '}
        <Link href="/gateways" onFollow={followInApp}>
          Back to VPN Gateways
        </Link>
      </Alert>
    </ContentLayout>
  );
}
