/**
 * The console's AWS sign-in path without AWS: the built console with a Cognito `config.json`,
 * Cognito's hosts answered by a local OpenID provider (support/console/oidc-provider.ts), and the
 * API behind a stand-in for API Gateway's Cognito authorizer. The embedded runtime only takes its
 * own HS256 tokens (runtime/tokens.ts, issuer vpc-peering-local), so the stand-in verifies the console's
 * ID token against the provider's key, as the authorizer would, and forwards the call with the
 * runtime token of the same user. Covered: the redirect with a PKCE S256 challenge, the code
 * exchanged with its verifier, the signed-in page with the user's email and the admin section of
 * an `admin` group member, the API answering with that token, no refresh token in the browser's
 * storage nor any silent renewal, sign-out revoking the refresh token, then through Cognito's
 * logout endpoint back to the sign-in page, and the used /callback address opened again landing
 * on the sign-in page with the reason (never a dead end).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Browser, BrowserContext, Route } from 'playwright-core';
import { consoleContentSecurityPolicy } from '../../runtime/console-static';
import { launchChromium } from '../../tooling/chromium';
import { type OidcProvider, startOidcProvider } from '../support/console/oidc-provider';
import { assertConsoleBuilt, ConsoleSession, webStorageOf } from '../support/console/session';
import { useTarget } from '../support/integration';

jest.setTimeout(120_000);

const REGION = 'eu-west-1';
const POOL = 'eu-west-1_Console';
const CLIENT_ID = 'console-client';
const LOGIN_DOMAIN = 'vpc-peering-test.auth.eu-west-1.amazoncognito.com';
const EMAIL = 'ops@example.com';
/** oidc-client-ts warns of an expiry 60 s ahead: a 62 s token would be renewed 2 s after sign-in. */
const EXPIRES_IN_SECONDS = 62;

const suite = useTarget();
let browser: Browser;
let provider: OidcProvider;
let session: ConsoleSession | undefined;
const verifiedSubjects: string[] = [];

beforeAll(async () => {
  assertConsoleBuilt();
  browser = await launchChromium();
  provider = await startOidcProvider({
    sub: suite.target.users.admin,
    groups: ['admin'],
    email: EMAIL,
    expiresInSeconds: EXPIRES_IN_SECONDS,
  });
}, 60_000);

afterAll(async () => {
  await session?.close().catch(() => undefined);
  await browser?.close();
  await provider?.close();
});

/**
 * route.fetch, once more when a GET's kept-alive socket was reset: Node's server closes an idle
 * connection after 5 s, and Playwright's request context may reuse it at that instant (what
 * Chromium itself retries for an idempotent request). Seen twice in CI (2026-12-05 and 12-06).
 */
async function fetchRetryingReset(route: Route, options?: Parameters<Route['fetch']>[0]) {
  try {
    return await route.fetch(options);
  } catch (error) {
    const idempotent = ['GET', 'HEAD'].includes(route.request().method());
    if (!idempotent || !/ECONNRESET/.test(String(error))) throw error;
    return route.fetch(options);
  }
}

/** Cognito's hosts, as the console derives them from config.json, answered by the local provider. */
async function routeCognito(context: BrowserContext): Promise<void> {
  const toProvider = async (route: Route, prefix: string) => {
    const asked = new URL(route.request().url());
    const path = asked.pathname.slice(prefix.length) || '/';
    const response = await fetchRetryingReset(route, {
      url: `${provider.url}${path}${asked.search}`,
      maxRedirects: 0,
    });
    const location = response.headers().location;
    if (location) {
      // Playwright routes no redirect a fulfilled answer leads to, and the page it leads to must be
      // routed (routePagesWithCognitoCsp): the browser is sent on by a page of its own instead.
      return route.fulfill({
        contentType: 'text/html',
        body: `<meta http-equiv="refresh" content="0; url=${location.replaceAll('"', '&quot;')}">`,
      });
    }
    if (path !== '/.well-known/openid-configuration') return route.fulfill({ response });
    // Cognito's discovery names the login domain's endpoints and the pool's keys, as the CSP expects.
    const discovery = await response.json();
    return route.fulfill({
      response,
      json: {
        ...discovery,
        authorization_endpoint: `https://${LOGIN_DOMAIN}/oauth2/authorize`,
        token_endpoint: `https://${LOGIN_DOMAIN}/oauth2/token`,
        userinfo_endpoint: `https://${LOGIN_DOMAIN}/oauth2/userInfo`,
        jwks_uri: `https://cognito-idp.${REGION}.amazonaws.com/${POOL}/.well-known/jwks.json`,
      },
    });
  };
  await context.route(`https://cognito-idp.${REGION}.amazonaws.com/${POOL}/**`, (route) =>
    toProvider(route, `/${POOL}`),
  );
  await context.route(`https://${LOGIN_DOMAIN}/**`, (route) => toProvider(route, ''));
}

/**
 * The console's pages with the CSP CloudFront sends beside a Cognito config.json (its API here is
 * the same origin): the runtime's own CSP is for its pasted-token config.json, which names no Cognito host.
 */
async function routePagesWithCognitoCsp(context: BrowserContext): Promise<void> {
  const policy = consoleContentSecurityPolicy([
    `https://cognito-idp.${REGION}.amazonaws.com`,
    `https://${LOGIN_DOMAIN}`,
  ]);
  await context.route(`${suite.target.apiUrl}/**`, async (route) => {
    if (route.request().resourceType() !== 'document') return route.fallback();
    const response = await fetchRetryingReset(route);
    return route.fulfill({
      response,
      headers: { ...response.headers(), 'content-security-policy': policy },
    });
  });
}

