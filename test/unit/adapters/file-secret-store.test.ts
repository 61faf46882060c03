/**
 * The embedded runtime's secret store (lambdas/adapters/local/file-secret-store.ts) deletes a
 * folder of secrets as the S3 store does (SecretStore.deleteUnder): everything named under it,
 * nothing beside it.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { FileSecretStore } from '../../../lambdas/adapters/local/file-secret-store';
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
