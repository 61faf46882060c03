/**
 * The console's start against hostile or broken input, in Debian's Chromium: sign-in links
 * (`#token=`) taken only on the local runtime's /signin and never in place of another person's
 * session, a missing config.json (an error page with Retry, never the local token box), and a
 * malformed address (page not found, never a blank page). The built console is served as the
 * runtime serves it (runtime/console-static.ts); config.json and the API are answered per test.
 */
import type { Page } from 'playwright-core';
import { mintToken } from '../../runtime/tokens';
import { useServedConsole } from '../support/console/served-console';
import { type ConsoleSession, webStorageOf } from '../support/console/session';

jest.setTimeout(60_000);

const SECRET = 'start-hardening-test-secret-of-32-bytes!';
const COGNITO_CONFIG = {
  auth: 'cognito',
  apiUrl: '',
  region: 'eu-west-1',
  userPoolId: 'eu-west-1_Console',
  clientId: 'console-client',
  domain: 'vpc-peering-test.auth.eu-west-1.amazoncognito.com',
};

const served = useServedConsole();

/** A page whose API answers an empty gateway list (the console only needs to show who is signed in). */
async function open(name: string, config?: Record<string, unknown>): Promise<ConsoleSession> {
  const session = await served.open(name);
  await session.page.route(`${served.baseUrl}/v1/**`, (route) => route.fulfill({ json: { items: [] } }));
  if (config)
    await session.page.route(`${served.baseUrl}/config.json`, (route) => route.fulfill({ json: config }));
  return session;
}

const addressOf = (page: Page) => {
  const url = new URL(page.url());
  return `${url.pathname}${url.search}${url.hash}`;
};
const storedToken = async (page: Page) => (await webStorageOf(page)).session['vpc-peering-console.token'];
const userMenu = (page: Page, name: string) => page.getByRole('button', { name: new RegExp(`^${name}`) });

describe('sign-in links (#token=)', () => {
  test('on AWS (Cognito) a link signs nobody in, and its token leaves the address bar', async () => {
    // Prepare: a valid-looking token of someone else's, on a page of the AWS console
    const { page } = await open('link-cognito', COGNITO_CONFIG);
    const attackers = await mintToken(SECRET, { sub: 'mallory' });
    // Act
    await page.goto(`${served.baseUrl}/gateways#token=${attackers}`);
    // Assess: the managed login's Sign in, no session, no token in the address
    await page.getByRole('button', { name: 'Sign in' }).waitFor();
    await expect(page.getByLabel('Token').count()).resolves.toBe(0);
    await expect(storedToken(page)).resolves.toBeUndefined();
    expect(addressOf(page)).toBe('/gateways');
  });

  test('locally a link is taken on /signin only', async () => {
    // Prepare
    const { page } = await open('link-local');
    const alice = await mintToken(SECRET, { sub: 'alice' });
    // Act: the link on another page
    await page.goto(`${served.baseUrl}/gateways#token=${alice}`);
    // Assess: not signed in, the token gone from the address bar
    await page.getByLabel('Token').waitFor();
    await expect(storedToken(page)).resolves.toBeUndefined();
    expect(addressOf(page)).toBe('/gateways');
    // Act: the link as the start banner prints it
    await page.goto(`${served.baseUrl}/signin#token=${alice}`);
    // Assess
    await userMenu(page, 'alice').waitFor();
    await expect(storedToken(page)).resolves.toBe(alice);
    expect(addressOf(page)).toBe('/gateways');
  });

  test('a link for someone else never replaces the open session: it names both and asks to sign out first', async () => {
    // Prepare: alice is signed in in this tab
    const { page } = await open('link-other-identity');
    await page.goto(`${served.baseUrl}/signin#token=${await mintToken(SECRET, { sub: 'alice' })}`);
    await userMenu(page, 'alice').waitFor();
    // Act: a link for mallory
    await page.goto(`${served.baseUrl}/signin#token=${await mintToken(SECRET, { sub: 'mallory' })}`);
    // Assess: still alice, and a warning that says who is who
    await page
      .getByText('This sign-in link is for mallory, but alice is signed in here.', { exact: false })
      .waitFor();
    await userMenu(page, 'alice').waitFor();
    expect(addressOf(page)).toBe('/gateways');
  });
});

test('a config.json that does not load shows an error page with Retry, not the local token box', async () => {
  // Prepare: config.json fails (the page logs the 503, which this test provokes)
  const session = await open('config-missing');
  const { page } = session;
  session.expectStatus(503);
  let configFails = true;
  await page.route(`${served.baseUrl}/config.json`, (route) =>
    configFails ? route.fulfill({ status: 503, body: 'unavailable' }) : route.fallback(),
  );
  // Act
  await page.goto(`${served.baseUrl}/`);
  // Assess
  await page.getByRole('heading', { name: "The console's configuration could not be loaded" }).waitFor();
  await expect(page.getByLabel('Token').count()).resolves.toBe(0);
  await session.shot('config-missing');
  // …and the failed start is the page's one error (main.tsx rethrows it)
  expect(session.errors.splice(0)).toEqual(['pageerror: config.json answered HTTP 503']);
  // Act: it is back; Retry
  configFails = false;
  await page.getByRole('button', { name: 'Retry' }).click();
  // Assess: the console starts
  await page.getByLabel('Token').waitFor();
});

test('a malformed address is a page not found, never a blank page', async () => {
  // Prepare: a stored session, so the list would be preloaded
  const { page } = await open('malformed-address');
  await page.goto(`${served.baseUrl}/signin#token=${await mintToken(SECRET, { sub: 'alice' })}`);
  await userMenu(page, 'alice').waitFor();
  // Act
  await page.goto(`${served.baseUrl}/gateways/%E0%A4%A`);
  // Assess
  await page.getByText('Page not found').waitFor();
});
