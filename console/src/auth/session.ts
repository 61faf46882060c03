/**
 * The signed-in session: a bearer token (pasted locally, or Cognito's ID token on AWS) and what the
 * console reads from its claims. The API stays the judge: the claims only shape the navigation.
 */
export interface Identity {
  token: string;
  userId: string;
  /** Who the person is, for people: the email or user name claim when the token has one, else the sub. */
  name: string;
  isAdmin: boolean;
  /** Epoch ms, when the token says. */
  expiresAt: number | null;
}

const STORAGE_KEY = 'vpc-peering-console.token';

/** The claims of a JWT, unverified (the API verifies it); undefined when it is not a JWT. */
export function decodeClaims(token: string): Record<string, unknown> | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const json = atob(payload.replace(/-/g, '+').replace(/_/g, '/'));
    const claims: unknown = JSON.parse(json);
    return typeof claims === 'object' && claims !== null ? (claims as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** `cognito:groups` as a JWT carries it: an array, or a comma-separated string. */
function groupsOf(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  return typeof value === 'string' ? value.split(/[,\s]+/).filter(Boolean) : [];
}

/** Claims that name a person, most telling first (Cognito's ID token has email and cognito:username). */
const NAME_CLAIMS = ['email', 'cognito:username', 'preferred_username'];

function nameOf(claims: Record<string, unknown>, sub: string): string {
  for (const claim of NAME_CLAIMS) {
    const value = claims[claim];
    if (typeof value === 'string' && value.trim().length > 0) return value.trim();
  }
  return sub;
}

export function identityOf(token: string, now = Date.now()): Identity | undefined {
  const claims = decodeClaims(token.trim());
  if (!claims || typeof claims.sub !== 'string' || claims.sub.length === 0) return undefined;
  const expiresAt = typeof claims.exp === 'number' ? claims.exp * 1000 : null;
  if (expiresAt !== null && expiresAt <= now) return undefined;
  return {
    token: token.trim(),
    userId: claims.sub,
    name: nameOf(claims, claims.sub),
    isAdmin: groupsOf(claims['cognito:groups']).includes('admin'),
    expiresAt,
  };
}

/** Why a session ended, when the API refused it: the request it refused was not sent on. */
export interface SessionEnd {
  /** What the refused request was for (Register gateway, Add peer laptop), when it changed something. */
  unsentRequest?: string;
}

type Listener = (identity: Identity | undefined, ended?: SessionEnd) => void;
const listeners = new Set<Listener>();
let current: Identity | undefined;

export function currentIdentity(): Identity | undefined {
  if (current && current.expiresAt !== null && current.expiresAt <= Date.now()) signOut();
  return current;
}

export function restoreSession(): Identity | undefined {
  const stored = sessionStorage.getItem(STORAGE_KEY);
  current = stored ? identityOf(stored) : undefined;
  if (!current) sessionStorage.removeItem(STORAGE_KEY);
  return current;
}

export type SignInOutcome =
  | { signedIn: true; identity: Identity }
  | { signedIn: false; reason: 'invalid' }
  /** A session of someone else is open: it stays until that person signs out (no silent switch). */
  | { signedIn: false; reason: 'another-identity'; current: Identity; offered: Identity };

export function signIn(token: string): SignInOutcome {
  const identity = identityOf(token);
  if (!identity) return { signedIn: false, reason: 'invalid' };
  const open = currentIdentity();
  if (open && open.userId !== identity.userId) {
    return { signedIn: false, reason: 'another-identity', current: open, offered: identity };
  }
  current = identity;
  sessionStorage.setItem(STORAGE_KEY, identity.token);
  for (const listener of listeners) listener(current);
  return { signedIn: true, identity };
}

export function signOut(ended?: SessionEnd): void {
  current = undefined;
  sessionStorage.removeItem(STORAGE_KEY);
  for (const listener of listeners) listener(undefined, ended);
}

export function onSessionChange(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}
