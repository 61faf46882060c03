/**
 * Cognito managed login on AWS: OAuth 2.0 authorization code with PKCE through oidc-client-ts,
 * loaded only when the config asks for it. The API takes the ID token (Cognito authorizer).
 */
import type { UserManager } from 'oidc-client-ts';
import type { ConsoleConfig } from '../config';

type CognitoConfig = Extract<ConsoleConfig, { auth: 'cognito' }>;

async function manager(config: CognitoConfig): Promise<UserManager> {
  const { UserManager, WebStorageStateStore } = await import('oidc-client-ts');
  return new UserManager({
    authority: `https://cognito-idp.${config.region}.amazonaws.com/${config.userPoolId}`,
    client_id: config.clientId,
    redirect_uri: `${window.location.origin}/callback`,
    post_logout_redirect_uri: `${window.location.origin}/`,
    response_type: 'code',
    scope: 'openid email profile',
    userStore: new WebStorageStateStore({ store: window.sessionStorage }),
  });
}

export async function startCognitoSignIn(config: CognitoConfig): Promise<void> {
  await (await manager(config)).signinRedirect();
}

/** On /callback: exchanges the code (PKCE) and returns the ID token. */
export async function completeCognitoSignIn(config: CognitoConfig): Promise<string | undefined> {
  const user = await (await manager(config)).signinRedirectCallback();
  return user.id_token;
}

/** Cognito's logout endpoint ends the managed login session too (it has no OIDC end_session). */
export async function cognitoSignOut(config: CognitoConfig): Promise<void> {
  await (await manager(config)).removeUser();
  const logout = new URL(`https://${config.domain}/logout`);
  logout.searchParams.set('client_id', config.clientId);
  logout.searchParams.set('logout_uri', `${window.location.origin}/`);
  window.location.assign(logout.toString());
}
