/**
 * The console after a failure, in Debian's Chromium: the built console served alone, the API
 * answered through the browser's routing, so the failure is exact (a gateway gone, a list whose
 * first read is refused). A gone gateway says "not found" and offers nothing to do on it; a list
 * that could not be read says so, never that the account has nothing.
 */
import type { Route } from 'playwright-core';
import { mintToken } from '../../runtime/tokens';
import { carolsGateway, useServedConsole } from '../support/console/served-console';

jest.setTimeout(60_000);

const served = useServedConsole();

const gateway = carolsGateway('gw-gone');
const silent = carolsGateway('gw-silent');
const status = {
  gatewayId: 'gw-gone',
  appliedGeneration: 1,
  desiredGeneration: 1,
  reportedAt: null,
  peers: [],
};
const notFound = (route: Route) =>
  route.fulfill({
    status: 404,
    json: { error: { code: 'NOT_FOUND', message: 'Gateway gw-gone not found' } },
  });

const signInLink = async () =>
  `${served.baseUrl}/signin#token=${await mintToken('failures-test-secret-of-32-bytes!', { sub: 'carol' })}`;

test('a gateway deleted while its page is open: Refresh says "not found", no action is offered, the link goes back', async () => {
  // Prepare: carol's gateway page is open; the gateway is then deleted elsewhere
  const session = await served.open('gateway-gone');
  const { page } = session;
  session.expectStatus(404);
  let deleted = false;
  await page.route(`${served.baseUrl}/v1/**`, (route) => {
    const { pathname } = new URL(route.request().url());
    if (pathname === '/v1/gateways/gw-gone')
      return deleted ? notFound(route) : route.fulfill({ json: { ...gateway, peers: [] } });
    if (pathname === '/v1/gateways/gw-gone/status')
      return deleted ? notFound(route) : route.fulfill({ json: status });
    return route.fulfill({ json: { items: deleted ? [] : [gateway] } });
  });
  await page.goto(await signInLink());
  await page.getByRole('link', { name: 'edge', exact: true }).click();
  await page.getByText('vpc-carol', { exact: true }).waitFor();
  deleted = true;

  // Act
  await page.getByRole('button', { name: 'Refresh gateway' }).click();

  // Assess: the page says so instead of the stale summary, and offers nothing to do on it
  await page.getByRole('heading', { name: 'Gateway gw-gone not found', level: 1 }).waitFor();
  await session.shot('gateway-gone');
  for (const action of ['Add peer', 'Delete gateway', 'Create VPC Peering']) {
    await expect(page.getByRole('button', { name: action }).count()).resolves.toBe(0);
  }
  await expect(page.getByText('vpc-carol', { exact: true }).count()).resolves.toBe(0);
  await expect(page.getByText(/NOT_FOUND/).count()).resolves.toBe(0);
  await expect(session.axeViolations()).resolves.toEqual([]);

  // Act: follow the link back
  await page.getByRole('link', { name: 'Back to VPN Gateways' }).click();
  // Assess
  await page.getByRole('heading', { name: /^VPN Gateways/, level: 1 }).waitFor();
  await page.getByText('No gateways', { exact: true }).waitFor();

  // Act: the old address again (Back, a bookmark)
  await page.goBack();
  // Assess: the same state at once, no "Loading" for good
  await page.getByRole('heading', { name: 'Gateway gw-gone not found', level: 1 }).waitFor();
  await expect(page.getByText('Loading', { exact: true }).count()).resolves.toBe(0);
});

