/**
 * A list of any length, in Debian's Chromium: the built console served alone, the API answered
 * through the browser's routing as a list that never ends (a cloud's fleet). The console reads a
 * page of the API at a time as the person moves through it, never the whole list.
 */
import { mintToken } from '../../runtime/tokens';
import { tabTo } from '../support/console/keyboard';
import { useServedConsole } from '../support/console/served-console';

jest.setTimeout(60_000);

const served = useServedConsole();

const gatewayOf = (id: string) => ({
  id,
  name: id,
  ownerId: 'carol',
  vpcId: `vpc-${id}`,
  vpcCidr: '10.0.0.0/16',
  tunnelSubnet: '100.127.0.0/24',
  tunnelIp: '100.127.0.1',
  publicIp: '198.51.100.250',
  listenPort: 51820,
  publicKey: `key-${id}`,
  instanceId: `i-${id}`,
  status: 'ACTIVE',
});

test('VPN Gateways pages through an endless list by nextToken: next, back, refresh to page 1', async () => {
  // Prepare: a user whose gateway list never ends; each page is `page-<n>`'s `limit` gateways
  const session = await served.open('paging');
  const { page } = session;
  const asked: URLSearchParams[] = [];
  await page.route(`${served.baseUrl}/v1/**`, async (route) => {
    const url = new URL(route.request().url());
    if (url.pathname !== '/v1/gateways') return route.fulfill({ json: { items: [] } });
    asked.push(url.searchParams);
    const index = Number(url.searchParams.get('nextToken')?.replace('page-', '') ?? 0);
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const items = Array.from({ length: limit }, (_, i) => gatewayOf(`gw-${index}-${i}`));
    return route.fulfill({ json: { items, nextToken: `page-${index + 1}` } });
  });
  const token = await mintToken('paging-test-secret-of-32-bytes!!', { sub: 'carol' });
  const heading = page.getByRole('heading', { name: /^VPN Gateways/, level: 1 });
  const first = page.getByRole('link', { name: 'gw-0-0', exact: true });

  // Act: sign in on the list
  await page.goto(`${served.baseUrl}/signin#token=${token}`);
  await first.waitFor();
  // Assess: one page asked, no token; the counter says more exist, without a total
  expect(asked.map((query) => query.toString())).toEqual(['limit=20']);
  await expect(heading.textContent()).resolves.toBe('VPN Gateways (20+)');
  await expect(page.getByRole('link', { name: /^gw-/ }).count()).resolves.toBe(20);
  await session.shot('paging-first');
  await expect(session.axeViolations()).resolves.toEqual([]);

  // Act: the next page, with the keyboard
  await tabTo(page, { role: 'button', name: 'Next page' });
  await page.keyboard.press('Enter');
  // Assess: page 2 by page 1's token
  await page.getByRole('link', { name: 'gw-1-0', exact: true }).waitFor();
  expect(asked[1]?.get('nextToken')).toBe('page-1');
  await expect(heading.textContent()).resolves.toBe('VPN Gateways (40+)');
  await page.getByRole('button', { name: 'Next page' }).click();
  await page.getByRole('link', { name: 'gw-2-0', exact: true }).waitFor();
  expect(asked[2]?.get('nextToken')).toBe('page-2');
  await session.shot('paging-third');
  await expect(session.axeViolations()).resolves.toEqual([]);

  // Act: back one page, then to page 1 by its number
  await page.getByRole('button', { name: 'Previous page' }).click();
  await page.getByRole('link', { name: 'gw-1-0', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Page 1', exact: true }).click();
  await first.waitFor();
  // Assess: each read again by the token kept for it
  expect(asked.slice(3).map((query) => query.get('nextToken'))).toEqual(['page-1', null]);

  // Act: to page 3 again, then refresh
  await page.getByRole('button', { name: 'Page 3', exact: true }).click();
  await page.getByRole('link', { name: 'gw-2-0', exact: true }).waitFor();
  await page.getByRole('button', { name: 'Refresh gateways' }).click();
  // Assess: page 1 again, the pages seen forgotten; a page at a time all along
  await first.waitFor();
  expect(asked.at(-1)?.toString()).toBe('limit=20');
  await expect(heading.textContent()).resolves.toBe('VPN Gateways (20+)');
  await expect(page.getByRole('button', { name: 'Page 3', exact: true }).count()).resolves.toBe(0);
  expect(asked.every((query) => query.get('limit') === '20')).toBe(true);
});
