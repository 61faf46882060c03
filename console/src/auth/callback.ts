/**
 * Cognito's redirect back to /callback. oidc-client-ts takes the stored state before it exchanges
 * the code, so the same address fails for good the second time (a reload, Back after sign-in), as
 * do a failed exchange and Cognito's own `?error=`. A failure leaves /callback for the sign-in page
 * (or the person's pages, when a session is open) and says why: never a dead end.
 */
import type { ConsoleConfig } from '../config';
import { matchRoute, navigate } from '../router';
import { type CognitoSignIn, completeCognitoSignIn } from './cognito';
import { currentIdentity, signIn } from './session';

type CognitoConfig = Extract<ConsoleConfig, { auth: 'cognito' }>;

/**
 * A page of this console to return to: a path of its own routes, never another origin or sign-in;
 * the root is the gateways page under its own address. Its query comes back with it: a list's
 * filters live there.
 */
function consolePage(path: string | undefined): string | undefined {
  if (!path?.startsWith('/') || path.startsWith('//') || path === '/') return undefined;
  const [pathname = path] = path.split(/[?#]/, 1);
  if (pathname === '/') return undefined;
  const page = matchRoute(pathname).page;
  return page === 'signin' || page === 'not-found' ? undefined : path;
}

/** Ends the callback; returns what to tell the person when it failed. */
export async function finishCognitoCallback(
  config: CognitoConfig,
  complete: (config: CognitoConfig) => Promise<CognitoSignIn> = completeCognitoSignIn,
): Promise<string | undefined> {
  let failure: string | undefined;
  let returnTo: string | undefined;
  try {
    const signedIn = await complete(config);
    returnTo = signedIn.returnTo;
    if (!signedIn.idToken || !signIn(signedIn.idToken).signedIn)
      failure = 'Cognito returned no usable ID token';
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  // Signed in: back to the page the person left for the login (its form's draft is restored
  // there); a reload of /callback with a session open goes to their pages, quietly.
  if (currentIdentity()) {
    navigate(consolePage(returnTo) ?? '/gateways', { replace: true });
    return undefined;
  }
  navigate('/signin', { replace: true });
  return `Signing in did not complete (${failure ?? 'no session'}). Sign in again.`;
}