test('a gateway that stopped reporting, still running a revoked laptop: "Not reporting since", Unknown, and the laptop listed as removed', async () => {
  // Prepare: the last report is two days old and still holds laptop, which the registry no longer has
  const session = await served.open('not-reporting');
  const { page } = session;
  const reportedAt = new Date(Date.now() - 2 * 86_400_000).toISOString();
  const phone = {
    name: 'phone',
    type: 'road-warrior',
    publicKey: 'key-phone',
    tunnelIp: '100.127.0.3',
    allowedIps: ['100.127.0.3/32'],
    endpoint: null,
    configDownloadedAt: null,
    configOutdated: false,
  };
  const live = (name: string, publicKey: string, address: string) => ({
    name,
    type: 'road-warrior',
    publicKey,
    allowedIps: [`${address}/32`],
    endpoint: '203.0.113.77:4500',
    latestHandshake: new Date(Date.parse(reportedAt) - 30_000).toISOString(),
    online: false,
    rxBytes: 4096,
    txBytes: 1024,
  });
  await page.route(`${served.baseUrl}/v1/**`, (route) => {
    const { pathname } = new URL(route.request().url());
    if (pathname === '/v1/gateways/gw-silent') return route.fulfill({ json: { ...silent, peers: [phone] } });
    if (pathname === '/v1/gateways/gw-silent/status')
      return route.fulfill({
        json: {
          ...status,
          gatewayId: 'gw-silent',
          appliedAt: reportedAt,
          mode: 'wireguard',
          reportedAt,
          reportAgeSeconds: 2 * 86_400,
          stale: true,
          peers: [live('phone', 'key-phone', '100.127.0.3'), live('laptop', 'key-laptop', '100.127.0.2')],
        },
      });
    return route.fulfill({ json: { items: [silent] } });
  });

  // Act
  await page.goto(await signInLink());
  await page.getByRole('link', { name: 'edge', exact: true }).click();

  // Assess: the summary warns with the date; no peer is called Offline; laptop is still there
  const since = await page.evaluate((at) => new Date(at).toLocaleString(), reportedAt);
  await page.getByText(`Not reporting since ${since}`, { exact: true }).waitFor();
  await page.getByText('In sync (generation 1)', { exact: true }).waitFor();
  const laptop = page.getByRole('row').filter({ hasText: 'laptop' });
  await laptop.getByText('Removed, still on the gateway', { exact: true }).waitFor();
  await laptop.getByText('Unknown', { exact: true }).waitFor();
  await expect(laptop.getByRole('button').count()).resolves.toBe(0);
  const table = page.getByRole('table');
  await expect(table.getByText('Unknown', { exact: true }).count()).resolves.toBe(2);
  await expect(table.getByText('Offline', { exact: true }).count()).resolves.toBe(0);
  await page.getByText(`last report, at ${since}.`, { exact: false }).waitFor();
  await session.shot('not-reporting');
  await expect(session.axeViolations()).resolves.toEqual([]);
});

test('VPN Gateways whose first read is refused (503): an error state with Retry and no counter; Retry reads the list', async () => {
  // Prepare: the first read of the list fails
  const session = await served.open('list-failed');
  const { page } = session;
  session.expectStatus(503);
  let reads = 0;
  await page.route(`${served.baseUrl}/v1/**`, (route) => {
    const { pathname } = new URL(route.request().url());
    if (pathname !== '/v1/gateways') return route.fulfill({ json: { items: [] } });
    reads += 1;
    return reads === 1
      ? route.fulfill({
          status: 503,
          json: { error: { code: 'SERVICE_UNAVAILABLE', message: 'The API is busy' } },
        })
      : route.fulfill({ json: { items: [gateway] } });
  });
  const heading = page.getByRole('heading', { name: /^VPN Gateways/, level: 1 });
  const table = page.getByRole('table');

  // Act
  await page.goto(await signInLink());

  // Assess: the table says the list could not be read, not that it is empty; no "(0)"
  await table.getByText('Gateways could not be loaded').waitFor();
  await table.getByText('SERVICE_UNAVAILABLE: The API is busy').waitFor();
  await expect(heading.textContent()).resolves.toBe('VPN Gateways');
  await expect(page.getByText('No gateways', { exact: true }).count()).resolves.toBe(0);
  await session.shot('list-failed');
  await expect(session.axeViolations()).resolves.toEqual([]);

  // Act
  await table.getByRole('button', { name: 'Retry' }).click();

  // Assess
  await page.getByRole('link', { name: 'edge', exact: true }).waitFor();
  await expect(heading.textContent()).resolves.toBe('VPN Gateways (1)');
  expect(reads).toBe(2);
});
