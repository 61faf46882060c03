/** Reading the gateway script's report, and the bound on stored status reports (core/status.ts). */
import {
  appliedPeerStatuses,
  boundedStatusReport,
  type DocumentPeer,
  HANDSHAKE_CLOCK_SLACK_SECONDS,
  listedPeerStatuses,
  ONLINE_WINDOW_SECONDS,
  parseInstanceReport,
  REPORT_MAX_PEERS,
  STATUS_REPORT_MAX_PEERS,
} from '../../../lambdas/core/status';
import type { GatewayStatusReport } from '../../../lambdas/core/types';
import { LONGEST_CIDR, LONGEST_ENDPOINT, worstCasePeers } from '../../support/status-reports';

/** WireGuard keys (32 bytes of `n`), the only keys a report may carry. */
const key = (n: number) => Buffer.alloc(32, n).toString('base64');

/** A report of `count` peers; peer i last shook hands at time i (0: never). */
function reportOf(count: number): GatewayStatusReport {
  return {
    gatewayId: 'gw-a',
    appliedGeneration: 7,
    mode: 'wireguard',
    peers: Array.from({ length: count }, (_, i) => ({
      publicKey: `key-${String(i).padStart(5, '0')}`,
      allowedIps: [`100.64.0.${i % 250}/32`],
      endpoint: null,
      latestHandshake: i,
      rxBytes: i,
      txBytes: i,
    })),
    reportedAt: '2026-11-25T00:00:00.000Z',
  };
}

describe('boundedStatusReport', () => {
  it('returns a report within the bound as it is', () => {
    // Prepare
    const report = reportOf(3);

    // Act / Assess
    expect(boundedStatusReport(report, 3)).toBe(report);
  });

  it('keeps the most recently active peers and says how many it left out', () => {
    // Prepare
    const report = reportOf(10);

    // Act
    const bounded = boundedStatusReport(report, 4);

    // Assess
    expect(bounded.peers.map((peer) => peer.latestHandshake)).toEqual([9, 8, 7, 6]);
    expect(bounded.peersOmitted).toBe(6);
    expect({ ...bounded, peers: [], peersOmitted: undefined }).toEqual({ ...report, peers: [] });
  });

  it('orders peers that never shook hands by key, so the same report gives the same list', () => {
    // Prepare
    const report = reportOf(5);
    for (const peer of report.peers) peer.latestHandshake = 0;

    // Act
    const bounded = boundedStatusReport({ ...report, peers: [...report.peers].reverse() }, 2);

    // Assess
    expect(bounded.peers.map((peer) => peer.publicKey)).toEqual(['key-00000', 'key-00001']);
  });
});

