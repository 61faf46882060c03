import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseReport } from '../../runtime/hosts';
import {
  type DocGateway,
  type DocPeer,
  filesGatewayA,
  GATEWAY_A,
  genKeyPair,
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
  let apply: ReturnType<typeof filesGatewayA>['apply'];
  let appliedGeneration: () => number;

  beforeEach(() => {
    ({ root, stateDir, env, privateKey, psk, peer, apply, appliedGeneration } = filesGatewayA('files'));
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
    const result = await apply(7, [peer], GATEWAY_A, env);

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
});
