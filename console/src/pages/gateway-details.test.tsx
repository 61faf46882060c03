import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { GatewayDetail } from '../api/client';
import { notFound, type SeenRequest, stubApi } from '../test-support/api-stub';
import { identityOf, renderPage } from '../test-support/page';
import { GatewayDetails } from './GatewayDetails';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const gateway: GatewayDetail = {
  id: 'gw-a',
  name: 'prod',
  ownerId: 'alice',
  vpcId: 'vpc-a',
  vpcCidr: '10.10.0.0/16',
  tunnelSubnet: '100.64.0.0/24',
  tunnelIp: '100.64.0.1',
  publicIp: '203.0.113.1',
  listenPort: 51820,
  publicKey: 'key-a',
  instanceId: 'i-a',
  status: 'ACTIVE',
  peers: [],
};
const peeringPeer = {
  name: 'vpc-peering-pcx-1',
  type: 'vpc-peering' as const,
  publicKey: 'key-b',
  tunnelIp: '100.64.1.1',
  allowedIps: ['10.20.0.0/16'],
  endpoint: '203.0.113.2:51820',
};
const status = { gatewayId: 'gw-a', appliedGeneration: 1, desiredGeneration: 1, reportedAt: null, peers: [] };

function renderGateway(answer: (request: SeenRequest) => Response | undefined): SeenRequest[] {
  const seen = stubApi((request) => {
    const given = answer(request);
    if (given) return given;
    if (request.path === '/v1/gateways/gw-a/status') return Response.json(status);
    return notFound();
  });
  renderPage(<GatewayDetails id="gw-a" identity={identityOf('alice')} />);
  return seen;
}

const gets = (seen: SeenRequest[], path: string) =>
  seen.filter((request) => request.method === 'GET' && request.path === path).length;

describe('a gateway page', () => {
  test("deleting a peering's peer follows its peering alone until it is gone, then loads the gateway once", async () => {
    // Prepare: the delete runs (202); the peering answers once more, then 404
    let peeringAnswers = 0;
    const gone = () => peeringAnswers > 1;
    const seen = renderGateway(({ method, path }) => {
      if (method === 'DELETE') return new Response(null, { status: 202 });
      if (path === '/v1/vpc-peerings/pcx-1') {
        peeringAnswers += 1;
        return gone() ? notFound() : Response.json({ id: 'pcx-1', status: 'DELETING' });
      }
      if (path === '/v1/gateways/gw-a')
        return Response.json({ ...gateway, peers: gone() ? [] : [peeringPeer] });
      return undefined;
    });
    const row = await screen.findByRole('row', { name: /vpc-peering-pcx-1/ });
    // Act
    await userEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    // Assess
    await screen.findByText('Peer vpc-peering-pcx-1 deleted.', {}, { timeout: 8000 });
    expect(gets(seen, '/v1/vpc-peerings/pcx-1')).toBe(2);
    await waitFor(() => expect(gets(seen, '/v1/gateways/gw-a')).toBe(2));
  }, 15_000);

  test('Add peer asked again after a lost answer sends the same Idempotency-Key; another name, a new one', async () => {
    // Prepare: the first answer is lost (no answer at all), the next ones arrive
    let posts = 0;
    const seen = renderGateway(({ method, path }) => {
      if (method === 'POST') {
        posts += 1;
        if (posts === 1) throw new TypeError('Failed to fetch');
        return Response.json({ gatewayId: 'gw-a', name: 'laptop' }, { status: 201 });
      }
      if (path === '/v1/gateways/gw-a') return Response.json(gateway);
      return undefined;
    });
    await userEvent.click(await screen.findByRole('button', { name: 'Add peer' }));
    const dialog = within(screen.getByRole('dialog'));
    await userEvent.type(dialog.getByLabelText('Name'), 'laptop');
    // Act: add, the answer is lost; add again
    await userEvent.click(dialog.getByRole('button', { name: 'Add peer' }));
    await screen.findByText(/could not be reached/);
    await userEvent.click(dialog.getByRole('button', { name: 'Add peer' }));
    await screen.findByText(/Peer laptop added/);
    // Act: the dialog opened afresh, the next peer
    await userEvent.click(screen.getByRole('button', { name: 'Add peer' }));
    const next = within(screen.getByRole('dialog'));
    await userEvent.type(next.getByLabelText('Name'), 'phone');
    await userEvent.click(next.getByRole('button', { name: 'Add peer' }));
    await waitFor(() => expect(posts).toBe(3));
    // Assess
    const keys = seen.filter((r) => r.method === 'POST').map((r) => r.headers.get('idempotency-key'));
    expect(keys[0]).toBeTruthy();
    expect(keys[1]).toBe(keys[0]);
    expect(keys[2]).not.toBe(keys[0]);
  }, 15_000);
});
