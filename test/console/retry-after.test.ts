/**
 * A form refused with Retry-After, in Debian's Chromium: the built console served as the runtime
 * serves it (runtime/console-static.ts), the API answered per test through the browser's routing,
 * so the refusal (a 429 THROTTLED, which the embedded API gives only under load) is exact.
 */
import { mintToken } from '../../runtime/tokens';
import { fillRegistration } from '../support/console/register-form';
import { carolsGateway, useServedConsole } from '../support/console/served-console';

jest.setTimeout(60_000);

const served = useServedConsole();

const registered = { ...carolsGateway('gw-edge'), peers: [] };

test('Register gateway throttled (429, Retry-After: 2) counts down, then registers with the same Idempotency-Key', async () => {
  // Prepare: an admin on Register gateway; the first POST is throttled for 2 s, the next one registers
  const session = await served.open('retry-after');
  const { page } = session;
  session.expectStatus(429);
  const posts: { key: string | null; at: number }[] = [];
  await page.route(`${served.baseUrl}/v1/**`, async (route) => {
    const request = route.request();
    const { pathname } = new URL(request.url());
    if (request.method() === 'POST' && pathname === '/v1/gateways') {
      posts.push({ key: await request.headerValue('idempotency-key'), at: Date.now() });
      if (posts.length === 1) {
        return route.fulfill({
          status: 429,
          headers: { 'retry-after': '2' },
          json: { error: { code: 'THROTTLED', message: 'Too many requests from this caller; retry in 2 s' } },
        });
      }
      return route.fulfill({ status: 201, json: registered });
    }
    if (pathname === '/v1/gateways/gw-edge') return route.fulfill({ json: registered });
    if (pathname === '/v1/gateways/gw-edge/status') {
      return route.fulfill({
        json: {
          gatewayId: 'gw-edge',
          appliedGeneration: 1,
          desiredGeneration: 1,
          reportedAt: null,
          peers: [],
        },
      });
    }
    return route.fulfill({ json: { items: [] } });
  });
  const admin = await mintToken('retry-after-test-secret-of-32-bytes!', { sub: 'ops', groups: ['admin'] });
  await page.goto(`${served.baseUrl}/signin#token=${admin}`);
  await fillRegistration(page);

  // Act: register, throttled; press Enter in a field at once (the form's own submission)
  await page.getByRole('button', { name: 'Register gateway' }).click();
  const held = page.getByRole('button', { name: /^Try again in \d s$/ });
  await held.waitFor();
  await page.getByText('THROTTLED: Too many requests from this caller; retry in 2 s').first().waitFor();
  await session.shot('register-throttled');
  await page.getByLabel('Owner', { exact: true }).press('Enter');
  await held.click({ force: true });
  // Assess: nothing sent while held, the input kept
  expect(posts).toHaveLength(1);
  await expect(held.getAttribute('aria-disabled')).resolves.toBe('true');
  await expect(page.getByLabel('VPC CIDR', { exact: true }).inputValue()).resolves.toBe('10.0.0.0/16');

  // Act: the wait is out; register again
  const again = page.getByRole('button', { name: 'Register gateway' });
  await again.waitFor();
  await again.click();

  // Assess: registered, by the same request sent after the wait
  await page.getByRole('heading', { name: 'edge', level: 1 }).waitFor();
  await page.getByText('Gateway edge registered.').waitFor();
  expect(posts).toHaveLength(2);
  expect(posts[1]?.key).toBeTruthy();
  expect(posts[1]?.key).toBe(posts[0]?.key);
  expect((posts[1]?.at ?? 0) - (posts[0]?.at ?? 0)).toBeGreaterThanOrEqual(2000);
});
