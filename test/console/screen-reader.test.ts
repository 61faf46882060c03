/**
 * What a screen reader is told (docs/DECISIONS.md, "Console: what a screen reader is told"), in
 * Debian's Chromium: the built console served alone, the API answered through the browser's routing.
 * A flash is announced by a polite live region and leaves the focus where the person works; a
 * session that ends hands the focus to the sign-in page's heading and announces why; every page
 * has its own title. "Announced" is what Cloudscape copies into an `aria-live` region (about 1 s
 * after the change), the text a screen reader is given.
 */
import type { Page, Route } from 'playwright-core';
import { mintToken } from '../../runtime/tokens';
import { expectFocusOn, tabTo } from '../support/console/keyboard';
import { carolsGateway, useServedConsole } from '../support/console/served-console';

jest.setTimeout(60_000);

const served = useServedConsole();

const edge = carolsGateway('gw-a');
const remote = { ...carolsGateway('gw-b'), name: 'edge-two', vpcId: 'vpc-two', vpcCidr: '10.1.0.0/16' };
const roadWarrior = (name: string) => ({
  name,
  type: 'road-warrior',
  publicKey: `key-${name}`,
  tunnelIp: '100.127.0.3',
  allowedIps: ['100.127.0.3/32'],
  endpoint: null,
  configDownloadedAt: null,
  configOutdated: false,
});
const status = { gatewayId: 'gw-a', appliedGeneration: 1, desiredGeneration: 1, reportedAt: null, peers: [] };
const failure = (route: Route, httpStatus: number, code: string, message: string) =>
  route.fulfill({ status: httpStatus, json: { error: { code, message } } });

interface Answers {
  addPeer: 'added' | 'unauthorized';
  config: 'sent' | 'internal-error';
  /** How the created peering ends, after one PROVISIONING read. */
  peeringEnds: 'ACTIVE' | 'FAILED';
}

/** Carol's two gateways, gw-a with road-warrior laptop; gw-gone is not found. */
async function answerApi(page: Page, answers: Answers): Promise<void> {
  let peeringReads = 0;
  await page.route(`${served.baseUrl}/v1/**`, (route) => {
    const { pathname } = new URL(route.request().url());
    const method = route.request().method();
    if (pathname === '/v1/gateways') return route.fulfill({ json: { items: [edge, remote] } });
    if (pathname === '/v1/gateways/gw-a')
      return route.fulfill({ json: { ...edge, peers: [roadWarrior('laptop')] } });
    if (pathname === '/v1/gateways/gw-a/status') return route.fulfill({ json: status });
    if (pathname === '/v1/gateways/gw-a/peers' && method === 'POST')
      return answers.addPeer === 'added'
        ? route.fulfill({ status: 201, json: roadWarrior('tablet') })
        : failure(route, 401, 'UNAUTHORIZED', 'Unauthorized');
    if (pathname === '/v1/gateways/gw-a/peers/laptop/config')
      return answers.config === 'sent'
        ? route.fulfill({ body: '[Interface]\n' })
        : failure(route, 500, 'INTERNAL', 'Internal error');
    if (pathname === '/v1/gateways/gw-a/peering-candidates')
      return route.fulfill({ json: { items: [{ gateway: remote, eligible: true }] } });
    if (pathname === '/v1/gateways/gw-a/vpc-peerings')
      return route.fulfill({ status: 202, json: { id: 'pcx-1', status: 'PROVISIONING' } });
    if (pathname === '/v1/vpc-peerings/pcx-1') {
      peeringReads += 1;
      const ended = peeringReads > 1;
      return route.fulfill({
        json: {
          id: 'pcx-1',
          status: ended ? answers.peeringEnds : 'PROVISIONING',
          ...(ended && answers.peeringEnds === 'FAILED'
            ? { statusReason: 'The remote gateway refused the push' }
            : {}),
        },
      });
    }
    if (pathname.startsWith('/v1/gateways/gw-gone'))
      return failure(route, 404, 'NOT_FOUND', 'Gateway gw-gone not found');
    return route.fulfill({ json: { items: [] } });
  });
}

