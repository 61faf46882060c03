/**
 * The start banner's sign-in links (`/signin#token=…`): the local runtime's way in. A link is a
 * token someone else chose, so it is taken only where it belongs (token mode, the sign-in page),
 * never in place of someone else's open session, and its fragment never stays in the address bar.
 */
import type { ConsoleConfig } from '../config';
import { matchRoute } from '../routes';
import { signIn } from './session';

export type SignInLinkOutcome =
  /** No token in the fragment. */
  | { kind: 'none' }
  /** Signed in with the link's token. */
  | { kind: 'signed-in' }
  /** A token where links are not taken (Cognito, or another page than /signin): dropped. */
  | { kind: 'ignored' }
  /** Not signed in: what to tell the person, who stays signed in as before or on the sign-in page. */
  | { kind: 'refused'; notice: string };

export function takeSignInLink(
  config: ConsoleConfig,
  location: Location = window.location,
): SignInLinkOutcome {
  const token = new URLSearchParams(location.hash.slice(1)).get('token');
  if (token === null) return { kind: 'none' };
  // Whatever happens next, the token leaves the address bar (and the history entry).
  window.history.replaceState(window.history.state, '', `${location.pathname}${location.search}`);
  if (config.auth !== 'token' || matchRoute(location.pathname).page !== 'signin') return { kind: 'ignored' };
  const outcome = signIn(token);
  if (outcome.signedIn) return { kind: 'signed-in' };
  if (outcome.reason === 'invalid') {
    return { kind: 'refused', notice: 'The sign-in link holds no valid, unexpired token. Sign in again.' };
  }
  return {
    kind: 'refused',
    notice:
      `This sign-in link is for ${outcome.offered.name}, but ${outcome.current.name} is signed in here. ` +
      'To use the link, sign out first, then open it again.',
  };
}
