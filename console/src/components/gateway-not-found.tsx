/**
 * A gateway page whose gateway the API does not know (404): deleted while the page was open or
 * since its address was kept (a bookmark, Back, another tab), or never the caller's. It says so,
 * links back to the list, and offers no action on what is not there.
 */
import Alert from '@cloudscape-design/components/alert';
import BreadcrumbGroup from '@cloudscape-design/components/breadcrumb-group';
import ContentLayout from '@cloudscape-design/components/content-layout';
import Header from '@cloudscape-design/components/header';
import Link from '@cloudscape-design/components/link';
import { followInApp, gatewayHref } from '../router';

export function GatewayNotFound({ id }: { id: string }) {
  return (
    <ContentLayout
      breadcrumbs={
        <BreadcrumbGroup
          ariaLabel="Breadcrumbs"
          onFollow={followInApp}
          items={[
            { text: 'VPN Gateways', href: '/gateways' },
            { text: id, href: gatewayHref(id) },
          ]}
        />
      }
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
