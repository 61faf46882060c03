/**
 * Gateway status: reading the gateway script's report, and the report as stored (bounded, because
 * a gateway may hold tens of thousands of peers).
 */
import { isWireGuardKey } from './key-format';
import { isResourceId } from './schemas';
import type {
  AppliedGeneration,
  AppliedPeerStatus,
  GatewayStatusReport,
  InstanceReport,
  PeerRuntimeStatus,
  PeerType,
} from './types';

/**
 * The most peers a stored report lists. The report is one DynamoDB item (400 KB at most, about
 * 3,000 peers); 1,000 peers keep it near 150 KB.
 */
export const STATUS_REPORT_MAX_PEERS = 1000;

const byRecentHandshake = (a: PeerRuntimeStatus, b: PeerRuntimeStatus): number =>
  b.latestHandshake - a.latestHandshake ||
  (a.publicKey < b.publicKey ? -1 : a.publicKey > b.publicKey ? 1 : 0);

/**
 * `report` with at most `maxPeers` peers: the most recently active first, and `peersOmitted` saying
 * how many were left out. A report within the bound is returned as it is.
 */
export function boundedStatusReport(
  report: GatewayStatusReport,
  maxPeers = STATUS_REPORT_MAX_PEERS,
): GatewayStatusReport {
  if (report.peers.length <= maxPeers) return report;
  const peers = [...report.peers].sort(byRecentHandshake).slice(0, maxPeers);
  return { ...report, peers, peersOmitted: report.peers.length - peers.length };
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A whole number from 0 to 2^53 - 1: what DynamoDB and Date take. */
const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/** A count as reported, anything else as 0. */
const count = (value: unknown): number => (isCount(value) ? value : 0);

/**
 * What one reported peer may carry (docs/SECURITY.md, "Reports"): each field in its own ASCII
 * grammar, as `wg show` prints it, so its characters are its bytes (DynamoDB counts UTF-8 bytes:
 * 44 characters of `中` are 132). A WireGuard key (44 characters, isWireGuardKey); at most
 * ALLOWED_IPS_PER_PEER IPv4 or IPv6 prefixes of at most 43 characters (39 for the address, as the
 * script's CIDR_RE in gateway/lib/apply-delta.sh); an endpoint `a.b.c.d:port` or `[IPv6]:port`
 * of at most 47. So STATUS_REPORT_MAX_PEERS peers stay under DynamoDB's 400 KB item whatever a
 * compromised instance prints (test/persistence/gateways.test.ts stores the worst case).
 */
const CIDR_TEXT = /^[0-9A-Fa-f:.]{1,39}\/[0-9]{1,3}$/;
const ENDPOINT_TEXT = /^(?:[0-9.]{7,15}|\[[0-9A-Fa-f:.]{2,39}\]):[0-9]{1,5}$/;
const ALLOWED_IPS_PER_PEER = 4;

/** `value` when it is a string of `grammar`, else null. */
const textOf = (value: unknown, grammar: RegExp): string | null =>
  typeof value === 'string' && grammar.test(value) ? value : null;

/**
 * Field by field: the report is the instance's output, never trusted to be free of extras nor to
 * stay within bounds. Undefined for a peer without a WireGuard key; a prefix or an endpoint outside
 * its grammar is left out, as if not reported.
 */
function peerStatus(peer: Record<string, unknown>): PeerRuntimeStatus | undefined {
  const { publicKey } = peer;
  if (!isWireGuardKey(publicKey)) return undefined;
  const allowedIps = Array.isArray(peer.allowedIps) ? peer.allowedIps : [];
  return {
    publicKey,
    allowedIps: allowedIps
      .map((cidr) => textOf(cidr, CIDR_TEXT))
      .filter((cidr): cidr is string => cidr !== null)
      .slice(0, ALLOWED_IPS_PER_PEER),
    endpoint: textOf(peer.endpoint, ENDPOINT_TEXT),
    latestHandshake: count(peer.latestHandshake),
    rxBytes: count(peer.rxBytes),
    txBytes: count(peer.txBytes),
  };
}

/**
 * The most peers one report may list: a peer holds an address of its gateway's tunnel subnet,
 * which is at most a /16 (core/address-rules.ts), so no honest report lists more.
 */
export const REPORT_MAX_PEERS = 2 ** 16;
/**
 * Bounds on a report's JSON, counted on the text before it is parsed (a compromised instance's 8
 * MiB of `{},` made 2.8 million objects, several times a Lambda's memory): objects and arrays (the
 * report and its peer list, then per peer its object and its allowedIps), and commas, which bound
 * the values (an honest peer takes 7: 5 between its six fields, 1 between its two prefixes, 1
 * before the next peer).
 */
const REPORT_MAX_CONTAINERS = 2 + 2 * REPORT_MAX_PEERS;
const REPORT_MAX_COMMAS = 16 + 16 * REPORT_MAX_PEERS;

/** Whether `text` opens no more objects and arrays, and holds no more commas, than a report may. */
function withinReportShape(text: string): boolean {
  let containers = 0;
  let commas = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 0x7b || code === 0x5b) containers += 1;
    else if (code === 0x2c) commas += 1;
  }
  return containers <= REPORT_MAX_CONTAINERS && commas <= REPORT_MAX_COMMAS;
}