/** API Gateway's Cognito authorizer, standing in: verify the ID token, then call the runtime. */
async function routeApi(context: BrowserContext): Promise<void> {
  await context.route(`${suite.target.apiUrl}/v1/**`, async (route) => {
    const bearer = /^Bearer (.+)$/.exec(route.request().headers().authorization ?? '')?.[1];
    const claims = bearer
      ? await provider.verifyIdToken(bearer, CLIENT_ID).catch(() => undefined)
      : undefined;
    if (!claims) {
      return route.fulfill({ status: 401, json: { message: 'Unauthorized' } });
    }
    verifiedSubjects.push(String(claims.sub));
    const groups = (claims['cognito:groups'] as string[] | undefined) ?? [];
    const token = groups.includes('admin') ? suite.target.tokens.admin : suite.target.tokens.alice;
    const response = await fetchRetryingReset(route, {
      headers: { ...route.request().headers(), authorization: `Bearer ${token}` },
    });
    return route.fulfill({ response });
  });
  await context.route(`${suite.target.apiUrl}/config.json`, (route) =>
    route.fulfill({
      json: {
        auth: 'cognito',
        apiUrl: '',
        region: REGION,
        userPoolId: POOL,
        clientId: CLIENT_ID,
        domain: LOGIN_DOMAIN,
      },
    }),
  );
}

test('Cognito sign-in: code + PKCE, the admin section for the admin group, no refresh token kept, sign-out revokes it, then /logout', async () => {
  // Prepare
  session = await ConsoleSession.open(browser, suite.target.apiUrl, 'cognito');
  const { page } = session;
  await routePagesWithCognitoCsp(page.context());
  await routeCognito(page.context());
  await routeApi(page.context());
  await page.goto(`${suite.target.apiUrl}/`);
  const callbacks: string[] = [];
  page.on('request', (request) => {
    if (request.isNavigationRequest() && new URL(request.url()).pathname === '/callback') {
      callbacks.push(request.url());
    }
  });

  // Act: sign in through the managed login (the provider signs the user straight in)
  await page.getByRole('button', { name: 'Sign in' }).click();

  // Assess: the redirect asked for a code with a PKCE S256 challenge; the code came back with its verifier
  await page.getByText('Connectivity', { exact: true }).first().waitFor();
  const authorize = provider.requests.find((request) => request.path === '/oauth2/authorize')?.params;
  expect(authorize).toMatchObject({
    client_id: CLIENT_ID,
    response_type: 'code',
    code_challenge_method: 'S256',
    redirect_uri: `${suite.target.apiUrl}/callback`,
  });
  expect(authorize?.code_challenge).toMatch(/^[A-Za-z0-9_-]{43}$/);
  const exchange = provider.requests.find((request) => request.path === '/oauth2/token')?.params;
  expect(exchange).toMatchObject({ grant_type: 'authorization_code', client_id: CLIENT_ID });
  expect(exchange?.code_verifier).toMatch(/^[A-Za-z0-9._~-]{43,128}$/);
  // …the page shows the user and the admin section, and the API answered the ID token
  await page.getByRole('heading', { name: /^VPN Gateways/ }).waitFor();
  await page.getByRole('button', { name: 'Register gateway' }).waitFor();
  // …the top bar names the person by email, not by the sub
  const userMenu = page.getByRole('button', { name: new RegExp(`^${EMAIL}`) });
  await userMenu.waitFor();
  expect(verifiedSubjects).toContain(suite.target.users.admin);
  expect(new URL(page.url()).pathname).toBe('/gateways');
  await session.shot('cognito-signed-in');
  // …the refresh token is in no storage, and nothing renews the session silently
  const [refreshToken] = provider.refreshTokens;
  expect(refreshToken).toBeDefined();
  const stored = JSON.stringify(await webStorageOf(page));
  expect(stored).toContain('vpc-peering-console.token'); // the console's own copy of the ID token
  expect(stored).not.toContain(String(refreshToken));
  expect(stored).not.toContain('oidc.user:');
  await sleep(4000);
  const renewals = provider.requests.filter((request) => request.params.grant_type === 'refresh_token');
  expect(renewals).toEqual([]);

  // Act: sign out
  await userMenu.click();
  await page.getByRole('menuitem', { name: 'Sign out' }).click();

  // Assess: the refresh token was revoked, then Cognito's logout endpoint brought the sign-in page back
  await page.waitForURL(`${suite.target.apiUrl}/`);
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  const revoked = provider.requests.findIndex((request) => request.path === '/oauth2/revoke');
  expect(provider.requests[revoked]?.params).toMatchObject({
    client_id: CLIENT_ID,
    token: refreshToken,
    token_type_hint: 'refresh_token',
  });
  const loggedOut = provider.requests.findIndex((request) => request.path === '/logout');
  expect(revoked).toBeLessThan(loggedOut);
  expect(provider.requests[loggedOut]?.params).toEqual({
    client_id: CLIENT_ID,
    logout_uri: `${suite.target.apiUrl}/`,
  });
  await page.reload();
  await page.getByRole('button', { name: 'Sign in' }).waitFor();
  await session.shot('cognito-signed-out');

  // Act: back to the callback address, whose state the first visit consumed
  expect(callbacks).toHaveLength(1);
  await page.goto(callbacks[0] ?? '');
  // Assess: the sign-in page says why, and signing in again works
  await page.getByText(/Signing in did not complete \(No matching state found in storage\)/).waitFor();
  expect(new URL(page.url()).pathname).toBe('/signin');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: /^VPN Gateways/ }).waitFor();
  expect(session.errors).toEqual([]);
});