describe('parseInstanceReport', () => {
  const peer = {
    publicKey: key(1),
    endpoint: '198.51.100.2:51820',
    allowedIps: ['10.1.0.0/16'],
    latestHandshake: 5,
    rxBytes: 6,
    txBytes: 7,
  };

  it('reads the last line of a full report, peer fields one by one', () => {
    // Prepare: a log line first, and a peer carrying a field it must not pass on.
    const report = {
      gatewayId: 'gw-a',
      appliedGeneration: 3,
      mode: 'wireguard',
      path: 'full',
      peers: [peer],
    };
    const output = `apply-config: applied\n${JSON.stringify({ ...report, peers: [{ ...peer, presharedKey: 'x' }] })}\n`;

    // Act / Assess
    expect(parseInstanceReport(output)).toEqual({
      gatewayId: 'gw-a',
      appliedGeneration: 3,
      mode: 'wireguard',
      path: 'full',
      peers: [peer],
    });
  });

  it('reads a delta report as one without peers, with the path the apply took', () => {
    // Prepare
    const output = JSON.stringify({
      gatewayId: 'gw-a',
      appliedGeneration: 4,
      mode: 'wireguard',
      path: 'delta',
    });

    // Act / Assess
    expect(parseInstanceReport(output)).toEqual({
      gatewayId: 'gw-a',
      appliedGeneration: 4,
      mode: 'wireguard',
      path: 'delta',
    });
  });

  it('keeps a stale skip and drops an apply path or skip it does not know', () => {
    // Prepare
    const stale = JSON.stringify({
      gatewayId: 'gw-a',
      appliedGeneration: 7,
      mode: 'files',
      skipped: 'stale',
    });
    const odd = JSON.stringify({
      gatewayId: 'gw-a',
      appliedGeneration: 7,
      mode: 'files',
      skipped: 'x',
      path: 'y',
    });

    // Act / Assess
    expect(parseInstanceReport(stale)).toEqual({
      gatewayId: 'gw-a',
      appliedGeneration: 7,
      mode: 'files',
      skipped: 'stale',
    });
    expect(parseInstanceReport(odd)).toEqual({ gatewayId: 'gw-a', appliedGeneration: 7, mode: 'files' });
  });

  it('counts what is not a number as 0 and a missing endpoint as null', () => {
    // Prepare
    const odd = { publicKey: key(2), allowedIps: 'none', latestHandshake: 'soon', rxBytes: null };
    const output = JSON.stringify({ gatewayId: 'gw-a', appliedGeneration: 1, mode: 'files', peers: [odd] });

    // Act / Assess
    expect(parseInstanceReport(output)?.peers).toEqual([
      { publicKey: key(2), allowedIps: [], endpoint: null, latestHandshake: 0, rxBytes: 0, txBytes: 0 },
    ]);
  });

  it.each([
    ['no output', ''],
    ['a last line that is not JSON', 'apply-config: applied'],
    ['no gateway', JSON.stringify({ gatewayId: null, appliedGeneration: 0, peers: [] })],
    [
      'a generation that is no integer',
      JSON.stringify({ gatewayId: 'gw-a', appliedGeneration: '3', peers: [] }),
    ],
    [
      'peers that are not objects',
      JSON.stringify({ gatewayId: 'gw-a', appliedGeneration: 3, peers: ['k1'] }),
    ],
    ['a list, not an object', '[1,2]'],
    ['a negative generation', JSON.stringify({ gatewayId: 'gw-a', appliedGeneration: -1 })],
    ['a generation past 2^53', JSON.stringify({ gatewayId: 'gw-a', appliedGeneration: 2 ** 60 })],
  ])('finds no report in %s', (_case, output) => {
    // Act / Assess
    expect(parseInstanceReport(output)).toBeUndefined();
  });
});

describe('parseInstanceReport, on what a compromised instance may print', () => {
  const report = (peers: unknown[]) =>
    parseInstanceReport(
      JSON.stringify({ gatewayId: 'gw-a', appliedGeneration: 1, mode: 'wireguard', peers }),
    );

  it('drops a peer without a WireGuard key', () => {
    // Prepare: too long, empty, no string, 44 characters of 3 bytes each, a non-canonical spelling.
    const peers = [
      { publicKey: 'k'.repeat(45) },
      { publicKey: '' },
      { publicKey: 7 },
      { publicKey: '中'.repeat(44) },
      { publicKey: `${'k'.repeat(42)}B=` },
      { publicKey: key(1) },
    ];

    // Act / Assess
    expect(report(peers)?.peers?.map((peer) => peer.publicKey)).toEqual([key(1)]);
  });

  it('bounds every field of a peer, so 1,000 of them always fit one stored item', () => {
    // Prepare
    const huge = {
      publicKey: key(1),
      endpoint: `198.51.100.1:${'9'.repeat(60)}`,
      allowedIps: ['10.0.0.0/8', 'x'.repeat(44), '10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16', '10.4.0.0/16'],
      latestHandshake: 2 ** 53,
      rxBytes: -5,
      txBytes: 2 ** 60,
    };

    // Act / Assess: too long is dropped, past four prefixes is cut, counts out of range are 0.
    expect(report([huge])?.peers).toEqual([
      {
        publicKey: key(1),
        endpoint: null,
        allowedIps: ['10.0.0.0/8', '10.1.0.0/16', '10.2.0.0/16', '10.3.0.0/16'],
        latestHandshake: 0,
        rxBytes: 0,
        txBytes: 0,
      },
    ]);
  });
});