/**
 * The report on the last line of the script's output; undefined when there is none or it is not
 * one (no gatewayId that is a resource id, no generation, peers that are not a list of objects,
 * more objects, arrays or commas than REPORT_MAX_PEERS peers make). The output is the instance's,
 * up to OUTPUT_READ_LIMIT_BYTES (adapters/ssm): nothing is split or parsed before it is bounded.
 */
export function parseInstanceReport(output: string): InstanceReport | undefined {
  const text = output.trimEnd();
  const lastLine = text.slice(text.lastIndexOf('\n') + 1);
  if (!withinReportShape(lastLine)) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(lastLine);
  } catch {
    return undefined;
  }
  // A gatewayId no gateway can have would reach DynamoDB as a key it refuses (over 2 KB).
  if (!isObject(parsed) || typeof parsed.gatewayId !== 'string' || !isResourceId(parsed.gatewayId)) {
    return undefined;
  }
  const { appliedGeneration, peers } = parsed;
  if (!isCount(appliedGeneration)) return undefined;
  if (peers !== undefined && !(Array.isArray(peers) && peers.every(isObject))) return undefined;
  return {
    gatewayId: parsed.gatewayId,
    appliedGeneration,
    mode: parsed.mode === 'wireguard' ? 'wireguard' : 'files',
    ...(peers
      ? { peers: peers.map(peerStatus).filter((peer): peer is PeerRuntimeStatus => peer !== undefined) }
      : {}),
    ...(parsed.skipped === 'stale' ? { skipped: 'stale' as const } : {}),
    ...(parsed.path === 'delta' || parsed.path === 'full' || parsed.path === 'teardown'
      ? { path: parsed.path }
      : {}),
    ...(typeof parsed.tornDown === 'boolean' ? { tornDown: parsed.tornDown } : {}),
    ...(isCount(parsed.now) ? { now: parsed.now } : {}),
  };
}

/**
 * When a report was made: the instance's own clock (`now`, epoch seconds) when it says one, since
 * a report may wait in the queue for up to a period before it is handled (docs/DECISIONS.md, "The
 * report command at fleet scale"); never later than `handledAt`, so no instance's word makes its
 * report look newer than it was. Without `now` (an older script), `handledAt`.
 */
export function reportTime(now: number | undefined, handledAt: Date): string {
  if (now === undefined) return handledAt.toISOString();
  return new Date(Math.min(now * 1000, handledAt.getTime())).toISOString();
}

/** WireGuard re-keys every 120 s, so an idle but healthy tunnel has a handshake within this window. */
export const ONLINE_WINDOW_SECONDS = 180;
/** Past its period a report is stale; this slack covers the time a report takes to come back. */
export const STALE_GRACE_SECONDS = 30;

/** A peer as the pushed document describes it (core/render.ts), without its secret names. */
export interface DocumentPeer {
  name: string;
  type: PeerType;
  publicKey: string;
  allowedIps: string[];
  endpoint: string | null;
}

/** The peers of a desired-state document (core/render.ts); undefined when the text is not one. */
export function documentPeers(document: string): DocumentPeer[] | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(document);
  } catch {
    return undefined;
  }
  if (!isObject(parsed) || !Array.isArray(parsed.peers)) return undefined;
  return parsed.peers.filter(isObject).map((peer) => ({
    name: String(peer.name),
    type: peer.type === 'road-warrior' ? 'road-warrior' : 'vpc-peering',
    publicKey: String(peer.publicKey),
    allowedIps: Array.isArray(peer.allowedIps) ? peer.allowedIps.map(String) : [],
    endpoint: typeof peer.endpoint === 'string' ? peer.endpoint : null,
  }));
}

/**
 * The generation the instance last said it holds: the newer word of a push (`applied`, APPLIED)
 * and of a live report, whichever generation that is. So a report of an older generation made
 * after the push shows (an instance that went back: docs/DECISIONS.md, "Status reports in the
 * instance's order and clock"), while a delta push applied after the last report shows at once. The
 * newer of the two at the same time: a push's full report and its APPLIED share one time.
 */
