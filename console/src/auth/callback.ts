/**
 * Cognito's redirect back to /callback. oidc-client-ts takes the stored state before it exchanges
 * the code, so the same address fails for good the second time (a reload, Back after sign-in), as
 * do a failed exchange and Cognito's own `?error=`. A failure leaves /callback for the sign-in page
 * (or the person's pages, when a session is open) and says why: never a dead end.
 */
import type { ConsoleConfig } from '../config';
import { navigate } from '../router';
import { completeCognitoSignIn } from './cognito';
import { currentIdentity, signIn } from './session';

type CognitoConfig = Extract<ConsoleConfig, { auth: 'cognito' }>;

/** Ends the callback; returns what to tell the person when it failed. */
export async function finishCognitoCallback(
  config: CognitoConfig,
  complete: (config: CognitoConfig) => Promise<string | undefined> = completeCognitoSignIn,
): Promise<string | undefined> {
  let failure: string | undefined;
  try {
    const token = await complete(config);
    if (!token || !signIn(token).signedIn) failure = 'Cognito returned no usable ID token';
  } catch (error) {
    failure = error instanceof Error ? error.message : String(error);
  }
  // A reload of /callback with a session open takes the person back to their pages, quietly.
  if (currentIdentity()) {
    navigate('/gateways', { replace: true });
    return undefined;
  }
  navigate('/signin', { replace: true });
  return `Signing in did not complete (${failure ?? 'no session'}). Sign in again.`;
}
