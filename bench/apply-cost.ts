/**
 * Section 4, on real WireGuard (Linux, root, wireguard-go; skipped with the reason otherwise):
 * - per-change apply cost, for each kind of change: a gateway host holding N peers of that kind
 *   (N = 1, 100, 1000) gets one more through the real gateway script (LocalHosts.apply of a whole
 *   rendered state), timed against a bare `wg set wg0 peer <key> allowed-ips <ip>/32` in the same
 *   namespace and run, the two taken in turn (a bare set, then a change). Kinds: a road-warrior
 *   (only `wg set`), and a VPC peering (a preshared key and two prefixes, so the document's `routes`
 *   and `nftables` change too: the delta path also adds two elements to the ruleset's set and runs
 *   `ip -batch`, what each side of every peering create and delete costs). Goal: flat in N and at most 3× the bare wg set.
 * - time from the create call to the first ping across the tunnel, on the embedded runtime with
 *   WireGuard hosts.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileConfigStore } from '../lambdas/adapters/local/file-config-store';
import { FileSecretStore } from '../lambdas/adapters/local/file-secret-store';
import { generatePresharedKey } from '../lambdas/core/key-format';
import { generateKeyPair } from '../lambdas/core/keys';
import { renderGatewayState, serialiseState } from '../lambdas/core/render';
import type { GatewayRecord, PeerRecord } from '../lambdas/core/types';
import { LocalHosts, missingForWireguard, parseReport } from '../runtime/hosts';
import { benchGateway, roadWarrior, vpcPeering } from './apply-cost-peers';
import {
  type BenchRuntime,
  type Metric,
  median,
  ratioOf,
  registerGateways,
  round,
  type SectionResult,
  startBenchRuntime,
  timed,
  WAIT_NOTE,
} from './harness';

const PEER_COUNTS = [1, 100, 1000];
/** What one timed change adds, with the N peers the gateway already holds being of the same kind. */
const CHANGE_KINDS = ['road-warrior', 'vpc-peering'] as const;
type ChangeKind = (typeof CHANGE_KINDS)[number];
/**
 * Between two echo requests of the first-ping probe: the figure's resolution. One `ping` sends
 * every 10 ms (root may go below 0.2 s) and exits at the first reply.
 */
const PING_INTERVAL_S = '0.01';
/** Changes timed per peer count (each adds one peer), and as many bare `wg set`s. */
const CHANGES = 15;
const PING_PAIRS = 3;
const PING_BOUND_S = 30;

export async function benchApplyCost(): Promise<SectionResult> {
  const missing = missingForWireguard();
  if (missing.length > 0) {
    return { metrics: [], skipped: `real WireGuard hosts need: ${missing.join(', ')}` };
  }
  const apply = await applyCostByPeerCount();
  // A failed ping probe (e.g. a create slower than its bound on a loaded machine) must not hide the apply rows.
  const ping = await timeToFirstPing().catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    return {
      metrics: [
        { metric: 'create call → first ping across the tunnel', value: `FAILED: ${message.slice(0, 90)}` },
      ],
      notes: [],
      details: { error: message },
    };
  });
  return {
    metrics: [...apply.metrics, ...ping.metrics],
    notes: [
      'apply = gateway/apply-config.sh on a whole rendered state (the delta path after the first apply: flock, ' +
        'one awk pass diffing the published document and writing it in place, piped to sha256sum beside it, one wg set, applied.json and delta.base by builtins, a report ' +
        'without peers); both timed through `ip netns exec` with the /run/wireguard bind mount',
      'vpc-peering rows: the gateway holds N peerings (each a preshared key, a /20 VPC and a /24 tunnel subnet, no endpoint) ' +
        "and gets one more, so the delta path also adds its two prefixes to the ruleset's named set (`add element`, one `nft -f`) and adds two routes",
      ...ping.notes,
    ],
    details: { apply: apply.details, ping: ping.details },
  };
}