describe('parseInstanceReport, on characters past ASCII (DynamoDB counts UTF-8 bytes)', () => {
  const report = (peers: unknown[]) =>
    parseInstanceReport(JSON.stringify({ gatewayId: 'gw-a', appliedGeneration: 1, mode: 'wireguard', peers }))
      ?.peers;

  it('keeps no prefix or endpoint of 3-byte characters, however few, so each field is as many bytes as characters', () => {
    // Prepare: within the character bounds, three times the bytes.
    const peer = {
      publicKey: key(1),
      allowedIps: ['中'.repeat(43), '１０.0.0.0/8', '10.0.0.0/8', '10.1.0.0/1中'],
      endpoint: '中'.repeat(47),
    };

    // Act
    const peers = report([peer, { ...peer, endpoint: '198.51.100.1:5182０' }]);

    // Assess
    expect(peers?.map(({ allowedIps, endpoint }) => ({ allowedIps, endpoint }))).toEqual([
      { allowedIps: ['10.0.0.0/8'], endpoint: null },
      { allowedIps: ['10.0.0.0/8'], endpoint: null },
    ]);
  });

  it('keeps the longest ASCII prefixes and endpoint, IPv4 and IPv6, as they are', () => {
    // Prepare
    const [worst] = worstCasePeers(1);
    const ipv4 = { publicKey: key(2), allowedIps: ['255.255.255.255/32'], endpoint: '255.255.255.255:65535' };

    // Act
    const peers = report([worst, ipv4]);

    // Assess
    expect(peers?.[0]).toMatchObject({
      allowedIps: Array(4).fill(LONGEST_CIDR),
      endpoint: LONGEST_ENDPOINT,
    });
    expect(peers?.[1]).toMatchObject(ipv4);
    expect(Buffer.byteLength(JSON.stringify(peers))).toBe(JSON.stringify(peers).length);
  });
});

describe('parseInstanceReport, on output as large as an instance may make it (8 MiB)', () => {
  const EIGHT_MIB = 8 * 1024 * 1024;
  const head = '{"gatewayId":"gw-a","appliedGeneration":1,"mode":"wireguard","peers":[';
  /** A report line of 8 MiB: `head`, `open`, then `unit` repeated, then `close`. */
  const filled = (open: string, unit: string, close: string) =>
    head +
    open +
    unit.repeat(Math.floor((EIGHT_MIB - head.length - open.length - close.length) / unit.length)) +
    close;

  it.each([
    // 2.8 million objects: 367 MB once parsed, past a 256 MB Lambda.
    ['empty peers', filled('', '{},', '{}]}')],
    // 4 million values in one peer's allowedIps.
    ['prefixes', filled('{"publicKey":"k","allowedIps":[', '1,', '1]}]}')],
  ])('finds no report in 8 MiB of %s, more than REPORT_MAX_PEERS peers make', (_case, output) => {
    // Act / Assess
    expect(parseInstanceReport(output)).toBeUndefined();
  });

  it('reads a report of REPORT_MAX_PEERS peers, each with two prefixes', () => {
    // Prepare
    const peer = `{"publicKey":"${key(1)}","endpoint":null,"allowedIps":["10.0.0.0/16","100.64.0.0/24"],"latestHandshake":1,"rxBytes":2,"txBytes":3}`;
    const output = `${head}${Array(REPORT_MAX_PEERS).fill(peer).join(',')}]}`;

    // Act / Assess
    expect(parseInstanceReport(output)?.peers).toHaveLength(REPORT_MAX_PEERS);
  });

  it('finds no report in one naming a gatewayId no gateway can have (DynamoDB refuses a key over 2 KB)', () => {
    // Prepare
    const output = JSON.stringify({ gatewayId: 'g'.repeat(3000), appliedGeneration: 0, peers: [] });

    // Act / Assess
    expect(parseInstanceReport(output)).toBeUndefined();
    expect(parseInstanceReport(output.replace('g'.repeat(3000), 'gw-a;'))).toBeUndefined();
  });
});

