/**
 * The gateway script's delta path on real WireGuard: a change is applied as that change (one
 * `wg set`, route and ruleset diffs) when the interface still holds the last applied document, and
 * the result is exactly what the full path (`wg syncconf` + reconciliation) makes of the same
 * document. A delta's report names no peers (`--report` has the live ones), and what a delta writes
 * in place is never trusted after a crash. Needs Linux, root and wireguard-go: when something is
 * missing the suite fails and says what.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GatewayDesiredState, serialiseState } from '../../lambdas/core/render';
import { parseReport } from '../../runtime/hosts';
import {
  type DocPeer,
  desiredState,
  GATEWAY_A,
  genKeyPair,
  genPsk,
  outputInGateway,
  peeringPskParam,
  publish,
  rebootWireguardHost,
  removeWireguardHost,
  SCRIPT,
  startWireguardHost,
  type WireguardHost,
  writeSecret,
} from '../support/gateway-script';

const gateway = GATEWAY_A;
/**
 * A line of the grammar render.ts writes (the hub's wg-to-wg rule; the script refuses any other),
 * and how `nft list` prints it once the interface variables are bound.
 */
const EXTRA_RULE = 'iifname $wg_if oifname $wg_if ip saddr 100.64.0.0/24 ip daddr 192.0.2.0/24 accept';
const EXTRA_RULE_LISTED = 'iifname "wg0" oifname "wg0" ip saddr 100.64.0.0/24 ip daddr 192.0.2.0/24 accept';
const withExtraRule = (ruleset: string) =>
  ruleset.replace(
    'ct state established,related accept',
    `ct state established,related accept\n    ${EXTRA_RULE}`,
  );

