/**
 * `--teardown` in files mode (gateway/lib/teardown.sh): a deleted gateway's instance keeps none of
 * its state, and the teardown is bound to the gateway id and generation it names. The same on real
 * WireGuard (interface peers, routes, table): test/gateway/wireguard-teardown.test.ts.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  type DocPeer,
  GATEWAY_A,
  gatewayKeyParam,
  genKeyPair,
  genPsk,
  publish,
  runScript,
  stateArgs,
  stateDocument,
  tempDir,
  writeSecret,
} from '../support/gateway-script';

const gateway = GATEWAY_A;
/** GATEWAY_A's layout under another id (with that id's own key). */
const gatewayNamed = (id: string) => ({ ...gateway, id, privateKeyParam: gatewayKeyParam(id) });
const STATE_FILES = ['state.json', 'applied.json', 'secret-source', 'wg.conf', 'routes.txt', 'nftables.nft'];

describe('apply-config.sh --teardown (files mode)', () => {
  let root: string;
  let stateDir: string;
  let env: Record<string, string>;
  let peer: DocPeer;

  const apply = (generation: number, gatewayId = gateway.id) =>
    runScript(
      [
        '--gateway-id',
        gatewayId,
        '--generation',
        String(generation),
        ...stateArgs(
          publish(root, gatewayId, generation, stateDocument(gatewayNamed(gatewayId), generation, [peer])),
        ),
      ],
      env,
    );
  const teardown = (generation: number, gatewayId = gateway.id) =>
    runScript(['--teardown', '--gateway-id', gatewayId, '--generation', String(generation)], env);
  const present = () => STATE_FILES.filter((file) => existsSync(join(stateDir, file)));
  const lastLine = (stdout: string) => JSON.parse(stdout.trim().split('\n').pop() ?? '');

  beforeEach(async () => {
    root = tempDir('teardown');
    stateDir = join(root, 'state');
    const secretsDir = join(root, 'secrets');
    env = {
      VPG_MODE: 'files',
      VPG_STATE_DIR: stateDir,
      VPG_SECRET_SOURCE: `dir:${secretsDir}`,
      VPG_ENV_FILE: join(root, 'gateway.env'),
    };
    for (const id of ['gw-a', 'gw-b']) {
      writeSecret(secretsDir, `/vpc-peering/gateways/${id}/private-key`, genKeyPair().privateKey);
    }
    writeSecret(secretsDir, '/vpc-peering/peerings/p1/psk', genPsk());
    peer = {
      name: 'vpc-peering-p1',
      publicKey: genKeyPair().publicKey,
      presharedKeyParam: '/vpc-peering/peerings/p1/psk',
      allowedIps: ['172.16.0.0/16', '100.64.1.0/24'],
      endpoint: '203.0.113.2:51820',
    };
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('removes every state file and cached key of the gateway it names, and says so', async () => {
    // Prepare
    expect(await apply(7)).toMatchObject({ exitCode: 0 });
    expect(present()).toEqual(STATE_FILES);
    // A dir: source bypasses the cache: an entry as an s3:// source leaves it.
    writeSecret(join(stateDir, 'secrets'), '/vpc-peering%gateways%gw-a%private-key', 'cached');

    // Act
    const result = await teardown(7);

    // Assess
    expect(result).toMatchObject({ exitCode: 0 });
    expect(lastLine(result.stdout)).toEqual({
      gatewayId: gateway.id,
      appliedGeneration: 7,
      mode: 'files',
      path: 'teardown',
      tornDown: true,
      now: expect.any(Number),
      peers: [],
    });
    expect(present()).toEqual([]);
    expect(readdirSync(join(stateDir, 'secrets'))).toEqual([]);
    expect(readdirSync(join(stateDir, 'work'))).toEqual([]);
    expect(readFileSync(join(stateDir, 'teardown.json'), 'utf8')).toMatch(
      /^\{"gatewayId":"gw-a","generation":7,"appliedAt":"[0-9T:Z-]+"\}\n$/,
    );
  });

  it('is idempotent: a repeated teardown (a redelivered cascade) succeeds and finds nothing', async () => {
    // Prepare
    await apply(7);
    await teardown(7);

    // Act
    const again = await teardown(7);

    // Assess
    expect(again).toMatchObject({ exitCode: 0 });
    expect(lastLine(again.stdout)).toMatchObject({ tornDown: true });
    expect(present()).toEqual([]);
  });

  it('refuses a late push of the torn-down gateway, and applies the same id registered again above it', async () => {
    // Prepare
    await apply(7);
    await teardown(7);

    // Act
    const late = await apply(7);
    const reRegistered = await apply(8);

    // Assess
    expect(late.exitCode).toBe(1);
    expect(late.stderr).toContain('refused: gateway gw-a was torn down');
    expect(reRegistered).toMatchObject({ exitCode: 0 });
    expect(present()).toEqual(STATE_FILES);
    expect(lastLine(reRegistered.stdout)).toMatchObject({ gatewayId: 'gw-a', appliedGeneration: 8 });
  });

  it('leaves alone an instance that serves another gateway, or a newer incarnation of the same id', async () => {
    // Prepare
    await apply(3, 'gw-b');

    // Act
    const otherGateway = await teardown(9, 'gw-a');
    await apply(12);
    const newerIncarnation = await teardown(11);

    // Assess
    expect(otherGateway).toMatchObject({ exitCode: 0 });
    expect(otherGateway.stderr).toContain('the instance serves gateway gw-b');
    expect(lastLine(otherGateway.stdout)).toMatchObject({ gatewayId: 'gw-a', tornDown: false });
    expect(newerIncarnation.stderr).toContain('generation 12 of gw-a was applied after it');
    expect(lastLine(newerIncarnation.stdout)).toMatchObject({ tornDown: false });
    expect(present()).toEqual(STATE_FILES);
    expect(readFileSync(join(stateDir, 'applied.json'), 'utf8')).toContain('"generation":12');
  });

  it('refuses a teardown without a gateway id or a generation (exit 2, nothing removed)', async () => {
    // Prepare
    await apply(7);

    // Act
    const results = await Promise.all([
      runScript(['--teardown', '--generation', '7'], env),
      runScript(['--teardown', '--gateway-id', 'gw-a'], env),
      runScript(['--teardown', '--gateway-id', 'gw-a/../x', '--generation', '7'], env),
    ]);

    // Assess
    expect(results.map((r) => r.exitCode)).toEqual([2, 2, 2]);
    expect(present()).toEqual(STATE_FILES);
  });
});
