/** gateway/apply-config.sh in files mode: artifacts, persistence, generations, restore, locking. */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseReport } from '../../runtime/hosts';
import {
  type DocGateway,
  type DocPeer,
  filesInstance,
  GATEWAY_A,
  genKeyPair,
  genPsk,
  peeringP1Peer,
  publish,
  runScript,
  stateArgs,
  stateDocument,
  writeSecret,
} from '../support/gateway-script';

const gateway: DocGateway = GATEWAY_A;

describe('apply-config.sh (files mode)', () => {
  let root: string;
  let stateDir: string;
  let env: Record<string, string>;
  let privateKey: string;
  let psk: string;
  let peer: DocPeer;

  const apply = (generation: number, peers: DocPeer[] = [peer], target: DocGateway = gateway) =>
    runScript(
      [
        '--gateway-id',
        target.id,
        '--generation',
        String(generation),
        ...stateArgs(publish(root, target.id, generation, stateDocument(target, generation, peers))),
      ],
      env,
    );
  const appliedGeneration = () =>
    (JSON.parse(readFileSync(join(stateDir, 'applied.json'), 'utf8')) as { generation: number }).generation;

  /**
   * Starts an apply of `generation` that takes the lock, then blocks reading its document from a
   * FIFO until `release` writes it.
   */
  const applyHoldingTheLock = async (generation: number) => {
    const published = publish(root, 'gw-a', generation, stateDocument(gateway, generation, [peer]));
    const fifo = published.stateUri.slice('file://'.length);
    rmSync(fifo);
    execFileSync('mkfifo', [fifo]);
    const args = ['--gateway-id', 'gw-a', '--generation', String(generation), ...stateArgs(published)];
    const running = runScript(args, env);
    await waitFor(
      () => existsSync(join(stateDir, 'lock')) && lockHolders(join(stateDir, 'lock')).holders > 0,
    );
    const release = () => {
      writeFileSync(fifo, stateDocument(gateway, generation, [peer]));
      return running;
    };
    return { running, release };
  };

  beforeEach(() => {
    const instance = filesInstance('files');
    ({ root, stateDir, env } = instance);
    privateKey = genKeyPair().privateKey;
    psk = genPsk();
    writeSecret(instance.secretsDir, '/vpc-peering/gateways/gw-a/private-key', privateKey);
    writeSecret(instance.secretsDir, '/vpc-peering/peerings/p1/psk', psk);
    peer = peeringP1Peer();
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('writes the wg config (0600, with the keys), routes and nftables, and persists the state', async () => {
    // Act
    const result = await apply(7);

    // Assess
    expect(result).toMatchObject({ exitCode: 0 });
    const wgConf = readFileSync(join(stateDir, 'wg.conf'), 'utf8');
    expect(statSync(join(stateDir, 'wg.conf')).mode & 0o777).toBe(0o600);
    expect(wgConf).toContain(`PrivateKey = ${privateKey}\nListenPort = 51820\n`);
    expect(wgConf).toContain(
      `[Peer]\nPublicKey = ${peer.publicKey}\nPresharedKey = ${psk}\nAllowedIPs = 172.16.0.0/16,100.64.1.0/24\n` +
        'Endpoint = 203.0.113.2:51820\nPersistentKeepalive = 25\n',
    );
    expect(readFileSync(join(stateDir, 'routes.txt'), 'utf8')).toBe('172.16.0.0/16\n100.64.1.0/24\n');
    expect(readFileSync(join(stateDir, 'nftables.nft'), 'utf8')).toMatch(
      /^define wg_if = "wg0"\ndefine vpc_if = "eth1"\ndefine wan_if = "eth0"\ntable inet vpc_peering \{\}\ndelete table inet vpc_peering\ntable inet vpc_peering \{/,
    );
    expect(JSON.parse(readFileSync(join(stateDir, 'state.json'), 'utf8'))).toMatchObject({ generation: 7 });
    expect(appliedGeneration()).toBe(7);
  });

  it('defines $wg_if as the interface it configures, so the rules follow VPG_WG_IF', async () => {
    // Prepare
    env = { ...env, VPG_WG_IF: 'wg7' };

    // Act
    const result = await apply(7);

    // Assess
    expect(result).toMatchObject({ exitCode: 0 });
    const ruleset = readFileSync(join(stateDir, 'nftables.nft'), 'utf8');
    expect(ruleset).toMatch(/^define wg_if = "wg7"\n/);
    expect(ruleset).not.toContain('define wg_if = "wg0"');
  });

  it("takes the instance's interface names from its env file, as data, with the environment winning", async () => {
    // Prepare
    writeFileSync(
      join(root, 'gateway.env'),
      '# instance settings\nVPG_VPC_IF=ens6\nVPG_WAN_IF=ens5\nVPG_MODE=wireguard\n$(touch /tmp/owned)\n',
    );

    // Act
    const result = await apply(7);

    // Assess: VPG_MODE=files from the environment wins; the command line is ignored, not run
    expect(result).toMatchObject({ exitCode: 0 });
    expect(readFileSync(join(stateDir, 'nftables.nft'), 'utf8')).toMatch(
      /^define wg_if = "wg0"\ndefine vpc_if = "ens6"\ndefine wan_if = "ens5"\n/,
    );
    expect(result.stderr).toContain('ignoring unrecognised line');
    expect(existsSync('/tmp/owned')).toBe(false);
  });

  it('refuses one interface for the VPC and the internet, which would NAT the tunnel into the VPC', async () => {
    // Prepare
    writeFileSync(join(root, 'gateway.env'), 'VPG_VPC_IF=eth0\nVPG_WAN_IF=eth0\n');

    // Act
    const result = await apply(7);

    // Assess
    expect(result).toMatchObject({ exitCode: 2 });
    expect(result.stderr).toContain('VPG_VPC_IF and VPG_WAN_IF must name two interfaces, both are eth0');
    expect(existsSync(join(stateDir, 'state.json'))).toBe(false);
  });

  it('reports the peers on its last stdout line, with its clock, and never prints a secret', async () => {
    // Prepare
    const before = Math.floor(Date.now() / 1000);

    // Act
    const result = await apply(7);

    // Assess
    const { now, ...report } = parseReport(result.stdout);
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(report).toEqual({
      gatewayId: 'gw-a',
      appliedGeneration: 7,
      mode: 'files',
      path: 'full',
      peers: [
        {
          publicKey: peer.publicKey,
          allowedIps: peer.allowedIps,
          endpoint: peer.endpoint,
          latestHandshake: 0,
          rxBytes: 0,
          txBytes: 0,
        },
      ],
    });
    for (const secret of [privateKey, psk]) {
      expect(result.stdout + result.stderr).not.toContain(secret);
    }
  });

  it('skips an older generation with a stale report and changes nothing', async () => {
    // Prepare
    await apply(7);
    const before = readFileSync(join(stateDir, 'wg.conf'), 'utf8');

    // Act
    const result = await apply(6, []);

    // Assess
    expect(result.exitCode).toBe(0);
    expect(parseReport(result.stdout)).toMatchObject({ appliedGeneration: 7, skipped: 'stale' });
    expect(readFileSync(join(stateDir, 'wg.conf'), 'utf8')).toBe(before);
    expect(appliedGeneration()).toBe(7);
  });

  it('re-applies the same generation (a retried push)', async () => {
    // Prepare
    await apply(7);
    rmSync(join(stateDir, 'wg.conf'));

    // Act
    const result = await apply(7);

    // Assess
    expect(result.exitCode).toBe(0);
    expect(parseReport(result.stdout)).not.toHaveProperty('skipped');
    expect(existsSync(join(stateDir, 'wg.conf'))).toBe(true);
  });

  it('restores the persisted state (boot) and reports without applying', async () => {
    // Prepare
    await apply(7);
    for (const file of ['wg.conf', 'routes.txt', 'nftables.nft']) rmSync(join(stateDir, file));

    // Act
    const restored = await runScript(['--restore'], env);
    const reported = await runScript(['--report'], env);

    // Assess
    expect(restored.exitCode).toBe(0);
    expect(readFileSync(join(stateDir, 'wg.conf'), 'utf8')).toContain(`PresharedKey = ${psk}`);
    expect(readFileSync(join(stateDir, 'routes.txt'), 'utf8')).toBe('172.16.0.0/16\n100.64.1.0/24\n');
    const { now: restoredAt, ...restoredReport } = parseReport(restored.stdout);
    const { now: reportedAt, ...reportedReport } = parseReport(reported.stdout);
    expect(restoredReport).toMatchObject({ gatewayId: 'gw-a', appliedGeneration: 7 });
    expect(reportedReport).toEqual(restoredReport);
    expect(reportedAt).toBeGreaterThanOrEqual(restoredAt ?? Number.POSITIVE_INFINITY);
  });

  describe("the secret source of a boot's --restore (the unit passes no environment)", () => {
    /** A secret store under `root` holding the gateway's key `key` and the peering's PSK. */
    const store = (name: string, key: string) => {
      const dir = join(root, name);
      writeSecret(dir, '/vpc-peering/gateways/gw-a/private-key', key);
      writeSecret(dir, '/vpc-peering/peerings/p1/psk', psk);
      return `dir:${dir}`;
    };
    /** `--restore` in `env` minus VPG_SECRET_SOURCE, plus `extra`; the private key it configured. */
    const restoreWith = async (extra: Record<string, string> = {}) => {
      const { VPG_SECRET_SOURCE: _passed, ...unitEnv } = env;
      rmSync(join(stateDir, 'wg.conf'));
      const result = await runScript(['--restore'], { ...unitEnv, ...extra });
      const key = existsSync(join(stateDir, 'wg.conf'))
        ? /PrivateKey = (\S+)/.exec(readFileSync(join(stateDir, 'wg.conf'), 'utf8'))?.[1]
        : undefined;
      return { result, key };
    };

    it('is the one the last apply read from', async () => {
      // Prepare
      await apply(7);

      // Act
      const { result, key } = await restoreWith();

      // Assess
      expect(result).toMatchObject({ exitCode: 0, stderr: '' });
      expect(key).toBe(privateKey);
      expect(parseReport(result.stdout)).toMatchObject({ gatewayId: 'gw-a', appliedGeneration: 7 });
    });

    it('unless gateway.env names one, and the environment wins over both', async () => {
      // Prepare
      await apply(7);
      const fileKey = genKeyPair().privateKey;
      const environmentKey = genKeyPair().privateKey;
      writeFileSync(env.VPG_ENV_FILE ?? '', `VPG_SECRET_SOURCE=${store('file-store', fileKey)}\n`);

      // Act
      const fromFile = await restoreWith();
      const fromEnvironment = await restoreWith({ VPG_SECRET_SOURCE: store('env-store', environmentKey) });

      // Assess
      expect(fromFile).toMatchObject({ result: { exitCode: 0 }, key: fileKey });
      expect(fromEnvironment).toMatchObject({ result: { exitCode: 0 }, key: environmentKey });
    });

    it('is needed by no restore of an instance that applied nothing', async () => {
      // Act
      const { VPG_SECRET_SOURCE: _passed, ...unitEnv } = env;
      const result = await runScript(['--restore'], unitEnv);

      // Assess: the unit succeeds (Restart=on-failure would otherwise retry at every boot forever).
      expect(result).toMatchObject({
        exitCode: 0,
        stderr: `apply-config: nothing to restore in ${stateDir}\n`,
      });
    });
  });

  it('a report beside an apply leaves the wg config the apply staged', async () => {
    // Prepare: what an apply holding the lock has staged (files mode, keys inside) and not yet moved.
    await apply(7);
    const staged = join(stateDir, 'work', 'wg.conf');
    writeFileSync(staged, 'staged by the apply that holds the lock');

    // Act: --report takes no lock.
    const reported = await runScript(['--report'], env);

    // Assess
    expect(reported.exitCode).toBe(0);
    expect(existsSync(staged)).toBe(true);
  });

  it('omits the private key when the document names none', async () => {
    // Act
    const result = await apply(3, [peer], { ...gateway, privateKeyParam: null });

    // Assess
    expect(result.exitCode).toBe(0);
    expect(readFileSync(join(stateDir, 'wg.conf'), 'utf8')).toMatch(/^\[Interface\]\nListenPort = 51820\n/);
  });

  it('writes a peer without preshared key, endpoint or keepalive', async () => {
    // Prepare
    const bare: DocPeer = {
      ...peer,
      presharedKeyParam: null,
      endpoint: null,
      allowedIps: ['192.168.50.0/24'],
    };

    // Act
    const result = await apply(7, [bare]);

    // Assess
    expect(result).toMatchObject({ exitCode: 0, stderr: '' });
    expect(readFileSync(join(stateDir, 'wg.conf'), 'utf8')).toContain(
      `[Peer]\nPublicKey = ${peer.publicKey}\nAllowedIPs = 192.168.50.0/24\nPersistentKeepalive = 25\n`,
    );
  });

  it.each([
    ['a missing argument', ['--gateway-id', 'gw-a', '--generation', '7']],
    ['an id with a space', ['--gateway-id', 'gw a', '--generation', '7', '--state-uri', 'file:///x']],
    ['a non-integer generation', ['--gateway-id', 'gw-a', '--generation', '7a', '--state-uri', 'file:///x']],
    ['an http uri', ['--gateway-id', 'gw-a', '--generation', '7', '--state-uri', 'http://x/y']],
    ['an unknown flag', ['--gateway-id', 'gw-a', '--force']],
  ])('rejects %s with a one-line error and applies nothing', async (_label, args) => {
    // Act
    const result = await runScript(args, env);

    // Assess
    expect(result.exitCode).not.toBe(0);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(existsSync(join(stateDir, 'applied.json'))).toBe(false);
  });

  it.each([
    ['another gateway', { ...gateway, id: 'gw-b' }, 'another gateway'],
    ['an injected config line', { ...gateway, tunnelIp: '100.64.0.1/24\n[Peer]' }, 'interface.address'],
  ])('refuses a document for %s', async (_label, target, message) => {
    // Prepare
    const published = publish(root, 'gw-a', 7, stateDocument(target, 7, [peer]));

    // Act
    const result = await runScript(
      ['--gateway-id', 'gw-a', '--generation', '7', ...stateArgs(published)],
      env,
    );

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain(message);
    expect(existsSync(join(stateDir, 'applied.json'))).toBe(false);
  });

  it('refuses a secret that is not a WireGuard key, without printing it', async () => {
    // Prepare
    writeSecret(join(root, 'secrets'), '/vpc-peering/peerings/p1/psk', 'not-a-key\n[Peer]');

    // Act
    const result = await apply(7);

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain('/vpc-peering/peerings/p1/psk is not a WireGuard key');
    expect(result.stderr).not.toContain('not-a-key');
  });

  it('serialises two concurrent runs on the state lock', async () => {
    // Prepare: run A takes the lock, then blocks reading its document from a FIFO.
    const first = await applyHoldingTheLock(7);

    // Act: run B (a newer generation) must wait for A's lock.
    const second = apply(8);
    const secondWaited = await waitsOnTheLock(second, join(stateDir, 'lock'));
    const [a, b] = await Promise.all([first.release(), second]);

    // Assess: A applied 7 (not stale: B had not run), then B applied 8.
    expect(secondWaited).toBe(true);
    expect(parseReport(a.stdout)).toMatchObject({ appliedGeneration: 7 });
    expect(parseReport(a.stdout)).not.toHaveProperty('skipped');
    expect(parseReport(b.stdout)).toMatchObject({ appliedGeneration: 8 });
    expect(appliedGeneration()).toBe(8);
  });

  it('a report waits for an apply that holds the lock, then reports what it applied', async () => {
    // Prepare: an apply takes the lock, then blocks reading its document from a FIFO.
    await apply(7);
    const applying = await applyHoldingTheLock(8);

    // Act
    const report = runScript(['--report'], env);
    const reportWaited = await waitsOnTheLock(report, join(stateDir, 'lock'));
    const [applied, reported] = await Promise.all([applying.release(), report]);

    // Assess
    expect(reportWaited).toBe(true);
    expect(parseReport(applied.stdout)).toMatchObject({ appliedGeneration: 8 });
    expect(parseReport(reported.stdout)).toMatchObject({ appliedGeneration: 8 });
  });

  it('a report gives up behind an apply that holds the lock past VPG_REPORT_LOCK_SECONDS', async () => {
    // Prepare: an apply takes the lock, then blocks reading its document from a FIFO.
    const applying = await applyHoldingTheLock(7);

    // Act
    const reported = await runScript(['--report'], { ...env, VPG_REPORT_LOCK_SECONDS: '1' });
    const applied = await applying.release();

    // Assess
    expect(reported).toMatchObject({
      exitCode: 1,
      stdout: '',
      stderr: 'apply-config: no report: an apply has held the state for over 1 s\n',
    });
    expect(parseReport(applied.stdout)).toMatchObject({ appliedGeneration: 7 });
  });
});

/** True when `run`, just started, queues on the lock of `file` rather than ending first. */
async function waitsOnTheLock(run: Promise<unknown>, file: string): Promise<boolean> {
  let ended = false;
  run.then(
    () => {
      ended = true;
    },
    () => {
      ended = true;
    },
  );
  await waitFor(() => ended || lockHolders(file).waiters > 0);
  return !ended;
}

/** flock holders and waiters of a file, from /proc/locks (waiters are the "->" lines). */
function lockHolders(file: string): { holders: number; waiters: number } {
  const inode = statSync(file).ino;
  const lines = readFileSync('/proc/locks', 'utf8')
    .split('\n')
    .filter((line) => line.includes('FLOCK') && line.split(/\s+/).some((f) => f.endsWith(`:${inode}`)));
  const waiters = lines.filter((line) => line.includes('->')).length;
  return { holders: lines.length - waiters, waiters };
}

/** Polls a condition; gives up (failing the test) after a generous bound rather than hanging. */
async function waitFor(condition: () => boolean): Promise<void> {
  for (let polls = 0; !condition(); polls++) {
    if (polls > 1000) throw new Error('condition never became true');
    await sleep(10);
  }
}
