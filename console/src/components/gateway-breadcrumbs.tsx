/**
 * The breadcrumbs of a gateway's pages: VPN Gateways › the gateway (› the form open on it). VPN
 * Gateways opens the list under the filters it was left with (list-return.ts).
 */
import BreadcrumbGroup from '@cloudscape-design/components/breadcrumb-group';
import { gatewaysListHref } from '../list-return';
import { followInApp, gatewayHref } from '../router';

export function GatewayBreadcrumbs({
  id,
  name,
  form,
}: {
  id: string;
  name: string;
  form?: { text: string; href: string };
}) {
  return (
    <BreadcrumbGroup
      ariaLabel="Breadcrumbs"
      onFollow={followInApp}
      items={[
        { text: 'VPN Gateways', href: gatewaysListHref() },
        { text: name, href: gatewayHref(id) },
        ...(form ? [form] : []),
      ]}
    />
  );
}
