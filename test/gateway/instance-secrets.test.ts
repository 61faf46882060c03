/**
 * The embedded runtime's delivery of secrets to an instance (FileInstanceSecrets): an instance's
 * local host reads only its own directory, which holds only what was delivered to it.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { FileInstanceSecrets } from '../../lambdas/adapters/local/file-instance-secrets';
import { FileSecretStore } from '../../lambdas/adapters/local/file-secret-store';
import { SecretMissingError } from '../../lambdas/core/errors';
import { tempDir } from '../support/gateway-script';

describe('FileInstanceSecrets', () => {
  let root: string;
  let store: FileSecretStore;
  let delivery: FileInstanceSecrets;

  beforeEach(async () => {
    root = tempDir('delivery');
    store = new FileSecretStore(join(root, 'store'));
    delivery = new FileInstanceSecrets(store, join(root, 'instances'));
    await store.putIfAbsent('/vpc-peering/gateways/gw-a/private-key', 'key-a');
    await store.putIfAbsent('/vpc-peering/gateways/gw-b/private-key', 'key-b');
  });

  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("copies a gateway's secrets into its instance's directory only", async () => {
    // Act
    await delivery.deliver({ gatewayId: 'gw-a', instanceId: 'i-a' }, [
      '/vpc-peering/gateways/gw-a/private-key',
    ]);

    // Assess
    const own = join(delivery.directoryOf('i-a'), 'vpc-peering/gateways/gw-a/private-key');
    expect(readFileSync(own, 'utf8')).toBe('key-a');
    expect(existsSync(join(delivery.directoryOf('i-a'), 'vpc-peering/gateways/gw-b/private-key'))).toBe(
      false,
    );
    expect(existsSync(delivery.directoryOf('i-b'))).toBe(false);
  });

  it('replaces a copy when the name is delivered again with another value (a gateway registered again)', async () => {
    // Prepare
    const name = '/vpc-peering/gateways/gw-a/private-key';
    await delivery.deliver({ gatewayId: 'gw-a', instanceId: 'i-a' }, [name]);
    await store.delete(name);
    await store.putIfAbsent(name, 'key-a2');

    // Act
    await delivery.deliver({ gatewayId: 'gw-a', instanceId: 'i-a' }, [name]);

    // Assess
    expect(readFileSync(join(delivery.directoryOf('i-a'), name), 'utf8')).toBe('key-a2');
  });

  it("withdraws only its gateway's copies from an instance another gateway now holds, then nothing is left", async () => {
    // Prepare: gw-a's copies (its key and a shared name), then gw-b's on the same instance (a
    // deleted gateway's late cascade runs after the next one on its instance was pushed).
    const shared = '/vpc-peering/peerings/pcx-ab/psk';
    await store.putIfAbsent(shared, 'psk-ab');
    const keyA = '/vpc-peering/gateways/gw-a/private-key';
    const keyB = '/vpc-peering/gateways/gw-b/private-key';
    await delivery.deliver({ gatewayId: 'gw-a', instanceId: 'i-a' }, [keyA, shared]);
    await delivery.deliver({ gatewayId: 'gw-b', instanceId: 'i-a' }, [keyB, shared]);
    const directory = delivery.directoryOf('i-a');

    // Act
    await delivery.withdraw({ gatewayId: 'gw-a', instanceId: 'i-a' });

    // Assess: gw-a's own copy went; gw-b's, and the name gw-b also holds, stay where the script
    // reads them.
    expect(existsSync(join(directory, keyA))).toBe(false);
    expect(readFileSync(join(directory, keyB), 'utf8')).toBe('key-b');
    expect(readFileSync(join(directory, shared), 'utf8')).toBe('psk-ab');

    // Act / Assess: the last gateway's withdrawal (repeated, as a retried cascade does) leaves nothing
    // but the (empty) folder of records.
    await delivery.withdraw({ gatewayId: 'gw-b', instanceId: 'i-a' });
    await delivery.withdraw({ gatewayId: 'gw-b', instanceId: 'i-a' });
    expect(readdirSync(join(root, 'instances'), { recursive: true })).toEqual(['.delivered']);
  });

  it('fails on a secret the store does not hold, and refuses an instance id that leaves its root', async () => {
    // Act / Assess
    await expect(
      delivery.deliver({ gatewayId: 'gw-a', instanceId: 'i-a' }, ['/vpc-peering/peerings/none/psk']),
    ).rejects.toThrow(SecretMissingError);
    expect(() => delivery.directoryOf('..')).toThrow('Invalid instance id');
    expect(() => delivery.directoryOf('a/b')).toThrow('Invalid instance id');
    await expect(delivery.withdraw({ gatewayId: '../i-b', instanceId: 'i-a' })).rejects.toThrow(
      'Invalid gateway id',
    );
  });
});
