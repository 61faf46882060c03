/**
 * The embedded runtime's hosts restore as a rebooted instance does (runtime/hosts/host-script.ts
 * `restore`): without VPG_SECRET_SOURCE, from the source the last full apply persisted; and a host
 * whose last full apply ran an older script, which persisted none (review s19h), or persisted a
 * path gone since (a DATA_DIR moved: review s19j), still restores: here a failed restore would not
 * show in its reports, since the machine's boot id stays the same.
 * Files-mode hosts: runs anywhere.
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalHosts } from '../../runtime/hosts';
import {
  GATEWAY_A,
  genKeyPair,
  publish,
  stateDocument,
  tempDir,
  writeSecret,
} from '../support/gateway-script';

let root: string;
let hosts: LocalHosts;

beforeEach(async () => {
  root = tempDir('host-restore');
  const secretsDir = join(root, 'secrets');
  writeSecret(secretsDir, GATEWAY_A.privateKeyParam ?? '', genKeyPair().privateKey);
  hosts = new LocalHosts({ dataDir: join(root, 'data'), secretsDir, mode: 'files' });
  await hosts.ensureHost(GATEWAY_A);
  const published = publish(root, GATEWAY_A.id, 1, stateDocument(GATEWAY_A, 1, []));
  const applied = await hosts.apply(GATEWAY_A.instanceId, {
    gatewayId: GATEWAY_A.id,
    generation: 1,
    ...published,
  });
  expect(applied.exitCode).toBe(0);
});

afterEach(async () => {
  await hosts.teardown();
  rmSync(root, { recursive: true, force: true });
});

it('restores from the secret source its last full apply persisted', async () => {
  // Act
  const restored = await hosts.runRestore(GATEWAY_A.instanceId);
  // Assess
  expect(restored.stderr).toBe('');
  expect(restored.exitCode).toBe(0);
});

it('restores a host whose last full apply persisted no secret source (an older script)', async () => {
  // Prepare: the state an older script left
  const stateDir = hosts.hostInfo(GATEWAY_A.instanceId)?.stateDir ?? '';
  rmSync(join(stateDir, 'secret-source'));
  // Act
  const restored = await hosts.runRestore(GATEWAY_A.instanceId);
  // Assess
  expect(restored.stderr).toBe('');
  expect(restored.exitCode).toBe(0);
});

it('restores a host whose persisted secret source names a path gone since (a DATA_DIR moved)', async () => {
  // Prepare
  const stateDir = hosts.hostInfo(GATEWAY_A.instanceId)?.stateDir ?? '';
  writeFileSync(join(stateDir, 'secret-source'), `dir:${join(root, 'moved-away')}\n`);
  // Act
  const restored = await hosts.runRestore(GATEWAY_A.instanceId);
  // Assess
  expect(restored.stderr).toBe('');
  expect(restored.exitCode).toBe(0);
});