describe('apply-config.sh delta path (real WireGuard)', () => {
  const prefix = `vpcd${randomBytes(3).toString('hex')}`;
  let wg: WireguardHost;
  let generation = 0;

  /** A vpc-peering-style peer with its own preshared key in the secret store. */
  const peer = (name: string, allowedIps: string[], endpoint: string | null): DocPeer => {
    const presharedKeyParam = peeringPskParam(name);
    writeSecret(wg.secretsDir, presharedKeyParam, genPsk());
    return { name, publicKey: genKeyPair().publicKey, presharedKeyParam, allowedIps, endpoint };
  };

  /** A peer without a preshared key (no secret to write: hundreds are cheap); any 32 bytes are a key. */
  const roadWarrior = (i: number): DocPeer => ({
    name: `rw-${i}`,
    publicKey: randomBytes(32).toString('base64'),
    presharedKeyParam: null,
    allowedIps: [`172.30.${Math.floor(i / 250)}.${(i % 250) + 1}/32`],
    endpoint: null,
  });

  /** Applies a state (next generation); `layout: compact` forces the full path. */
  const apply = async (
    peers: DocPeer[],
    edit: (state: GatewayDesiredState) => void = () => {},
    layout: 'canonical' | 'compact' = 'canonical',
  ) => {
    generation += 1;
    const state = desiredState(gateway, generation, peers);
    edit(state);
    return push(layout === 'canonical' ? serialiseState(state) : JSON.stringify(state));
  };

  /** Publishes `document` as the current generation and pushes it, naming `stateSha256` if given. */
  const push = async (document: string, stateSha256?: string) => {
    const published = publish(wg.root, gateway.id, generation, document);
    const result = await wg.hosts.apply(gateway.instanceId, {
      gatewayId: gateway.id,
      generation,
      ...published,
      stateSha256: stateSha256 ?? published.stateSha256,
    });
    return { ...result, document, path: result.exitCode === 0 ? parseReport(result.stdout).path : undefined };
  };

  /** A file of the gateway host's state directory. */
  const stateFile = (name: string) => join(wg.hosts.hostInfo(gateway.instanceId)?.stateDir ?? '', name);

  const inGateway = (argv: string[]) => outputInGateway(wg, argv);

  /** What the kernel and the interface hold, without the session counters (they move on their own). */
  const configured = async () => ({
    peers: (await inGateway(['wg', 'show', 'wg0', 'dump']))
      .trim()
      .split('\n')
      .slice(1)
      .map((line) => {
        const [publicKey, psk, endpoint, allowedIps, , , , keepalive] = line.split('\t');
        return { publicKey, psk, endpoint, allowedIps, keepalive };
      })
      .sort((a, b) => String(a.publicKey).localeCompare(String(b.publicKey))),
    routes: (await inGateway(['ip', 'route', 'show', 'dev', 'wg0', 'proto', 'static'])).split('\n').sort(),
    ruleset: await inGateway(['nft', 'list', 'table', 'inet', 'vpc_peering']),
  });

  beforeAll(async () => {
    wg = await startWireguardHost(gateway, 'delta', prefix);
  });

  afterAll(() => removeWireguardHost(wg));

  it('takes the full path first, then applies adds, updates, removals, routes and ruleset as deltas', async () => {
    // Prepare
    const east = peer('vpc-peering-east', ['172.16.0.0/16', '100.64.1.0/24'], '198.51.100.2:51820');
    const west = peer('vpc-peering-west', ['172.17.0.0/16', '100.64.2.0/24'], '198.51.100.3:51820');
    const north = peer('vpc-peering-north', ['172.18.0.0/16'], '198.51.100.4:51820');
    const first = await apply([east, west]);

    // Act: add north; move west's endpoint and widen its prefixes; drop east; a new ruleset.
    const added = await apply([east, west, north]);
    const movedWest = {
      ...west,
      endpoint: '198.51.100.33:51821',
      allowedIps: [...west.allowedIps, '172.19.0.0/16'],
    };
    const updated = await apply([east, movedWest, north], (state) => {
      state.nftables = withExtraRule(state.nftables);
    });
    const removed = await apply([movedWest, north], (state) => {
      state.nftables = withExtraRule(state.nftables);
    });

    // Assess: each change took the delta path, and the result is what the full path makes of it.
    expect([first.path, added.path, updated.path, removed.path]).toEqual(['full', 'delta', 'delta', 'delta']);
    for (const result of [added, updated, removed]) expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    const viaDeltas = await configured();
    expect(viaDeltas.peers.map((p) => p.publicKey).sort()).toEqual(
      [movedWest.publicKey, north.publicKey].sort(),
    );
    expect(viaDeltas.peers.find((p) => p.publicKey === movedWest.publicKey)).toMatchObject({
      endpoint: '198.51.100.33:51821',
      allowedIps: movedWest.allowedIps.join(','),
      keepalive: '25',
    });
    expect(viaDeltas.ruleset).toContain(EXTRA_RULE_LISTED);
    const full = await apply(
      [movedWest, north],
      (state) => {
        state.nftables = withExtraRule(state.nftables);
      },
      'compact',
    );
    expect(full.path).toBe('full');
    expect(await configured()).toEqual(viaDeltas);
  });

  it('leaves the delta path for what wg set cannot express, and for non-canonical documents', async () => {
    // Prepare
    const south = peer('vpc-peering-south', ['172.20.0.0/16'], '198.51.100.5:51820');
    await apply([south]);

    // Act
    const compact = await apply([south], () => {}, 'compact');
    const afterCompact = await apply([south]);
    const endpointCleared = await apply([{ ...south, endpoint: null }]);
    const portChanged = await apply([{ ...south, endpoint: null }], (state) => {
      state.interface.listenPort = 51999;
    });

    // Assess: the full path ran, and a canonical document after it is a delta base again.
    expect([compact.path, afterCompact.path, endpointCleared.path, portChanged.path]).toEqual([
      'full',
      'full',
      'full',
      'full',
    ]);
    expect(await inGateway(['wg', 'show', 'wg0', 'listen-port'])).toBe('51999\n');
    expect(
      (
        await apply([{ ...south, endpoint: null }], (state) => {
          state.interface.listenPort = 51999;
        })
      ).path,
    ).toBe('delta');
  });

  it('forgets its base when a delta is refused, so the next change reconciles in full', async () => {
    // Prepare
    const kept = peer('vpc-peering-kept', ['172.21.0.0/16'], '198.51.100.6:51820');
    await apply([kept]);
    const orphan: DocPeer = { ...peer('vpc-peering-orphan', ['172.22.0.0/16'], null) };
    rmSync(join(wg.secretsDir, orphan.presharedKeyParam ?? ''));

    // Act
    const refused = await apply([kept, orphan]);
    const next = await apply([kept]);

    // Assess
    expect(refused.exitCode).toBe(1);
    expect(refused.stderr).toBe(`apply-config: secret not found: ${orphan.presharedKeyParam}\n`);
    expect(next).toMatchObject({ exitCode: 0, path: 'full' });
    expect((await configured()).peers.map((p) => p.publicKey)).toEqual([kept.publicKey]);
  });

  it('a reboot after a refused delta restores the last applied document, not the refused one', async () => {
    // Prepare: a delta refused after its awk pass wrote the new document (its secret is missing).
    const kept = peer('vpc-peering-survivor', ['172.25.0.0/16'], '198.51.100.9:51820');
    await apply([kept]);
    const lastApplied = readFileSync(stateFile('state.json'), 'utf8');
    const orphan: DocPeer = { ...peer('vpc-peering-unresolved', ['172.26.0.0/16'], null) };
    rmSync(join(wg.secretsDir, orphan.presharedKeyParam ?? ''));
    const refused = await apply([kept, orphan]);

    // Act
    wg = await rebootWireguardHost(wg, gateway, prefix);

    // Assess: the interface holds the last applied document, which is state.json again.
    expect(refused.exitCode).toBe(1);
    expect((await configured()).peers.map((p) => p.publicKey)).toEqual([kept.publicKey]);
    expect(readFileSync(stateFile('state.json'), 'utf8')).toBe(lastApplied);
    expect(await wg.hosts.report(gateway.instanceId)).toMatchObject({ appliedGeneration: generation - 1 });
    expect((await apply([kept])).path).toBe('delta');
  });

  it('refuses a document whose copy has another digest, and keeps the last applied one everywhere', async () => {
    // Prepare: a delta base, then a change whose command names another digest: a document swapped
    // in the bucket, whose header claims the applied generation. The delta's awk pass has written it
    // over state.json before the hash says so.
    const kept = peer('vpc-peering-digest-kept', ['172.28.0.0/16'], '198.51.100.11:51820');
    await apply([kept]);
    const lastApplied = readFileSync(stateFile('state.json'), 'utf8');
    generation += 1;
    const swapped = serialiseState(desiredState(gateway, generation - 1, [kept, roadWarrior(1)]));

    // Act
    const refused = await push(swapped, '0'.repeat(64));
    const report = await wg.hosts.report(gateway.instanceId);
    wg = await rebootWireguardHost(wg, gateway, prefix);

    // Assess: refused by the full path's own check; nothing of it reached the interface, the report
    // or the reboot, and the next change is a delta again.
    expect(refused).toMatchObject({
      exitCode: 1,
      stderr: 'apply-config: refused: state document digest mismatch\n',
    });
    expect(report).toMatchObject({ appliedGeneration: generation - 1 });
    expect((await configured()).peers.map((p) => p.publicKey)).toEqual([kept.publicKey]);
    expect(readFileSync(stateFile('state.json'), 'utf8')).toBe(lastApplied);
    expect((await apply([kept])).path).toBe('delta');
  });

  it('applies a document its awk copy cannot reproduce (no last newline) through the full path', async () => {
    // Prepare
    const kept = peer('vpc-peering-newline', ['172.29.0.0/16'], '198.51.100.12:51820');
    await apply([kept]);
    generation += 1;
    const document = serialiseState(desiredState(gateway, generation, [kept, roadWarrior(2)])).trimEnd();

    // Act
    const applied = await push(document);

    // Assess
    expect(applied).toMatchObject({ exitCode: 0, stderr: '', path: 'full' });
    expect((await configured()).peers).toHaveLength(2);
  });

  /**
   * `--teardown` as the SSM document runs it on AWS: no VPG_WG_IF, so the interface is the one the
   * applied document names; then what is left on wg0.
   */
  const teardownAsOnAws = async () => {
    const result = await wg.inGateway([
      ...['env', '-u', 'VPG_WG_IF', 'VPG_MODE=wireguard', `VPG_STATE_DIR=${stateFile('')}`],
      ...['VPG_VPC_IF=vpc', 'VPG_WAN_IF=inet', `VPG_ENV_FILE=${join(wg.root, 'none.env')}`],
      ...['bash', SCRIPT, '--teardown', '--gateway-id', gateway.id, '--generation', String(generation)],
    ]);
    const left = {
      peers: await inGateway(['wg', 'show', 'wg0', 'peers']),
      routes: await inGateway(['ip', 'route', 'show', 'dev', 'wg0', 'proto', 'static']),
      privateKey: (await inGateway(['wg', 'show', 'wg0', 'private-key'])).trim(),
    };
    return { result, left };
  };

  it('a teardown after a refused delta tears down what was applied, not what was refused', async () => {
    // Prepare: a swapped document (another digest) that names another interface, written over
    // state.json by the delta's awk pass before the digest refused it.
    const kept = peer('vpc-peering-teardown-swapped', ['172.28.0.0/16'], '198.51.100.11:51820');
    await apply([kept]);
    generation += 1;
    const swapped = desiredState(gateway, generation - 1, [kept]);
    (swapped.interface as { name: string }).name = 'wg9';
    const refused = await push(serialiseState(swapped), '0'.repeat(64));

    // Act
    const { result, left } = await teardownAsOnAws();

    // Assess: a deleted gateway leaves nothing working on its instance.
    expect(refused.exitCode).toBe(1);
    expect(result.exitCode).toBe(0);
    expect(parseReport(result.stdout)).toMatchObject({ tornDown: true });
    expect(left).toEqual({ peers: '', routes: '', privateKey: '(none)' });
  });

  it('a teardown after a crash inside the awk pass removes the private key the control plane gave', async () => {
    // Prepare: what SIGKILL while awk wrote state.json leaves: no base, the previous document
    // whole, state.json torn.
    const kept = peer('vpc-peering-teardown-torn', ['172.28.0.0/16'], '198.51.100.11:51820');
    await apply([kept]);
    await apply([kept, roadWarrior(7)]);
    const whole = readFileSync(stateFile('state.json'), 'utf8');
    writeFileSync(stateFile('state.previous.json'), whole);
    writeFileSync(stateFile('delta.base'), '');
    writeFileSync(stateFile('state.json'), whole.slice(0, 60));

    // Act
    const { result, left } = await teardownAsOnAws();

    // Assess
    expect(result.exitCode).toBe(0);
    expect(left).toEqual({ peers: '', routes: '', privateKey: '(none)' });
  });

  it('a reboot after a crash that tore applied.json restores, and reports work again', async () => {
    // Prepare: a delta, then a crash that leaves a torn applied.json behind.
    const kept = peer('vpc-peering-torn', ['172.27.0.0/16'], '198.51.100.10:51820');
    await apply([kept]);
    writeFileSync(stateFile('applied.json'), '{"gatewayId":"gw-');

    // Act
    wg = await rebootWireguardHost(wg, gateway, prefix);

    // Assess: the restored document's generation is recorded again, so --report answers.
    expect((await configured()).peers.map((p) => p.publicKey)).toEqual([kept.publicKey]);
    expect(await wg.hosts.report(gateway.instanceId)).toMatchObject({ appliedGeneration: generation });
  });

  it('reports a delta without peers, and --report right after lists the live ones', async () => {
    // Prepare
    const first = peer('vpc-peering-report-1', ['172.23.0.0/16'], '198.51.100.7:51820');
    await apply([first]);
    const added = peer('vpc-peering-report-2', ['172.24.0.0/16'], '198.51.100.8:51820');

    // Act
    const delta = await apply([first, added]);
    const live = await wg.hosts.report(gateway.instanceId);

    // Assess
    expect(delta).toMatchObject({ exitCode: 0, stderr: '' });
    expect(parseReport(delta.stdout)).toEqual({
      gatewayId: gateway.id,
      appliedGeneration: generation,
      mode: 'wireguard',
      path: 'delta',
    });
    expect(live).toMatchObject({ gatewayId: gateway.id, appliedGeneration: generation, mode: 'wireguard' });
    expect(live?.peers?.map((p) => p.publicKey).sort()).toEqual([first.publicKey, added.publicKey].sort());
    expect(live?.peers?.find((p) => p.publicKey === added.publicKey)).toMatchObject({
      allowedIps: added.allowedIps,
      endpoint: added.endpoint,
    });
  });

  it('writes the new document over the old one in its awk pass, whole, however large', async () => {
    // Prepare: a base far larger than awk's read buffer, so a truncation while reading it would show.
    const many = Array.from({ length: 400 }, (_, i) => roadWarrior(i));
    await apply(many);
    const base = readFileSync(stateFile('state.json'), 'utf8');
    const added = roadWarrior(400);

    // Act
    const delta = await apply([...many, added]);

    // Assess: the diff saw the whole old document (one peer added, none removed) and the new one is
    // in place, byte for byte.
    expect(base.length).toBeGreaterThan(64 * 1024);
    expect(delta).toMatchObject({ exitCode: 0, stderr: '', path: 'delta' });
    expect(readFileSync(stateFile('state.json'), 'utf8')).toBe(delta.document);
    const keys = (await configured()).peers.map((p) => p.publicKey);
    expect(keys).toHaveLength(401);
    expect(keys).toContain(added.publicKey);
  });

  it('recovers from a crash between its awk pass and recording the base through the full path', async () => {
    // Prepare: a delta, then what a crash before its last write leaves: no base, torn files.
    const east = peer('vpc-peering-crash-east', ['172.25.0.0/16'], '198.51.100.9:51820');
    const west = peer('vpc-peering-crash-west', ['172.26.0.0/16'], '198.51.100.10:51820');
    const north = peer('vpc-peering-crash-north', ['172.27.0.0/16'], null);
    await apply([east]);
    const delta = await apply([east, west]);
    writeFileSync(stateFile('delta.base'), '');
    writeFileSync(stateFile('applied.json'), `{"gatewayId":"${gateway.id}","generat`);
    writeFileSync(stateFile('state.json'), '{"schema":1,"gatewayId":"gw-a",\n"interface":{"na');

    // Act
    const recovered = await apply([west, north]);
    const next = await apply([west, north], (state) => {
      state.nftables = withExtraRule(state.nftables);
    });

    // Assess: the full path ran despite the torn files, the interface holds exactly the document,
    // and it is a delta base again.
    expect(delta.path).toBe('delta');
    expect(recovered).toMatchObject({ exitCode: 0, path: 'full' });
    expect(recovered.stderr).toBe(
      `apply-config: ignoring unreadable ${stateFile('applied.json')}: no generation is known to be applied\n`,
    );
    expect(next).toMatchObject({ exitCode: 0, stderr: '', path: 'delta' });
    const now = await configured();
    expect(now.peers.map((p) => p.publicKey).sort()).toEqual([west.publicKey, north.publicKey].sort());
    expect(now.routes.filter((r) => r !== '').map((r) => r.split(' ')[0])).toEqual([
      '172.26.0.0/16',
      '172.27.0.0/16',
    ]);
    expect(now.ruleset).toContain(EXTRA_RULE_LISTED);
    expect(readFileSync(stateFile('state.json'), 'utf8')).toBe(next.document);
  });
});
