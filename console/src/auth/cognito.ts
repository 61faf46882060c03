/**
 * Cognito managed login on AWS: OAuth 2.0 authorization code with PKCE through oidc-client-ts,
 * loaded only when the config asks for it. The API takes the ID token (Cognito authorizer).
 *
 * The console keeps only the ID token (auth/session.ts) and signs in again when it expires: no
 * silent renewal, and oidc-client-ts's own copy of the user (refresh token included) is removed
 * as soon as the callback has been handled. The refresh token is held in memory alone, to be
 * revoked when the session ends (docs/DECISIONS.md, "Console").
 */
import type { OidcClientSettings, UserManager } from 'oidc-client-ts';
import type { ConsoleConfig } from '../config';

type CognitoConfig = Extract<ConsoleConfig, { auth: 'cognito' }>;

function settingsOf(config: CognitoConfig): OidcClientSettings {
  return {
    authority: `https://cognito-idp.${config.region}.amazonaws.com/${config.userPoolId}`,
    // Cognito's revocation endpoint is on the managed login domain; its discovery may name it too.
    metadataSeed: { revocation_endpoint: `https://${config.domain}/oauth2/revoke` },
    client_id: config.clientId,
    redirect_uri: `${window.location.origin}/callback`,
    post_logout_redirect_uri: `${window.location.origin}/`,
    response_type: 'code',
    scope: 'openid email profile',
  };
}

async function manager(config: CognitoConfig): Promise<UserManager> {
  const { UserManager, WebStorageStateStore } = await import('oidc-client-ts');
  return new UserManager({
    ...settingsOf(config),
    automaticSilentRenew: false,
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
}

/** This page's refresh token, kept out of storage, until the session ends and it is revoked. */
let refreshToken: string | undefined;
let revocation: Promise<void> = Promise.resolve();

/**
 * Leaves for Cognito's login. `returnTo`, the console's page the person was on, rides in the
 * sign-in's own state (oidc-client-ts keeps it in this tab, by the `state` Cognito sends back), so
 * the callback opens that page again, with its form's draft (drafts.ts).
 */
export async function startCognitoSignIn(config: CognitoConfig, returnTo?: string): Promise<void> {
  await (await manager(config)).signinRedirect(returnTo ? { state: { returnTo } } : undefined);
}

export interface CognitoSignIn {
  idToken: string | undefined;
  /** The page to open again, as the sign-in's state carried it. */
  returnTo: string | undefined;
}

/** On /callback: exchanges the code (PKCE) and returns the ID token. */
export async function completeCognitoSignIn(config: CognitoConfig): Promise<CognitoSignIn> {
  const users = await manager(config);
  const user = await users.signinRedirectCallback();
  await users.removeUser();
  refreshToken = user.refresh_token ?? undefined;
  const returnTo = (user.state as { returnTo?: unknown } | undefined)?.returnTo;
  return { idToken: user.id_token, returnTo: typeof returnTo === 'string' ? returnTo : undefined };
}

/**
 * Revokes the refresh token this page holds, best effort (a failure leaves it to expire): on
 * sign-out and when the session ends (expiry, a 401). Calls while one is under way share it.
 */
export function endCognitoSession(config: CognitoConfig): Promise<void> {
  const token = refreshToken;
  refreshToken = undefined;
  if (token) {
    revocation = import('oidc-client-ts')
      .then(({ OidcClient }) => new OidcClient(settingsOf(config)).revokeToken(token, 'refresh_token'))
      .catch(() => undefined);
  }
  return revocation;
}

/** Cognito's logout endpoint ends the managed login session too (it has no OIDC end_session). */
export async function cognitoSignOut(
  config: CognitoConfig,
  leave = (url: string) => window.location.assign(url),
): Promise<void> {
  await endCognitoSession(config);
  await (await manager(config)).removeUser();
  const logout = new URL(`https://${config.domain}/logout`);
  logout.searchParams.set('client_id', config.clientId);
  logout.searchParams.set('logout_uri', `${window.location.origin}/`);
  leave(logout.toString());
}