const fine: Answers = { addPeer: 'added', config: 'sent', peeringEnds: 'ACTIVE' };

async function signInAsCarol(page: Page): Promise<void> {
  const token = await mintToken('screen-reader-test-secret-of-32-bytes', { sub: 'carol' });
  await page.goto(`${served.baseUrl}/signin#token=${token}`);
  await page.getByRole('link', { name: 'edge', exact: true }).waitFor();
}

/** With the keyboard alone: edge's page, its Add peer form, the name `tablet` typed, not sent. */
async function typeNewPeerOnEdge(page: Page): Promise<void> {
  await page.getByRole('link', { name: 'edge', exact: true }).click();
  await expectFocusOn(page, { role: 'heading', name: 'edge' });
  await tabTo(page, { role: 'button', name: 'Add peer' });
  await page.keyboard.press('Enter');
  await expectFocusOn(page, { role: 'textbox', name: 'Name' });
  await page.keyboard.type('tablet');
}

/** Resolves once a polite live region has been given `text`: what a screen reader is told. */
const announced = (page: Page, text: string | RegExp) =>
  page.locator('[aria-live="polite"]', { hasText: text }).waitFor({ state: 'attached', timeout: 5000 });

/** The flash holding `text`, by the role that makes it a status message. */
const flashStatus = (page: Page, text: string | RegExp) =>
  page.getByRole('region', { name: 'Notifications' }).getByRole('status').filter({ hasText: text });

/** The page's title once it is `title`, or after 5 s whatever it is. */
async function expectTitle(page: Page, title: string): Promise<void> {
  for (const deadline = Date.now() + 5000; Date.now() < deadline && (await page.title()) !== title; )
    await page.waitForTimeout(50);
  await expect(page.title()).resolves.toBe(title);
}

test('a flash is announced, success and error alike, and the focus stays on what the person used', async () => {
  // Prepare: carol on gw-a's page, with the keyboard
  const session = await served.open('announced-flashes');
  const { page } = session;
  session.expectStatus(500);
  const answers = { ...fine };
  await answerApi(page, answers);
  await signInAsCarol(page);
  await typeNewPeerOnEdge(page);

  // Act: Add peer tablet
  await page.keyboard.press('Enter');

  // Assess: the success is a status message, announced; the focus is back on Add peer
  await flashStatus(page, 'Peer tablet added').waitFor({ timeout: 5000 });
  await announced(page, /Success.*Peer tablet added/);
  await expectFocusOn(page, { role: 'button', name: 'Add peer' });

  // Act: Download config, answered 500
  answers.config = 'internal-error';
  await tabTo(page, { role: 'button', name: 'Download config', within: 'laptop' });
  await page.keyboard.press('Enter');

  // Assess: the error too, and the focus has not moved (an `alert` flash would take it)
  await flashStatus(page, /Getting the config of laptop.*Internal error/).waitFor({ timeout: 5000 });
  await announced(page, /Error.*Getting the config of laptop.*Internal error/);
  await expectFocusOn(page, { role: 'button', name: 'Download config', within: 'laptop' });
});

test('a peering that ends FAILED is announced with its reason, the focus still on Create Peering', async () => {
  // Prepare: the form shows a PROVISIONING status, which goes once the peering ended
  const session = await served.open('announced-peering-failed');
  const { page } = session;
  await answerApi(page, { ...fine, peeringEnds: 'FAILED' });
  await signInAsCarol(page);
  await page.goto(`${served.baseUrl}/gateways/gw-a/create-peering`);
  await page.getByRole('heading', { name: 'Create VPC Peering', level: 1 }).waitFor();
  await tabTo(page, { role: 'button', name: /Remote Gateway/ });
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('Enter');

  // Act
  await tabTo(page, { role: 'button', name: 'Create Peering' });
  await page.keyboard.press('Enter');

  // Assess: the outcome is told, not only drawn, and Create Peering is not pressed again unknowingly
  await announced(page, /FAILED.*The remote gateway refused the push/);
  await flashStatus(page, 'The remote gateway refused the push').waitFor({ timeout: 5000 });
  await expectFocusOn(page, { role: 'button', name: 'Create Peering' });
});

