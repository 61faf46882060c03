/**
 * The console after a failure, in Debian's Chromium: the built console served alone, the API
 * answered through the browser's routing, so the failure is exact (a gateway gone, a list whose
 * first read is refused). A gone gateway says "not found" and offers nothing to do on it; a list
 * that could not be read says so, never that the account has nothing.
 */
import type { Route } from 'playwright-core';
import { mintToken } from '../../runtime/tokens';
import { carolsGateway, useServedConsole } from './served-console';

jest.setTimeout(60_000);

const served = useServedConsole();

const gateway = carolsGateway('gw-gone');
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