describe('appliedPeerStatuses', () => {
  const reportedAt = '2026-11-25T00:00:00.000Z';
  const reportSeconds = Date.parse(reportedAt) / 1000;
  const live = (latestHandshake: number) => ({
    peers: [{ publicKey: 'k1', allowedIps: [], endpoint: null, latestHandshake, rxBytes: 1, txBytes: 2 }],
    reportedAt,
  });

  it.each([
    ['a handshake within the window', true, reportSeconds - ONLINE_WINDOW_SECONDS],
    ['a handshake older than the window', false, reportSeconds - ONLINE_WINDOW_SECONDS - 1],
    [
      'a handshake a little after the report (clocks differ)',
      true,
      reportSeconds + HANDSHAKE_CLOCK_SLACK_SECONDS,
    ],
    ['a handshake far after the report', false, reportSeconds + HANDSHAKE_CLOCK_SLACK_SECONDS + 1],
  ])('with %s, says online: %s', (_case, online, handshake) => {
    // Act
    const [peer] = appliedPeerStatuses(undefined, live(handshake), false);

    // Assess
    expect(peer?.online).toBe(online);
  });

  it('shows a handshake no date can hold as none, rather than failing', () => {
    // Prepare: the largest count a report may carry, in seconds, is past what a Date holds.
    const handshake = Number.MAX_SAFE_INTEGER;

    // Act
    const [peer] = appliedPeerStatuses(undefined, live(handshake), false);

    // Assess
    expect(peer).toMatchObject({ latestHandshake: null, online: false });
  });
});

describe('listedPeerStatuses', () => {
  const reportedAt = '2026-11-25T00:05:00.000Z';
  const reportSeconds = Date.parse(reportedAt) / 1000;
  /** `count` peers as the applied document lists them: in name order (core/render.ts). */
  const documentOf = (count: number): DocumentPeer[] =>
    Array.from({ length: count }, (_, i) => ({
      name: `rw-${String(i).padStart(5, '0')}`,
      type: 'road-warrior',
      publicKey: `key-${String(i).padStart(5, '0')}`,
      allowedIps: [`100.64.${i >> 8}.${i & 255}/32`],
      endpoint: null,
    }));
  /** A report of `peers`, peer i having last shook hands `secondsAgo(i)` before it. */
  const reportOf = (peers: DocumentPeer[], secondsAgo: (i: number) => number): GatewayStatusReport => ({
    gatewayId: 'gw-hub',
    appliedGeneration: 9,
    mode: 'wireguard',
    reportedAt,
    peers: peers.map((peer, i) => ({
      publicKey: peer.publicKey,
      allowedIps: peer.allowedIps,
      endpoint: '198.51.100.7:51820',
      latestHandshake: reportSeconds - secondsAgo(i),
      rxBytes: 1,
      txBytes: 1,
    })),
  });

  it('past the bound lists the peers the stored report kept, in document order, all with their figures', () => {
    // Prepare: 1,500 peers, all online (handshakes within 150 s, in no order by name), stored bounded.
    const applied = documentOf(1500);
    const stored = boundedStatusReport(reportOf(applied, (i) => (i * 7919) % 150));
    const peers = appliedPeerStatuses(applied, stored, false);

    // Act
    const listed = listedPeerStatuses(peers, stored.peers);

    // Assess
    expect(listed).toHaveLength(STATUS_REPORT_MAX_PEERS);
    expect(listed.filter((peer) => !peer.online)).toEqual([]);
    expect(new Set(listed.map((peer) => peer.publicKey))).toEqual(
      new Set(stored.peers.map((peer) => peer.publicKey)),
    );
    const names = listed.map((peer) => peer.name ?? '');
    expect(names).toEqual([...names].sort());
  });

  it('fills the room the report leaves with the other peers, in document order', () => {
    // Prepare: five peers; the report holds two of them (it was cut, or they are new).
    const applied = documentOf(5);
    const report = reportOf(applied, () => 10);
    report.peers = [report.peers[4], report.peers[1]].filter((peer) => peer !== undefined);
    const peers = appliedPeerStatuses(applied, report, false);

    // Act
    const listed = listedPeerStatuses(peers, report.peers, 3);

    // Assess
    expect(listed.map((peer) => [peer.name, peer.online])).toEqual([
      ['rw-00000', false],
      ['rw-00001', true],
      ['rw-00004', true],
    ]);
  });
});
