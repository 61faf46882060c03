/**
 * The Peers table lists a `/status` peer the registry lacks as removed only when the registry read
 * is whole and no older than the status read (docs/DECISIONS.md, "The console shows what status
 * says"; review s17h, finding 3).
 */
import { cleanup, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, expect, test, vi } from 'vitest';
import type { GatewayDetail } from '../api/client';
import { formatTime } from '../lib/format';
import { notFound, stubApi } from '../test-support/api-stub';
import { gatewayDetail } from '../test-support/gateway';
import { identityOf, renderPage } from '../test-support/page';
import { GatewayDetails } from './GatewayDetails';

afterEach(() => {
  cleanup();
  vi.unstubAllGlobals();
});

const gateway: GatewayDetail = { ...gatewayDetail, tunnelSubnet: '100.64.0.0/16' };
const roadWarrior = (name: string) => ({
  name,
  type: 'road-warrior' as const,
  publicKey: `key-${name}`,
  tunnelIp: '100.64.9.9',
  allowedIps: ['100.64.9.9/32'],
  endpoint: null,
  configDownloadedAt: null,
  configOutdated: false,
});
/** A `/status` answer reported at `reportedAt`, in which each named peer is connected. */
const statusOf = (online: string[], reportedAt = new Date()) => ({
  gatewayId: 'gw-a',
  appliedGeneration: 9,
  desiredGeneration: 9,
  reportedAt: reportedAt.toISOString(),
  reportAgeSeconds: 5,
  stale: false,
  peers: online.map((name) => ({
    ...roadWarrior(name),
    latestHandshake: new Date().toISOString(),
    online: true,
    rxBytes: 1,
    txBytes: 1,
  })),
});
const throttled = () =>
  Response.json({ error: { code: 'THROTTLED', message: 'slow down' } }, { status: 429 });
const unavailable = () =>
  Response.json({ error: { code: 'SERVICE_UNAVAILABLE', message: 'busy' } }, { status: 503 });

const removedRow = () => screen.queryByRole('row', { name: /Removed, still on the gateway/ });

test('a gateway with more peers than are read lists none as removed, and says the table is partial', async () => {
  // Prepare: every page of peers has a next one; zz-laptop is registered past the pages read, and connected
  let pagesRead = 0;
  stubApi(({ path }) => {
    if (path === '/v1/gateways/gw-a')
      return Response.json({ ...gateway, peers: [roadWarrior('aa-phone')], peersNextToken: 't0' });
    if (path === '/v1/gateways/gw-a/peers') {
      pagesRead += 1;
      // Empty pages keep the table small; a real gateway has 100 peers on each
      return Response.json({ items: [], nextToken: `t${pagesRead}` });
    }
    if (path === '/v1/gateways/gw-a/status') return Response.json(statusOf(['aa-phone', 'zz-laptop']));
    return notFound();
  });

  // Act
  renderPage(<GatewayDetails id="gw-a" identity={identityOf('alice')} />);

  // Assess: aa-phone is joined with its status; zz-laptop, past the peers read, is not said removed
  await waitFor(() => expect(screen.getByRole('row', { name: /aa-phone/ }).textContent).toContain('Online'), {
    timeout: 10_000,
  });
  expect(removedRow()).toBeNull();
  expect(screen.queryByText(/zz-laptop/)).toBeNull();
  expect(pagesRead).toBe(50);
  expect(screen.getByText(/Showing the first 1 peers: more exist/)).toBeTruthy();
  expect(screen.getByRole('heading', { name: /Peers/ }).textContent).toContain('(1+)');
}, 15_000);

test('a Refresh whose gateway read is throttled lists no peer as removed', async () => {
  // Prepare: tablet is shown; then someone else adds new-laptop, which connects and is reported
  let added = false;
  const reported = new Date();
  stubApi(({ path }) => {
    if (path === '/v1/gateways/gw-a')
      return added ? throttled() : Response.json({ ...gateway, peers: [roadWarrior('tablet')] });
    if (path === '/v1/gateways/gw-a/status')
      return Response.json(
        added
          ? statusOf(['tablet', 'new-laptop'], reported)
          : statusOf(['tablet'], new Date(Date.now() - 3_600_000)),
      );
    return notFound();
  });
  renderPage(<GatewayDetails id="gw-a" identity={identityOf('alice')} />);
  await screen.findByRole('row', { name: /tablet/ });
  added = true;

  // Act: Refresh reads status, but the gateway read is answered 429
  await userEvent.click(screen.getByRole('button', { name: 'Refresh gateway' }));
  await waitFor(() => expect(screen.queryAllByText(/THROTTLED|slow down/).length).toBeGreaterThan(0));

  // Assess: the new report is shown with the rows read before; new-laptop is not said removed
  await screen.findByText(
    `Handshakes and transfer as of the gateway's report at ${formatTime(reported.toISOString())}.`,
  );
  expect(screen.getByRole('row', { name: /tablet/ }).textContent).toContain('Online');
  expect(removedRow()).toBeNull();
});

test("a status Retry after the gateway's read lists no peer added since as removed; a Refresh reads both", async () => {
  // Prepare: the first status read fails; new-laptop is added and connects before its Retry
  let added = false;
  let statusReads = 0;
  stubApi(({ path }) => {
    if (path === '/v1/gateways/gw-a') {
      const peers = added ? ['tablet', 'new-laptop'] : ['tablet'];
      return Response.json({ ...gateway, peers: peers.map(roadWarrior) });
    }
    if (path === '/v1/gateways/gw-a/status') {
      statusReads += 1;
      return statusReads === 1 ? unavailable() : Response.json(statusOf(['tablet', 'new-laptop']));
    }
    return notFound();
  });
  renderPage(<GatewayDetails id="gw-a" identity={identityOf('alice')} />);
  await screen.findByRole('row', { name: /tablet/ });
  added = true;

  // Act: the flash's Retry reads status alone
  await userEvent.click(await screen.findByRole('button', { name: 'Retry' }));

  // Assess
  await waitFor(() => expect(screen.getByRole('row', { name: /tablet/ }).textContent).toContain('Online'));
  expect(removedRow()).toBeNull();
  // Act: Refresh reads the registry again, which has new-laptop
  await userEvent.click(screen.getByRole('button', { name: 'Refresh gateway' }));
  // Assess
  const laptop = await screen.findByRole('row', { name: /new-laptop/ });
  expect(laptop.textContent).toContain('Online');
  expect(within(laptop).getByRole('button', { name: 'Delete' })).toBeTruthy();
  expect(removedRow()).toBeNull();
});
