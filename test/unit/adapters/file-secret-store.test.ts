/**
 * The embedded runtime's secret store (lambdas/adapters/local/file-secret-store.ts) deletes a
 * folder of secrets as the S3 store does (SecretStore.deleteUnder): everything named under it,
 * nothing beside it. Like S3's conditional PUT, it stores a secret whole or not at all, and the
 * first writer wins.
 */
import { readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { FileSecretStore, secretPath } from '../../../lambdas/adapters/local/file-secret-store';
import { crashAtNextFileWrite } from '../../support/crash-mid-write';
import { tempDir } from '../../support/gateway-script';

describe('FileSecretStore.deleteUnder', () => {
  let root: string;
  let store: FileSecretStore;

  beforeEach(() => {
    root = tempDir('secret-folders');
    store = new FileSecretStore(join(root, 'store'));
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("deletes every secret under a gateway's folder, and none of another gateway's or a peering's", async () => {
    // Prepare
    const { names } = store;
    const own = [
      names.gatewayPrivateKey('gw-1'),
      names.roadWarriorPrivateKey('gw-1', 'laptop', 'k1'),
      names.roadWarriorPrivateKey('gw-1', 'orphan', 'k2'),
    ];
    const others = [names.gatewayPrivateKey('gw-10'), names.presharedKey('p-1')];
    for (const name of [...own, ...others]) await store.putIfAbsent(name, name);

    // Act
    await store.deleteUnder(names.gatewayFolder('gw-1'));
    await store.deleteUnder(names.gatewayFolder('gw-1'));

    // Assess
    for (const name of own) expect(await store.get(name)).toBeUndefined();
    for (const name of others) expect(await store.get(name)).toBe(name);
  });

  it.each(['/vpc-peering/gateways/gw-1', '/vpc-peering/gateways/../', '/'])(
    'refuses %s, which is no folder of secret names inside the store',
    async (notAFolder) => {
      // Prepare
      await store.putIfAbsent(store.names.gatewayPrivateKey('gw-1'), 'key');

      // Act
      const outcome = store.deleteUnder(notAFolder);

      // Assess
      await expect(outcome).rejects.toThrow(/Invalid secret/);
      expect(await store.get(store.names.gatewayPrivateKey('gw-1'))).toBe('key');
    },
  );
});

describe('FileSecretStore.putIfAbsent', () => {
  let root: string;

  beforeEach(() => {
    root = tempDir('secret-writes');
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it('leaves no secret when its writer dies mid-write: the next writer stores its own, whole', async () => {
    // Prepare: a runtime dies while it writes a gateway's generated key
    const dying = new FileSecretStore(join(root, 'store'));
    const name = dying.names.gatewayPrivateKey('gw-1');
    const { crashed } = await crashAtNextFileWrite(join(root, 'probe'));
    void dying.putIfAbsent(name, 'key of the runtime that died');
    await crashed;
    const restarted = new FileSecretStore(join(root, 'store'));
    const afterCrash = await restarted.get(name);

    // Act: the restarted runtime registers the gateway again
    await restarted.putIfAbsent(name, 'key of the restarted runtime');

    // Assess
    expect(afterCrash).toBeUndefined();
    expect(await restarted.get(name)).toBe('key of the restarted runtime');
  });

  it('keeps the first of concurrent writers of one name, whole, 0600, with no temporary left', async () => {
    // Prepare
    const stores = [new FileSecretStore(join(root, 'store')), new FileSecretStore(join(root, 'store'))];
    const name = stores[0]?.names.presharedKey('p-1') ?? '';
    const values = Array.from({ length: 40 }, (_, index) => `key ${index} `.repeat(1000));

    // Act
    await Promise.all(values.map((value, index) => stores[index % 2]?.putIfAbsent(name, value)));
    const winner = await stores[0]?.get(name);
    await stores[1]?.putIfAbsent(name, 'a late writer');

    // Assess
    expect(values).toContain(winner);
    expect(await stores[1]?.get(name)).toBe(winner);
    const path = secretPath(join(root, 'store'), name);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(readdirSync(dirname(path))).toEqual(['psk']);
  });
});
