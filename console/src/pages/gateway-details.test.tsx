import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { GatewayDetail } from '../api/client';
import { notFound, type SeenRequest } from '../test-support/api-stub';
import { gatewayDetail } from '../test-support/gateway';
import { openAddPeerTyping, peeringPeer, renderGateway, status } from '../test-support/gateway-page';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const gateway: GatewayDetail = gatewayDetail;

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
    const dialog = await openAddPeerTyping('laptop');
    // Act: add, the answer is lost; add again
    await userEvent.click(dialog.getByRole('button', { name: 'Add peer' }));
    await screen.findAllByText(/could not be reached/);
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

const roadWarrior = {
  name: 'tablet',
  type: 'road-warrior' as const,
  publicKey: 'key-t',
  tunnelIp: '100.64.0.9',
  allowedIps: ['100.64.0.9/32'],
  endpoint: null,
  configDownloadedAt: null,
  configOutdated: false,
};
describe('a gateway that stopped reporting', () => {
  test('its summary warns beside the sync state since when, with the date', async () => {
    // Prepare: the last report is two days old
    const reportedAt = new Date(Date.now() - 2 * 86_400_000).toISOString();
    renderGateway(({ path }) => {
      if (path === '/v1/gateways/gw-a') return Response.json(gateway);
      if (path === '/v1/gateways/gw-a/status')
        return Response.json({ ...status, reportedAt, reportAgeSeconds: 2 * 86_400, stale: true });
      return undefined;
    });
    // Act
    await screen.findByText('In sync (generation 1)');
    // Assess
    screen.getByText(`Not reporting since ${new Date(reportedAt).toLocaleString()}`);
  });

  test('a gateway that never reported says so', async () => {
    renderGateway(({ path }) => {
      if (path === '/v1/gateways/gw-a') return Response.json(gateway);
      if (path === '/v1/gateways/gw-a/status') return Response.json({ ...status, stale: true });
      return undefined;
    });
    await screen.findByText('Not reported yet');
  });
});

const unavailable = () =>
  Response.json({ error: { code: 'SERVICE_UNAVAILABLE', message: 'busy' } }, { status: 503 });
const flashes = () => screen.getByRole('list', { name: 'Messages' });

/**
 * The page shows road-warrior tablet, which was deleted elsewhere: the gateway's next reads no
 * longer list it, and the requests `refused` picks are answered 404.
 */
function renderWithTabletGone(refused: (request: SeenRequest) => boolean): void {
  let reads = 0;
  renderGateway((request) => {
    if (refused(request)) return notFound();
    if (request.path !== '/v1/gateways/gw-a') return undefined;
    reads += 1;
    return Response.json({ ...gateway, peers: reads === 1 ? [roadWarrior] : [] });
  });
}

