import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { afterEach, describe, expect, test, vi } from 'vitest';
import type { Gateway } from '../api/client';
import type { Identity } from '../auth/session';
import { notFound, type SeenRequest, stubApi } from '../test-support/api-stub';
import { identityOf, renderPage } from '../test-support/page';
import { CreatePeering } from './CreatePeering';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
  window.history.replaceState(null, '', '/');
});

const gatewayOf = (id: string, name: string): Gateway => ({
  id,
  name,
  ownerId: 'alice',
  vpcId: `vpc-${id}`,
  vpcCidr: id === 'gw-a' ? '10.10.0.0/16' : '10.20.0.0/16',
  tunnelSubnet: '100.64.0.0/24',
  tunnelIp: '100.64.0.1',
  publicIp: '203.0.113.1',
  listenPort: 51820,
  publicKey: `key-${id}`,
  instanceId: `i-${id}`,
  status: 'ACTIVE',
});
const provisioning = {
  id: 'pcx-1',
  gatewayIds: ['gw-a', 'gw-b'],
  status: 'PROVISIONING',
  statusReason: null,
  createdAt: '2026-12-05T10:00:00.000Z',
  updatedAt: '2026-12-05T10:00:00.000Z',
};
const flashes = () => screen.getByRole('list', { name: 'Messages' });

/** A stand-in for the shell, whose "Leave" takes the person to another page. */
function Shell({ identity }: { identity: Identity }) {
  const [left, setLeft] = useState(false);
  return left ? (
    <p>Another page</p>
  ) : (
    <>
      <button type="button" onClick={() => setLeft(true)}>
        Leave
      </button>
      <CreatePeering id="gw-a" identity={identity} />
    </>
  );
}

/**
 * Create VPC Peering of gw-a (prod) with gw-b (staging) as the only candidate, in the Shell.
 * `answer` answers the create and the peering's reads; alice's own page unless `identity` says.
 */
function renderCreate(
  answer: (request: SeenRequest) => Response | undefined,
  identity: Identity = identityOf('alice'),
) {
  const seen = stubApi((request) => {
    const given = answer(request);
    if (given) return given;
    if (request.path === '/v1/gateways/gw-a')
      return Response.json({ ...gatewayOf('gw-a', 'prod'), peers: [] });
    if (request.path === '/v1/gateways/gw-a/peering-candidates') {
      return Response.json({
        items: [{ gateway: gatewayOf('gw-b', 'staging'), eligible: true, reason: null }],
      });
    }
    return notFound();
  });
  renderPage(<Shell identity={identity} />);
  return seen;
}

async function createWithStaging() {
  await userEvent.click(await screen.findByRole('button', { name: /Remote Gateway/ }));
  await userEvent.click(await screen.findByRole('option', { name: /staging/ }));
  await userEvent.click(screen.getByRole('button', { name: 'Create Peering' }));
}

describe('Create VPC Peering', () => {
  test("to an admin it names the owner whose gateways these are, and calls none of them the admin's", async () => {
    // Prepare + Act: an admin opens alice's prod; its one candidate is alice's staging, not eligible
    renderCreate(
      ({ path }) =>
        path === '/v1/gateways/gw-a/peering-candidates'
          ? Response.json({
              items: [{ gateway: gatewayOf('gw-b', 'staging'), eligible: false, reason: 'Busy' }],
            })
          : undefined,
      identityOf('ops', true),
    );
    // Assess: the form, its Remote Gateway and its "none can be peered" speak of alice's gateways
    await screen.findByText("Connect the VPC of prod with the VPC of another of alice's gateways.", {
      exact: false,
    });
    expect(screen.getByText(/^alice's other active gateways in other VPCs\./)).toBeTruthy();
    await screen.findByText(/None of alice's other gateways can be peered with prod now\./);
    expect(document.body.textContent).not.toMatch(/\byour\b/i);
  });

  test('a 202 shows an in-progress status; the person who left is told in a flash with a link, and stays where they went', async () => {
    // Prepare: created 202; the peering is PROVISIONING at the first read, ACTIVE at the next
    window.history.replaceState(null, '', '/gateways/gw-a/create-peering');
    let reads = 0;
    renderCreate(({ method, path }) => {
      if (method === 'POST') return Response.json(provisioning, { status: 202 });
      if (path === '/v1/vpc-peerings/pcx-1') {
        reads += 1;
        return Response.json({ ...provisioning, status: reads === 1 ? 'PROVISIONING' : 'ACTIVE' });
      }
      return undefined;
    });
    await createWithStaging();
    // Assess: a status that says it runs, not a bar at 0 %
    const following = await screen.findByRole('status');
    expect(within(following).getByText('Peering pcx-1: PROVISIONING')).toBeTruthy();
    expect(screen.queryByRole('progressbar')).toBeNull();
    // Act: the person goes elsewhere while it runs
    await userEvent.click(screen.getByRole('button', { name: 'Leave' }));
    // Assess: the outcome is told, with a way to the gateway; nobody is moved
    await within(flashes()).findByText(/VPC peering pcx-1 with staging is active\./, {}, { timeout: 5000 });
    expect(within(flashes()).getByRole('link', { name: 'Open prod' }).getAttribute('href')).toBe(
      '/gateways/gw-a',
    );
    expect(window.location.pathname).toBe('/gateways/gw-a/create-peering');
    expect(screen.getByText('Another page')).toBeTruthy();
  }, 15_000);

  test('a peering that ends FAILED is headed FAILED with its statusReason, not "unexpected error"', async () => {
    // Prepare: created 202, then FAILED
    renderCreate(({ method, path }) => {
      if (method === 'POST') return Response.json(provisioning, { status: 202 });
      if (path === '/v1/vpc-peerings/pcx-1') {
        return Response.json({
          ...provisioning,
          status: 'FAILED',
          statusReason: 'gw-b did not apply its config',
        });
      }
      return undefined;
    });
    // Act
    await createWithStaging();
    // Assess
    await within(flashes()).findByText('Creating the VPC peering: FAILED gw-b did not apply its config');
    expect(flashes().textContent).not.toMatch(/unexpected error/);
  });

  test('a 503 on Create Peering is said in the form, which sends the same request again', async () => {
    // Prepare: the first create fails, the next one is done
    window.history.replaceState(null, '', '/gateways/gw-a/create-peering');
    const seen = renderCreate(({ method }) =>
      method !== 'POST'
        ? undefined
        : seenPosts() === 1
          ? Response.json({ error: { code: 'SERVICE_UNAVAILABLE', message: 'busy' } }, { status: 503 })
          : Response.json({ ...provisioning, status: 'ACTIVE' }, { status: 201 }),
    );
    const seenPosts = () => seen.filter((request) => request.method === 'POST').length;
    // Act
    await createWithStaging();
    // Assess: in the form, not behind it
    await screen.findAllByText('SERVICE_UNAVAILABLE: busy. Try again to send the same request.');
    expect(flashes().textContent).toBe('');
    // Act: again
    await userEvent.click(screen.getByRole('button', { name: 'Create Peering' }));
    // Assess: the same request, and done
    await waitFor(() => expect(window.location.pathname).toBe('/gateways/gw-a'));
    const keys = seen.filter((r) => r.method === 'POST').map((r) => r.headers.get('idempotency-key'));
    expect(keys).toHaveLength(2);
    expect(keys[1]).toBe(keys[0]);
  });
});
