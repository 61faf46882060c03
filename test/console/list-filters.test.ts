/**
 * A filtered list in Debian's Chromium, the API answered through the browser's routing: it never
 * says more than it read (an empty filtered page that is not the last is "none found so far", with
 * Next page), a failed read of another filter shows that failure rather than the rows before, and
 * the buttons of the table's empty slot hand the focus to the page heading as they go.
 */
import { mintToken } from '../../runtime/tokens';
import { expectFocusOn, tabTo } from '../support/console/keyboard';
import { useServedConsole } from '../support/console/served-console';

jest.setTimeout(60_000);

const served = useServedConsole();

const peeringOf = (id: string, status: string) => ({
  id,
  ownerId: 'alice',
  gatewayIds: ['gw-alice-a', 'gw-alice-b'],
  status,
  statusReason: null,
  createdAt: '2026-12-01T10:00:00.000Z',
  updatedAt: '2026-12-01T10:00:00.000Z',
});

test('VPC Peerings by status: none found so far reads on, Clear filters keeps the focus, a failed filter shows no stale rows', async () => {
  // Prepare: FAILED pages are empty with a token 7 times, then hold one; no DELETING peering;
  // PROVISIONING cannot be read (503); unfiltered, two ACTIVE peerings
  const session = await served.open('list-filters');
  const { page } = session;
  session.expectStatus(404); // the gateways' names: shown by id
  session.expectStatus(503);
  await page.route(`${served.baseUrl}/v1/**`, (route) => {
    const url = new URL(route.request().url());
    if (url.pathname !== '/v1/vpc-peerings')
      return route.fulfill({ status: 404, json: { error: { code: 'NOT_FOUND', message: 'Not found' } } });
    const status = url.searchParams.get('status');
    const token = Number(url.searchParams.get('nextToken') ?? 0);
    if (status === 'FAILED')
      return route.fulfill({
        json:
          token < 7
            ? { items: [], nextToken: String(token + 1) }
            : { items: [peeringOf('pcx-found', 'FAILED')] },
      });
    if (status === 'DELETING') return route.fulfill({ json: { items: [] } });
    if (status === 'PROVISIONING')
      return route.fulfill({ status: 503, json: { error: { code: 'UNAVAILABLE', message: 'Try later' } } });
    return route.fulfill({
      json: { items: [peeringOf('pcx-act-1', 'ACTIVE'), peeringOf('pcx-act-2', 'ACTIVE')] },
    });
  });
  const token = await mintToken('list-filters-test-secret-32-bytes', { sub: 'alice' });
  const heading = page.getByRole('heading', { name: /^VPC Peerings/, level: 1 });
  const table = page.getByRole('table');
  const choose = async (status: string) => {
    await page.getByRole('button', { name: /Filter by status/ }).click();
    await page.getByRole('option', { name: new RegExp(`^${status}`) }).click();
  };
  await page.goto(`${served.baseUrl}/signin#token=${token}`);
  await page.getByRole('heading', { name: /^VPN Gateways/ }).waitFor();

  // Act: the FAILED peerings
  await page.goto(`${served.baseUrl}/peerings?status=FAILED`);
  // Assess: none found so far, as the counter says; never "No FAILED peerings"
  await table.getByText('No FAILED peerings found so far').waitFor();
  await expect(heading.textContent()).resolves.toBe('VPC Peerings (0+)');
  await expect(table.getByText('No FAILED peerings', { exact: true }).count()).resolves.toBe(0);
  await session.shot('list-filters-found-so-far');
  await expect(session.axeViolations()).resolves.toEqual([]);

  // Act: read on, with the keyboard
  await tabTo(page, { role: 'button', name: 'Next page', within: 'found so far' });
  await page.keyboard.press('Enter');
  // Assess: found; the focus on the heading, not the body
  await table.getByText('pcx-found').waitFor();
  await expectFocusOn(page, { role: 'heading', name: /^VPC Peerings/ });

  // Act: no DELETING peering, then Clear filters with the keyboard
  await choose('DELETING');
  await table.getByText('No DELETING peerings', { exact: true }).waitFor();
  await tabTo(page, { role: 'button', name: 'Clear filters' });
  await page.keyboard.press('Enter');
  // Assess
  await table.getByText('pcx-act-1').waitFor();
  await expectFocusOn(page, { role: 'heading', name: /^VPC Peerings/ });

  // Act: a status whose read fails
  await choose('PROVISIONING');
  // Assess: the failure, with Retry and Clear filters, and none of the ACTIVE rows under it
  await table.getByText('VPC peerings could not be loaded').waitFor();
  await expect(table.getByText(/pcx-act/).count()).resolves.toBe(0);
  await expect(table.getByRole('button', { name: 'Clear filters' }).count()).resolves.toBe(1);
  await session.shot('list-filters-failed');
  await expect(session.axeViolations()).resolves.toEqual([]);
});