async function applyCostByPeerCount() {
  const dir = await mkdtemp(join(tmpdir(), 'bench-apply-'));
  const hosts = new LocalHosts({ dataDir: dir, secretsDir: join(dir, 'secrets'), mode: 'wireguard' });
  try {
    const secrets = new FileSecretStore(join(dir, 'secrets'));
    const configStore = new FileConfigStore(join(dir, 'config'));
    const metrics: Metric[] = [];
    const details: Record<string, unknown> = {};
    for (const [kindIndex, kind] of CHANGE_KINDS.entries()) {
      for (const [countIndex, count] of PEER_COUNTS.entries()) {
        const gateway = benchGateway(kindIndex * PEER_COUNTS.length + countIndex);
        try {
          const measured = await measureChanges(hosts, secrets, configStore, gateway, kind, count);
          metrics.push(...measured.metrics);
          details[`${kind}${count}`] = measured.details;
        } catch (error) {
          // One peer count failing (e.g. the script's limits) must not hide the others.
          const message = error instanceof Error ? error.message : String(error);
          metrics.push({ metric: changeLabel(kind, count), value: `FAILED: ${message.slice(0, 90)}` });
          details[`${kind}${count}`] = { error: message };
        } finally {
          await hosts.destroyHost(gateway.instanceId);
        }
      }
    }
    return { metrics, details };
  } finally {
    await hosts.teardown();
    await rm(dir, { recursive: true, force: true });
  }
}

async function measureChanges(
  hosts: LocalHosts,
  secrets: FileSecretStore,
  configStore: FileConfigStore,
  gateway: GatewayRecord,
  kind: ChangeKind,
  count: number,
): Promise<{ metrics: Metric[]; details: Record<string, unknown> }> {
  await secrets.putIfAbsent(gateway.privateKeyParam as string, generateKeyPair().privateKey);
  await hosts.ensureHost(gateway);
  const namespace = hosts.hostInfo(gateway.instanceId)?.gatewayNamespace as string;
  // Each peering's preshared key is stored before its peer is rendered, as Allocate does.
  const newPeer = async (i: number): Promise<PeerRecord> => {
    if (kind === 'road-warrior') return roadWarrior(gateway.id, i);
    const peer = vpcPeering(gateway.id, i);
    await secrets.putIfAbsent(peer.presharedKeyParam as string, generatePresharedKey());
    return peer;
  };
  const peers: PeerRecord[] = [];
  for (let i = 0; i < count; i++) peers.push(await newPeer(i));
  let generation = 1;
  // Only the gateway's side is timed: rendering and storing the document is the control plane's.
  const applyState = async (): Promise<{ ms: number; path: unknown }> => {
    const document = serialiseState(renderGatewayState(gateway, peers, generation));
    const published = await configStore.put(
      { gatewayId: gateway.id, instanceId: gateway.instanceId },
      generation,
      document,
    );
    const { ms, result } = await timed(() =>
      hosts.apply(gateway.instanceId, {
        gatewayId: gateway.id,
        generation,
        stateUri: published.uri,
        stateSha256: published.sha256,
      }),
    );
    if (result.exitCode !== 0)
      throw new Error(`apply of ${peers.length} peers failed: ${result.stderr.trim()}`);
    generation++;
    return { ms, path: parseReport(result.stdout).path };
  };
  const initial = await applyState();
  // A bare wg set (timed, then its peer removed untimed) before each change: the two figures are
  // taken side by side, so a drift of the machine's load moves both alike.
  const bareWgSet = async (i: number): Promise<number> => {
    // Past the document's last peer (count + CHANGES of them), so no address is ever both.
    const extra = roadWarrior(gateway.id, count + CHANGES + i);
    const set = ['wg', 'set', 'wg0', 'peer', extra.publicKey];
    const { ms, result } = await timed(() =>
      hosts.exec(namespace, [...set, 'allowed-ips', `${extra.tunnelIp}/32`]),
    );
    if (result.exitCode !== 0) throw new Error(`wg set failed: ${result.stderr.trim()}`);
    const removed = await hosts.exec(namespace, [...set, 'remove']);
    if (removed.exitCode !== 0) throw new Error(`wg set … remove failed: ${removed.stderr.trim()}`);
    return ms;
  };
  // A peering change makes three kernel changes where a road-warrior's makes one: its floor is
  // the same three by hand (bareCommands), timed beside it as the bare wg set is.
  const bareCommands =
    kind === 'vpc-peering' ? bareVpcPeeringChange(hosts, namespace, gateway.id, count) : undefined;
  const changes: number[] = [];
  const bare: number[] = [];
  const floor: number[] = [];
  const paths = new Set<unknown>();
  for (let i = 0; i < CHANGES; i++) {
    bare.push(await bareWgSet(i));
    if (bareCommands) floor.push(await bareCommands(i));
    peers.push(await newPeer(peers.length));
    const change = await applyState();
    changes.push(change.ms);
    paths.add(change.path);
  }
  const value = round(median(changes));
  const against = (baseline: number[], what: string, goal: string): Metric => ({
    metric: `${changeLabel(kind, count)} (median) vs ${what}`,
    value,
    unit: 'ms',
    baseline: round(median(baseline)),
    ratio: ratioOf(value, round(median(baseline))),
    goal,
    lowerIsBetter: true,
  });
  const GOAL = 'flat in N, ratio ≤ 3';
  return {
    metrics: bareCommands
      ? [
          against(bare, 'bare wg set', 'flat in N (one kernel change against three: for reference)'),
          against(floor, 'the same change by bare commands', GOAL),
        ]
      : [against(bare, 'bare wg set', GOAL)],
    details: {
      initialApplyMs: round(initial.ms),
      changePaths: [...paths],
      changeMs: changes.map(round),
      bareWgSetMs: bare.map(round),
      ...(bareCommands ? { bareCommandsMs: floor.map(round) } : {}),
      pairedRatioMedian: round(median(changes.map((ms, i) => ms / (bare[i] as number)))),
    },
  };
}

