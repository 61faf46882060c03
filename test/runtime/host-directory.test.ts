/**
 * A host's directory is named by its gateway record's instanceId, read back from the table without
 * the API's checks (docs/SECURITY.md, "The local runtime"): a name that is not one plain path
 * component is refused, so a rewritten record cannot make root build or remove DATA_DIR itself or
 * a directory outside it. Files-mode hosts: runs anywhere.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalHosts } from '../../runtime/hosts';
import { hostDirectoryName, UnsafeInstanceIdError } from '../../runtime/hosts/host';

const UNSAFE = ['.', '..', '', '../x', 'a/b', '/etc', 'a\\b', '.hidden', 'i-a\n', 'i a'];

describe('hostDirectoryName', () => {
  it.each(['i-0123456789abcdef0', 'i-a', 'A.b_c-1', 'x'.repeat(64)])('keeps %s as it is', (instanceId) => {
    // Act
    const name = hostDirectoryName(instanceId);
    // Assess
    expect(name).toBe(instanceId);
  });

  it.each(UNSAFE.map((id) => [JSON.stringify(id), id]))('refuses %s', (_shown, instanceId) => {
    // Act
    const act = () => hostDirectoryName(instanceId);
    // Assess
    expect(act).toThrow(UnsafeInstanceIdError);
  });
});

describe('a gateway record whose instanceId is ".."', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'vpc-peering-host-dir-'));
    writeFileSync(join(dataDir, 'auth-secret'), 'kept', { mode: 0o600 });
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  it('gets no host, and removing its host leaves DATA_DIR in place', async () => {
    // Prepare
    const hosts = new LocalHosts({ dataDir, secretsDir: join(dataDir, 'secrets'), mode: 'files' });
    const gateway = {
      id: 'gw-rewritten',
      instanceId: '..',
      vpcCidr: '10.44.0.0/16',
      tunnelSubnet: '100.64.44.0/24',
      tunnelIp: '100.64.44.1',
      publicIp: '203.0.113.44',
      listenPort: 51820,
      privateKeyParam: null,
    };

    // Act
    const created = hosts.ensureHost(gateway);
    await created.catch(() => {});
    await hosts.destroyHost('..');

    // Assess
    await expect(created).rejects.toThrow(UnsafeInstanceIdError);
    expect(hosts.instanceIds()).toEqual([]);
    expect(existsSync(join(dataDir, 'auth-secret'))).toBe(true);
    expect(existsSync(join(dataDir, 'state'))).toBe(false);
    await hosts.teardown();
  });
});
