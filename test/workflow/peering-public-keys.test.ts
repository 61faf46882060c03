/**
 * A peering's peer entries hold the other gateway's public key: Validate refuses a peering whose
 * key a peer of either gateway already holds, and Allocate's transaction refuses one whose key was
 * taken after Validate (on the in-memory repository; the key items themselves are part of the
 * Repository contract: test/contract). docs/DECISIONS.md, "Public keys".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSecretStore } from '../../lambdas/adapters/local/file-secret-store';
import { MemoryAudit } from '../../lambdas/adapters/local/memory-audit';
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import { allocatePeering, validatePeering } from '../../lambdas/app/peering-workflow';
import type { Repository } from '../../lambdas/app/ports';
import { ConflictError } from '../../lambdas/core/errors';
import type { GatewayRecord } from '../../lambdas/core/types';
import { gatewayRecord } from '../support/gateways';
import { roadWarrior, uniqueId } from '../support/records';

const state = new MemoryState();
const repository = new MemoryRepository({}, state);
const KEY_IN_USE = new ConflictError('PUBLIC_KEY_IN_USE');
let dir = '';
let secrets: FileSecretStore;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'peering-public-keys-'));
  secrets = new FileSecretStore(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function twoGateways(
  remoteOverrides: Partial<GatewayRecord> = {},
): Promise<[GatewayRecord, GatewayRecord]> {
  const local = gatewayRecord({ tunnelSubnet: '100.71.1.0/24', tunnelIp: '100.71.1.1' });
  const remote = gatewayRecord({ tunnelSubnet: '100.71.2.0/24', tunnelIp: '100.71.2.1', ...remoteOverrides });
  for (const gateway of [local, remote]) await repository.createGateway(gateway);
  return [local, remote];
}

/** A road-warrior `impostor` on `on` holding `key`. */
const impostor = (on: GatewayRecord, key: string) =>
  repository.addRoadWarrior({ ...roadWarrior(on.id, 'impostor'), publicKey: key });

describe('validatePeering', () => {
  it.each([
    { holder: "a road-warrior of the local gateway holds the remote's key", local: true },
    { holder: "a road-warrior of the remote gateway holds the local's key", local: false },
  ])('refuses with PUBLIC_KEY_IN_USE when $holder', async ({ local: onLocal }) => {
    // Prepare
    const [local, remote] = await twoGateways();
    await (onLocal ? impostor(local, remote.publicKey) : impostor(remote, local.publicKey));

    // Act
    const validation = validatePeering(
      { repository, secrets },
      { peeringId: uniqueId('pcx'), gatewayId: local.id, remoteGatewayId: remote.id },
    );

    // Assess
    await expect(validation).rejects.toEqual(KEY_IN_USE);
  });

  it('refuses two gateways that share one public key', async () => {
    // Prepare
    const [local, remote] = await twoGateways();
    await repository.upsertGateway({ ...remote, publicKey: local.publicKey });

    // Act
    const validation = validatePeering(
      { repository, secrets },
      { peeringId: uniqueId('pcx'), gatewayId: local.id, remoteGatewayId: remote.id },
    );

    // Assess
    await expect(validation).rejects.toEqual(KEY_IN_USE);
  });
});

describe('allocatePeering', () => {
  it('refuses a peering whose key a road-warrior took after Validate, and leaves no key behind', async () => {
    // Prepare: the road-warrior lands between Allocate's checks and its transaction.
    const [local, remote] = await twoGateways();
    const racing: Repository = Object.assign(Object.create(repository) as Repository, {
      createPeering: async (input: Parameters<Repository['createPeering']>[0]) => {
        await impostor(local, remote.publicKey);
        return repository.createPeering(input);
      },
    });
    const peeringId = uniqueId('pcx');
    const d = { repository: racing, secrets, audit: new MemoryAudit(), clock: () => new Date() };

    // Act
    const allocation = allocatePeering(d, { peeringId, gatewayId: local.id, remoteGatewayId: remote.id });

    // Assess: a refusal (Rejected), nothing written, the preshared key deleted.
    await expect(allocation).rejects.toEqual(KEY_IN_USE);
    expect(await repository.getPeering(peeringId)).toBeUndefined();
    expect(await repository.listPeers(remote.id)).toEqual([]);
    expect(await secrets.get(secrets.names.presharedKey(peeringId))).toBeUndefined();
  });
});