/**
 * What a VPC-peering change makes the kernel do, by hand and nothing else, in one shell in the
 * gateway's namespace: `wg set` of a peer with its preshared key (from a pipe, as the script
 * passes it), `nft add element` of its two prefixes to the set `peered`, and one `ip -batch` of
 * their two routes. Timed, then undone untimed. The peer is numbered past the document's last
 * (count + CHANGES of them) so none of its prefixes is ever in the document. The key is drawn by
 * bash itself: a bench key on no command line, protecting nothing.
 */
function bareVpcPeeringChange(hosts: LocalHosts, namespace: string, gatewayId: string, count: number) {
  const change = [
    'set -e',
    "alphabet=ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/; last=AEIMQUYcgkosw480; psk=''",
    // biome-ignore lint/suspicious/noTemplateCurlyInString: bash, not a template
    'for _ in {1..42}; do psk+=${alphabet:RANDOM%64:1}; done; psk+=${last:RANDOM%16:1}=',
    'wg set wg0 peer "$1" allowed-ips "$2,$3" preshared-key /dev/fd/3 3< <(printf \'%s\\n\' "$psk")',
    'nft add element inet vpc_peering peered "{ $2, $3 }"',
    'ip -batch - <<<"route replace $2 dev wg0 proto static"$\'\\n\'"route replace $3 dev wg0 proto static"',
  ].join('\n');
  const undo = [
    'set -e',
    'wg set wg0 peer "$1" remove',
    'nft delete element inet vpc_peering peered "{ $2, $3 }"',
    'ip -batch - <<<"route del $2 dev wg0 proto static"$\'\\n\'"route del $3 dev wg0 proto static"',
  ].join('\n');
  return async (i: number): Promise<number> => {
    const peer = vpcPeering(gatewayId, count + CHANGES + i);
    const args = ['_', peer.publicKey, ...peer.allowedIps];
    const { ms, result } = await timed(() => hosts.exec(namespace, ['bash', '-c', change, ...args]));
    if (result.exitCode !== 0) throw new Error(`bare peering change failed: ${result.stderr.trim()}`);
    const undone = await hosts.exec(namespace, ['bash', '-c', undo, ...args]);
    if (undone.exitCode !== 0) throw new Error(`bare peering undo failed: ${undone.stderr.trim()}`);
    return ms;
  };
}