describe('a gateway that is gone', () => {
  test('deleted while its page is open, Refresh shows "not found" with a link back, and no action', async () => {
    // Prepare: the gateway is there, then deleted elsewhere
    let deleted = false;
    renderGateway(({ path }) => {
      if (path === '/v1/gateways/gw-a') return deleted ? notFound() : Response.json(gateway);
      if (path === '/v1/gateways/gw-a/status' && deleted) return notFound();
      return undefined;
    });
    await screen.findByText('vpc-a');
    deleted = true;
    // Act
    await userEvent.click(screen.getByRole('button', { name: 'Refresh gateway' }));
    // Assess: the page says so in place of the stale summary, without a flash, and offers no action
    await screen.findByRole('heading', { name: 'Gateway gw-a not found', level: 1 });
    expect(screen.getByRole('link', { name: 'Back to VPN Gateways' }).getAttribute('href')).toBe('/gateways');
    expect(screen.queryByText('vpc-a')).toBeNull();
    for (const action of ['Add peer', 'Delete gateway', 'Create VPC Peering']) {
      expect(screen.queryByRole('button', { name: action })).toBeNull();
    }
    expect(flashes().textContent).toBe('');
  });

  test('opened from an old address, it says "not found" rather than loading for good', async () => {
    // Prepare + Act: every read of the gateway answers 404
    renderGateway(({ path }) => (path === '/v1/gateways/gw-a/status' ? notFound() : undefined));
    // Assess
    await screen.findByRole('heading', { name: 'Gateway gw-a not found', level: 1 });
    expect(screen.queryByText('Loading')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Add peer' })).toBeNull();
  });
});

describe('a peer that is gone, or a failed request', () => {
  test('deleting a peer already deleted (404) is done: said so, and the table is read again without it', async () => {
    // Prepare: tablet was deleted elsewhere; the page still shows it
    renderWithTabletGone(({ method }) => method === 'DELETE');
    const row = await screen.findByRole('row', { name: /tablet/ });
    // Act
    await userEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    // Assess
    await screen.findByText('Peer tablet was already deleted.');
    await waitFor(() => expect(screen.queryByRole('row', { name: /tablet/ })).toBeNull());
    expect(flashes().textContent).not.toMatch(/NOT_FOUND/);
  });

  test('a config download answered 404 says the peer is gone and reads the table again', async () => {
    // Prepare: tablet was deleted elsewhere
    renderWithTabletGone(({ path }) => path === '/v1/gateways/gw-a/peers/tablet/config');
    const row = await screen.findByRole('row', { name: /tablet/ });
    // Act
    await userEvent.click(within(row).getByRole('button', { name: 'Download config' }));
    // Assess
    await screen.findByText('Peer tablet no longer exists: it was deleted.');
    await waitFor(() => expect(screen.queryByRole('row', { name: /tablet/ })).toBeNull());
  });

  test('a delete answered 503 offers Retry, which deletes', async () => {
    // Prepare: the first DELETE fails, the next one is done
    let deletes = 0;
    renderGateway(({ method, path }) => {
      if (method === 'DELETE') {
        deletes += 1;
        return deletes === 1 ? unavailable() : new Response(null, { status: 204 });
      }
      if (path === '/v1/gateways/gw-a') return Response.json({ ...gateway, peers: [roadWarrior] });
      return undefined;
    });
    const row = await screen.findByRole('row', { name: /tablet/ });
    await userEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    // Act
    await userEvent.click(await within(flashes()).findByRole('button', { name: 'Retry' }));
    // Assess
    await screen.findByText('Peer tablet deleted.');
    expect(deletes).toBe(2);
  });

  test('a revocation whose push failed (502) leaves the peer listed as still on the gateway', async () => {
    // Prepare: tablet leaves the registry, but its removal's push fails: the gateway still runs it
    let revoked = false;
    renderGateway(({ method, path }) => {
      if (method === 'DELETE') {
        revoked = true;
        return Response.json(
          { error: { code: 'PUSH_FAILED', message: 'The removal could not be pushed' } },
          { status: 502 },
        );
      }
      if (path === '/v1/gateways/gw-a')
        return Response.json({ ...gateway, peers: revoked ? [] : [roadWarrior] });
      if (path === '/v1/gateways/gw-a/status') {
        const live = { ...roadWarrior, latestHandshake: new Date().toISOString(), online: true };
        return Response.json({ ...status, stale: false, peers: [{ ...live, rxBytes: 0, txBytes: 0 }] });
      }
      return undefined;
    });
    const row = await screen.findByRole('row', { name: /tablet/ });
    // Act
    await userEvent.click(within(row).getByRole('button', { name: 'Delete' }));
    await userEvent.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete' }));
    await within(flashes()).findByText(/PUSH_FAILED/);
    // Assess: the row stays, said removed and still online, with nothing left to act on
    const still = await screen.findByRole('row', { name: /Removed, still on the gateway/ });
    expect(still.textContent).toContain('tablet');
    expect(still.textContent).toContain('Online');
    expect(within(still).queryByRole('button')).toBeNull();
  });

  test('Add peer answered 503 says so in the dialog, not behind it', async () => {
    // Prepare
    renderGateway(({ method, path }) => {
      if (method === 'POST') return unavailable();
      if (path === '/v1/gateways/gw-a') return Response.json(gateway);
      return undefined;
    });
    const dialog = await openAddPeerTyping('laptop');
    // Act
    await userEvent.click(dialog.getByRole('button', { name: 'Add peer' }));
    // Assess
    await dialog.findAllByText('SERVICE_UNAVAILABLE: busy. Try again to send the same request.');
    expect(flashes().textContent).toBe('');
  });
});
