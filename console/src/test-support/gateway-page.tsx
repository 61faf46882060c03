/** A gateway's page (gw-a) over a stubbed API, as the gateway page tests render it. */
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Identity } from '../auth/session';
import { GatewayDetails } from '../pages/GatewayDetails';
import { notFound, type SeenRequest, stubApi } from './api-stub';
import { identityOf, renderPage } from './page';

export const peeringPeer = {
  name: 'vpc-peering-pcx-1',
  type: 'vpc-peering' as const,
  publicKey: 'key-b',
  tunnelIp: '100.64.1.1',
  allowedIps: ['10.20.0.0/16'],
  endpoint: '203.0.113.2:51820',
};
/** In sync, never reported. */
export const status = {
  gatewayId: 'gw-a',
  appliedGeneration: 1,
  desiredGeneration: 1,
  reportedAt: null,
  peers: [],
};

/** Opens the Add peer dialog and types `name`; the dialog, for its buttons. */
export async function openAddPeerTyping(name: string) {
  await userEvent.click(await screen.findByRole('button', { name: 'Add peer' }));
  const dialog = within(screen.getByRole('dialog'));
  await userEvent.type(dialog.getByLabelText('Name'), name);
  return dialog;
}

/**
 * Renders gw-a's page, as alice unless `identity` says: `answer` answers first, then its status (in
 * sync), else 404.
 */
export function renderGateway(
  answer: (request: SeenRequest) => Response | undefined,
  identity: Identity = identityOf('alice'),
): SeenRequest[] {
  const seen = stubApi((request) => {
    const given = answer(request);
    if (given) return given;
    if (request.path === '/v1/gateways/gw-a/status') return Response.json(status);
    return notFound();
  });
  renderPage(<GatewayDetails id="gw-a" identity={identity} />);
  return seen;
}