async function timeToFirstPing() {
  const bench = await startBenchRuntime('wireguard');
  try {
    const { repository } = await import('../lambdas/adapters/dynamodb');
    const ids = await registerGateways(bench.admin, 'p', 2 * PING_PAIRS);
    const samples: { createMs: number; createStatus: number; firstPingMs: number; pings: number }[] = [];
    for (let i = 0; i < PING_PAIRS; i++) {
      const [a, b] = [ids[2 * i] as string, ids[2 * i + 1] as string];
      // Hosts exist before the clock starts: the figure is the peering's, not namespace creation's.
      for (const id of [a, b]) {
        const record = await repository().getGateway(id);
        if (record) await bench.runtime.hosts.ensureHost(record);
      }
      samples.push(await createThenPing(bench, a, b));
    }
    const firstPing = median(samples.map((s) => s.firstPingMs));
    const create = median(samples.map((s) => s.createMs));
    return {
      metrics: [
        {
          metric: 'create call → API answer (WireGuard hosts, median)',
          value: round(create),
          unit: 'ms',
          lowerIsBetter: true,
        },
        {
          metric: 'create call → first ping across the tunnel (median)',
          value: round(firstPing),
          unit: 'ms',
          lowerIsBetter: true,
        },
      ],
      notes: [
        `ping: instance A → instance B, one ping -c 1 -i ${PING_INTERVAL_S} -w ${PING_BOUND_S} started with the create call (an echo request every ${Number(PING_INTERVAL_S) * 1000} ms until the first reply: the figure's resolution); ${PING_PAIRS} pairs; embedded runtime, hostMode wireguard`,
        WAIT_NOTE,
      ],
      details: samples.map((s) => ({
        createStatus: s.createStatus,
        createMs: round(s.createMs),
        firstPingMs: round(s.firstPingMs),
        pings: s.pings,
      })),
    };
  } finally {
    await bench.stop();
  }
}

async function createThenPing(bench: BenchRuntime, a: string, b: string) {
  const from = bench.runtime.hosts.hostInfo(`i-${a}`);
  const to = bench.runtime.hosts.hostInfo(`i-${b}`);
  if (!from?.instanceNamespace || !to?.instanceIp) throw new Error(`no WireGuard hosts for ${a}/${b}`);
  const started = performance.now();
  // -c 1 with a deadline: requests every interval until one reply comes back.
  const pinging = bench.runtime.hosts
    .exec(from.instanceNamespace, [
      'ping',
      '-c',
      '1',
      '-i',
      PING_INTERVAL_S,
      '-w',
      String(PING_BOUND_S),
      to.instanceIp,
    ])
    .then((result) => {
      if (result.exitCode !== 0) throw new Error(`no ping from ${a} to ${b} within ${PING_BOUND_S} s`);
      const sent = /(\d+) packets transmitted/.exec(result.stdout)?.[1];
      return { firstPingMs: performance.now() - started, pings: Number(sent) };
    });
  // 202: the API's wait window passed before the peering settled (a loaded machine); the ping still counts.
  const created = await bench.admin.call('POST', `/v1/gateways/${a}/vpc-peerings`, { remoteGatewayId: b });
  if (created.status !== 201 && created.status !== 202) {
    throw new Error(`create ${a} → ${b}: ${created.status} ${JSON.stringify(created.body)}`);
  }
  const createMs = performance.now() - started;
  return { createMs, createStatus: created.status, ...(await pinging) };
}

/** The row's label (and its key in the regression check). */
const changeLabel = (kind: ChangeKind, count: number): string =>
  kind === 'road-warrior'
    ? `apply +1 road-warrior peer at ${count} peers`
    : `apply +1 vpc-peering at ${count} peerings`;
