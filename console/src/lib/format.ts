/**
 * Pure presentation rules of the console: times, byte counts, the online rule, configuration sync.
 * No React and no I/O here, so each rule is tested on its own (src/lib/format.test.ts).
 */

/** WireGuard re-keys every 2 minutes; a peer silent for 3 is offline (README, "Using the console"). */
export const ONLINE_WINDOW_SECONDS = 180;

/** How long a gateway may be behind its desired generation before the console says so. */
export const APPLYING_GRACE_SECONDS = 60;

/** A handshake time as the status route gives it: epoch seconds (0 = never), ISO 8601, or absent. */
export type HandshakeValue = number | string | null | undefined;

/** Epoch milliseconds of a handshake, or null when there was none. */
export function handshakeMillis(value: HandshakeValue): number | null {
  if (typeof value === 'number') return value > 0 ? value * 1000 : null;
  if (typeof value === 'string' && value.length > 0) {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? null : parsed;
  }
  return null;
}

/** Online when the API says so, else when the last handshake is within the online window. */
export function isOnline(handshake: HandshakeValue, now: number, reported?: boolean): boolean {
  if (typeof reported === 'boolean') return reported;
  const at = handshakeMillis(handshake);
  return at !== null && now - at <= ONLINE_WINDOW_SECONDS * 1000;
}

/**
 * A peer's state as the console shows it. Unknown while the report is stale: an old report can say
 * neither that a peer is online now nor that it is not (docs/DECISIONS.md, "Durability and truthful
 * status"; the API's `online` is false then).
 */
export type Liveness = 'online' | 'offline' | 'unknown';

export function liveness(
  handshake: HandshakeValue,
  now: number,
  reported: boolean | undefined,
  stale: boolean,
): Liveness {
  if (stale) return 'unknown';
  return isOnline(handshake, now, reported) ? 'online' : 'offline';
}

/** What the summary says beside the sync state while the gateway's report is stale. */
export function notReportingLabel(reportedAt: string | null): string {
  return reportedAt ? `Not reporting since ${formatTime(reportedAt)}` : 'Not reported yet';
}

/** "just now", "42 seconds ago", "5 minutes ago", "3 hours ago", "2 days ago" ("in …" for the future). */
export function relativeTime(at: number, now: number): string {
  const seconds = Math.round((now - at) / 1000);
  const magnitude = Math.abs(seconds);
  if (magnitude < 5) return 'just now';
  const units: [number, string][] = [
    [86_400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
    [1, 'second'],
  ];
  const [size, unit] = units.find(([unitSeconds]) => magnitude >= unitSeconds) ?? [1, 'second'];
  const count = Math.floor(magnitude / size);
  const text = `${count} ${unit}${count === 1 ? '' : 's'}`;
  return seconds >= 0 ? `${text} ago` : `in ${text}`;
}

/** 1536 → "1.5 KiB". */
export function formatBytes(bytes: number | null | undefined): string {
  if (typeof bytes !== 'number' || !Number.isFinite(bytes) || bytes < 0) return '-';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`;
}

/** An ISO time as the reader's locale shows it; "-" when absent or unreadable. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '-';
  const at = Date.parse(iso);
  return Number.isNaN(at) ? '-' : new Date(at).toLocaleString();
}

export type SyncState =
  | { kind: 'in-sync'; generation: number }
  | { kind: 'applying'; applied: number; desired: number }
  | { kind: 'behind'; applied: number; desired: number; since: number };

/**
 * Applied against desired generation. Behind for less than the grace period is "Applying" (a push
 * takes seconds); longer is "Behind since …". `behindSince` is when the gap was first seen: from the
 * API when it says, else from the console's own first sight of it (docs/DECISIONS.md, "Console").
 */
export function syncState(applied: number, desired: number, behindSince: number, now: number): SyncState {
  if (applied >= desired) return { kind: 'in-sync', generation: applied };
  if (now - behindSince < APPLYING_GRACE_SECONDS * 1000) return { kind: 'applying', applied, desired };
  return { kind: 'behind', applied, desired, since: behindSince };
}

export function syncLabel(state: SyncState): string {
  if (state.kind === 'in-sync') return `In sync (generation ${state.generation})`;
  if (state.kind === 'applying') return `Applying (generation ${state.applied} of ${state.desired})`;
  return `Behind since ${new Date(state.since).toLocaleString()} (generation ${state.applied} of ${state.desired})`;
}

/** The file name a road-warrior config downloads as: `<gateway-name>-<peer>.conf`, safe for any OS. */
export function configFileName(gatewayName: string, peerName: string): string {
  const safe = (text: string) => text.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '') || 'gateway';
  return `${safe(gatewayName)}-${safe(peerName)}.conf`;
}

export const PEERING_PEER_PREFIX = 'vpc-peering-';
export const isPeeringPeer = (name: string): boolean => name.startsWith(PEERING_PEER_PREFIX);

/**
 * Whose gateways a page speaks of, as a possessive: "your" to a user (whose lists are only their
 * own), the owner's id to an admin, who acts for tenants and owns none of what they look at;
 * "its owner's" while the admin's page has not read the owner yet (docs/DECISIONS.md, "An admin is
 * told whose it is, and keeps the list", session 19). `sentenceStart` capitalises the words, never
 * an owner id.
 */
export function ownersWord(isAdmin: boolean, ownerId: string | undefined, sentenceStart = false): string {
  if (ownerId && isAdmin) return `${ownerId}'s`;
  const word = isAdmin ? "its owner's" : 'your';
  return sentenceStart ? word.charAt(0).toUpperCase() + word.slice(1) : word;
}

/** The owner a page names: an admin's gateway's, never a user's (always their own). */
export const shownOwner = (isAdmin: boolean, ownerId: string | undefined): string | undefined =>
  isAdmin ? ownerId : undefined;

/**
 * A gateway as a dialog or a message names it: "prod", or "prod of tenant-03" with the owner shown
 * to an admin (`shownOwner`), since names are free text and the same name may be every tenant's (a
 * delete confirmed by name must not confirm someone else's "prod").
 */
export function gatewayTitle(name: string, ownerId: string | undefined): string {
  return ownerId ? `${name} of ${ownerId}` : name;
}