export function reportedGeneration(
  applied: Pick<AppliedGeneration, 'appliedGeneration' | 'appliedAt'> | undefined,
  report: Pick<GatewayStatusReport, 'appliedGeneration' | 'reportedAt'> | undefined,
): number {
  if (!applied || !report) return applied?.appliedGeneration ?? report?.appliedGeneration ?? 0;
  const order = Date.parse(report.reportedAt) - Date.parse(applied.appliedAt);
  if (order > 0) return report.appliedGeneration;
  if (order < 0) return applied.appliedGeneration;
  return Math.max(applied.appliedGeneration, report.appliedGeneration);
}

export interface ReportFreshness {
  /** Seconds since the last live report; null before the first one. */
  reportAgeSeconds: number | null;
  /** No report yet, or one older than its period (plus STALE_GRACE_SECONDS): its figures are not current. */
  stale: boolean;
}

export function reportFreshness(
  reportedAt: string | null,
  now: Date,
  periodSeconds: number,
): ReportFreshness {
  if (reportedAt === null) return { reportAgeSeconds: null, stale: true };
  const reportAgeSeconds = Math.max(0, Math.floor((now.getTime() - Date.parse(reportedAt)) / 1000));
  return { reportAgeSeconds, stale: reportAgeSeconds > periodSeconds + STALE_GRACE_SECONDS };
}

/** Past this, a handshake is later than the report that carries it: the instance's clock or its word is off. */
export const HANDSHAKE_CLOCK_SLACK_SECONDS = 60;

/** Null for 0 (never) and for what no Date can hold (a count is at most 2^53 - 1 seconds). */
const isoOfEpoch = (seconds: number): string | null => {
  const date = new Date(seconds * 1000);
  return seconds > 0 && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
};

/**
 * The peers `/status` lists: those of the applied generation's document (`applied`), each with the
 * live figures the last report holds for its public key. `online` is a handshake within
 * ONLINE_WINDOW_SECONDS of the report, and never from a stale report: of the instance's own `now`
 * when the report carries it (the handshakes' clock, whatever the skew or the time the report
 * waited to be handled), else of `reportedAt`. Without the document (`applied` undefined) the
 * report's own peers are listed, nameless.
 */
export function appliedPeerStatuses(
  applied: DocumentPeer[] | undefined,
  report: Pick<GatewayStatusReport, 'peers' | 'reportedAt' | 'instanceNow'> | undefined,
  stale: boolean,
): AppliedPeerStatus[] {
  const live = new Map((report?.peers ?? []).map((peer) => [peer.publicKey, peer]));
  const reportSeconds = report ? (report.instanceNow ?? Date.parse(report.reportedAt) / 1000) : 0;
  const withFigures = (
    peer: Omit<AppliedPeerStatus, 'latestHandshake' | 'online' | 'rxBytes' | 'txBytes'>,
  ) => {
    const figures = live.get(peer.publicKey);
    const handshake = figures?.latestHandshake ?? 0;
    return {
      ...peer,
      latestHandshake: isoOfEpoch(handshake),
      online:
        !stale &&
        handshake > 0 &&
        reportSeconds - handshake <= ONLINE_WINDOW_SECONDS &&
        handshake - reportSeconds <= HANDSHAKE_CLOCK_SLACK_SECONDS,
      rxBytes: figures?.rxBytes ?? 0,
      txBytes: figures?.txBytes ?? 0,
    };
  };
  if (applied) return applied.map(withFigures);
  return (report?.peers ?? []).map(({ publicKey, allowedIps, endpoint }) =>
    withFigures({ name: null, type: null, publicKey, allowedIps, endpoint }),
  );
}

/**
 * At most `maxPeers` of `peers` (appliedPeerStatuses), in their order: first those `reported` (the
 * stored report, which boundedStatusReport cut to the most recently active) holds figures for, then
 * the others. So past the bound `/status` lists the peers the report kept, never a name-ordered
 * slice whose peers the report left out and that would show as never seen.
 */
export function listedPeerStatuses(
  peers: AppliedPeerStatus[],
  reported: PeerRuntimeStatus[],
  maxPeers = STATUS_REPORT_MAX_PEERS,
): AppliedPeerStatus[] {
  if (peers.length <= maxPeers) return peers;
  const hasFigures = new Set(reported.map((peer) => peer.publicKey));
  const withFigures = peers.filter((peer) => hasFigures.has(peer.publicKey));
  const listed = new Set(
    [...withFigures, ...peers.filter((peer) => !hasFigures.has(peer.publicKey))].slice(0, maxPeers),
  );
  return peers.filter((peer) => listed.has(peer));
}