test("a 401 in the middle of Add peer: the sign-in page's heading takes the focus and why it shows is announced", async () => {
  // Prepare
  const session = await served.open('session-ended-401');
  const { page } = session;
  session.expectStatus(401);
  await answerApi(page, { ...fine, addPeer: 'unauthorized' });
  await signInAsCarol(page);
  await typeNewPeerOnEdge(page);

  // Act
  await page.keyboard.press('Enter');

  // Assess: not the body; the notice is announced, request and all; the next Tab is the token
  await expectFocusOn(page, { role: 'heading', name: 'VPC Peering console' });
  await announced(page, /You were signed out.*Your last request \(Add peer tablet\) was not sent/);
  await page.keyboard.press('Tab');
  await expectFocusOn(page, { role: 'textbox', name: 'Token' });
});

test("Sign out from the menu: the sign-in page's heading takes the focus", async () => {
  // Prepare
  const session = await served.open('session-ended-sign-out');
  const { page } = session;
  await answerApi(page, fine);
  await signInAsCarol(page);
  await page.getByRole('button', { name: /carol/ }).first().focus();
  await page.keyboard.press('Enter');
  await page.getByRole('menuitem', { name: 'Sign out' }).waitFor();
  await page.keyboard.press('ArrowDown');
  await expectFocusOn(page, { role: 'menuitem', name: 'Sign out' });

  // Act
  await page.keyboard.press('Enter');

  // Assess
  await expectFocusOn(page, { role: 'heading', name: 'VPC Peering console' });
});

test('every page has its own title, from its heading', async () => {
  // Prepare
  const session = await served.open('page-titles');
  const { page } = session;
  session.expectStatus(404);
  await answerApi(page, fine);

  // Act and Assess: page by page
  await signInAsCarol(page);
  await expectTitle(page, 'VPN Gateways | VPC Peering console');
  await page.getByRole('link', { name: 'edge', exact: true }).click();
  await page.getByText('vpc-carol', { exact: true }).waitFor(); // its name is loaded
  await expectTitle(page, 'edge | VPN Gateways | VPC Peering console');
  await page.getByRole('button', { name: 'Create VPC Peering' }).click();
  await page.getByRole('heading', { name: 'Create VPC Peering', level: 1 }).waitFor();
  await expectTitle(page, 'Create VPC Peering | edge | VPC Peering console');
  await page
    .getByRole('navigation', { name: 'Side navigation' })
    .getByRole('link', { name: 'VPC Peerings' })
    .click();
  await page.getByRole('heading', { name: /^VPC Peerings/, level: 1 }).waitFor();
  await expectTitle(page, 'VPC Peerings | VPC Peering console');
  await page.goto(`${served.baseUrl}/gateways/gw-gone`);
  await page.getByRole('heading', { name: 'Gateway gw-gone not found', level: 1 }).waitFor();
  await expectTitle(page, 'Gateway gw-gone not found | VPC Peering console');
  await page.goto(`${served.baseUrl}/nowhere`);
  await page.getByRole('heading', { name: 'Page not found' }).waitFor();
  await expectTitle(page, 'Page not found | VPC Peering console');
  await page.evaluate(() =>
    (globalThis as unknown as { sessionStorage: { clear(): void } }).sessionStorage.clear(),
  );
  await page.goto(`${served.baseUrl}/gateways`); // no session in this tab any more
  await page.getByRole('textbox', { name: 'Token' }).waitFor();
  await expectTitle(page, 'Sign in | VPC Peering console');
});
