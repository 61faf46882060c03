/**
 * The routed-prefix check of docs/CONTRACT.md#prerequisites cannot be a condition of the allocation transaction, so
 * Allocate binds it to the versions of the route blocks the new peering adds prefixes to: a
 * peering that adds an overlapping prefix between the checks and the transaction makes the
 * transaction refuse, and the checks run again (on the in-memory repository; ChecksOutdatedError
 * itself is part of the Repository contract: test/contract).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSecretStore } from '../../lambdas/adapters/local/file-secret-store';
import { MemoryAudit } from '../../lambdas/adapters/local/memory-audit';
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import { allocatePeering } from '../../lambdas/app/peering-workflow';
import type { Repository } from '../../lambdas/app/ports';
import { ChecksOutdatedError, ConflictError, NotFoundError } from '../../lambdas/core/errors';
import type { GatewayRecord } from '../../lambdas/core/types';
import { fixtureKeyPair, gatewayRecord } from '../support/gateways';
import { newPeering, publicKeyOf, uniqueId } from '../support/records';

const state = new MemoryState();
const db = { repository: () => new MemoryRepository({}, state) };
let dir = '';
let secrets: FileSecretStore;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'allocate-recheck-'));
  secrets = new FileSecretStore(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A hub and two spokes whose VPC CIDRs overlap: the hub may peer with one of them only. */
async function hubAndOverlappingSpokes(): Promise<[GatewayRecord, GatewayRecord, GatewayRecord]> {
  const hub = gatewayRecord({
    id: uniqueId('hub'),
    vpcCidr: '10.1.0.0/16',
    tunnelSubnet: '100.70.1.0/24',
    tunnelIp: '100.70.1.1',
  });
  const b = gatewayRecord({
    id: uniqueId('b'),
    vpcCidr: '10.2.0.0/16',
    tunnelSubnet: '100.70.2.0/24',
    tunnelIp: '100.70.2.1',
  });
  const c = gatewayRecord({
    id: uniqueId('c'),
    vpcCidr: '10.2.0.0/16',
    tunnelSubnet: '100.70.3.0/24',
    tunnelIp: '100.70.3.1',
  });
  for (const gateway of [hub, b, c]) await db.repository().createGateway(gateway);
  return [hub, b, c];
}

describe('allocatePeering', () => {
  it('checks again when a concurrent peering changed a peer set after its checks', async () => {
    // Prepare: hub–c lands between the checks of hub–b and its transaction.
    const [hub, b, c] = await hubAndOverlappingSpokes();
    const repository = db.repository();
    let raced = false;
    const racing: Repository = Object.assign(Object.create(repository) as Repository, {
      createPeering: async (input: Parameters<Repository['createPeering']>[0]) => {
        if (!raced) {
          raced = true;
          await repository.createPeering(newPeering(hub, c));
        }
        return repository.createPeering(input);
      },
    });
    const peeringId = uniqueId('pcx');
    const d = { repository: racing, secrets, audit: new MemoryAudit(), clock: () => new Date() };

    // Act
    const allocation = allocatePeering(d, { peeringId, gatewayId: hub.id, remoteGatewayId: b.id });

    // Assess: refused by the routed-prefix check, nothing written, no key left behind.
    await expect(allocation).rejects.toMatchObject({ name: 'ConflictError', code: 'ROUTED_CIDR_CONFLICT' });
    expect(raced).toBe(true);
    expect(await repository.getPeering(peeringId)).toBeUndefined();
    expect((await repository.listPeers(b.id)).length).toBe(0);
    expect(await secrets.get(secrets.names.presharedKey(peeringId))).toBeUndefined();
  });

  it('checks again when the remote gateway got a new key after its checks, and copies the new key', async () => {
    // Prepare: b's update ("VPN Gateway Updated" ends with the registry write) lands between the
    // checks of hub–b and its transaction; its walk of b's peerings ran before the peering existed.
    const [hub, b] = await hubAndOverlappingSpokes();
    const repository = db.repository();
    const newKey = fixtureKeyPair().publicKey;
    let raced = false;
    const racing: Repository = Object.assign(Object.create(repository) as Repository, {
      createPeering: async (input: Parameters<Repository['createPeering']>[0]) => {
        if (!raced) {
          raced = true;
          await repository.upsertGateway({ ...b, publicKey: newKey, listenPort: b.listenPort + 1 });
        }
        return repository.createPeering(input);
      },
    });
    const peeringId = uniqueId('pcx');
    const d = { repository: racing, secrets, audit: new MemoryAudit(), clock: () => new Date() };

    // Act
    await allocatePeering(d, { peeringId, gatewayId: hub.id, remoteGatewayId: b.id });

    // Assess: the hub's entry for b holds b's key and endpoint as they are now.
    expect(raced).toBe(true);
    const entry = (await repository.listPeers(hub.id)).find((peer) => peer.peeringId === peeringId);
    expect(entry).toMatchObject({ publicKey: newKey, endpoint: `${b.publicIp}:${b.listenPort + 1}` });
  });

  it('returns a peering its transaction already wrote without checking again', async () => {
    // Prepare: hub–b committed, then the hub stopped being ACTIVE (checks would now refuse).
    const [hub, b] = await hubAndOverlappingSpokes();
    const repository = db.repository();
    const peeringId = uniqueId('pcx');
    const d = { repository, secrets, audit: new MemoryAudit(), clock: () => new Date() };
    await allocatePeering(d, { peeringId, gatewayId: hub.id, remoteGatewayId: b.id });
    await repository.upsertGateway({ ...hub, status: 'ERROR' });

    // Act: the Lambda is retried after its commit.
    const again = await allocatePeering(d, { peeringId, gatewayId: hub.id, remoteGatewayId: b.id });

    // Assess
    expect(again.gatewayIds).toEqual([hub.id, b.id]);
    expect((await repository.getPeering(peeringId))?.status).toBe('PROVISIONING');
  });

  it('answers NotFoundError when a gateway is deleted between its checks and its transaction', async () => {
    // Prepare: b goes after the checks (GatewayGoneError from the transaction), as the checks
    // would have answered had they run later; the ASL sends NotFoundError to Rejected (404).
    const [hub, b] = await hubAndOverlappingSpokes();
    const repository = db.repository();
    const racing: Repository = Object.assign(Object.create(repository) as Repository, {
      createPeering: async (input: Parameters<Repository['createPeering']>[0]) => {
        await repository.deleteGateway(b.id);
        return repository.createPeering(input);
      },
    });
    const peeringId = uniqueId('pcx');
    const d = { repository: racing, secrets, audit: new MemoryAudit(), clock: () => new Date() };

    // Act
    const allocation = allocatePeering(d, { peeringId, gatewayId: hub.id, remoteGatewayId: b.id });

    // Assess: nothing written, no key left behind
    await expect(allocation).rejects.toEqual(new NotFoundError(`Gateway ${b.id}`));
    expect(await repository.getPeering(peeringId)).toBeUndefined();
    expect(await secrets.get(`/vpc-peering/peerings/${peeringId}/psk`)).toBeUndefined();
  });
});

describe('createPeering with routeBlockVersions', () => {
  it('refuses with ChecksOutdatedError and writes nothing when a route block it adds to moved', async () => {
    // Prepare: the checks saw the hub's block of b's VPC at a version it no longer has.
    const [hub, b] = await hubAndOverlappingSpokes();
    const repository = db.repository();
    const input = {
      ...newPeering(hub, b),
      routeBlockVersions: [{ gatewayId: hub.id, block: '16:10.2', version: 1, descendants: 0 }],
    };

    // Act
    const creation = repository.createPeering(input);

    // Assess
    await expect(creation).rejects.toBeInstanceOf(ChecksOutdatedError);
    await expect(creation).rejects.not.toBeInstanceOf(ConflictError);
    expect(await repository.getPeering(input.id)).toBeUndefined();
    expect((await repository.getGateway(hub.id))?.desiredGeneration).toBe(hub.desiredGeneration);
  });

  it('commits when only the generation moved (a road-warrior, a peering elsewhere): no new check', async () => {
    // Prepare: the checks ran, then a road-warrior joined the hub (its generation moved).
    const [hub, b] = await hubAndOverlappingSpokes();
    const repository = db.repository();
    const blocks = await repository.readRouteBlocks([
      { gatewayId: hub.id, prefixes: [b.vpcCidr, b.tunnelSubnet] },
      { gatewayId: b.id, prefixes: [hub.vpcCidr, hub.tunnelSubnet] },
    ]);
    await repository.addRoadWarrior({
      gatewayId: hub.id,
      name: 'laptop',
      publicKey: publicKeyOf(hub.id, 'laptop'),
      privateKeyParam: null,
      createdAt: new Date().toISOString(),
    });
    const input = { ...newPeering(hub, b), routeBlockVersions: blocks };

    // Act
    const peering = await repository.createPeering(input);

    // Assess: written at the generation after the road-warrior's, which is the hub's now.
    const [hubSide] = peering.sides;
    expect(hubSide?.generation).toBe(hub.desiredGeneration + 2);
    expect((await repository.getGateway(hub.id))?.desiredGeneration).toBe(hub.desiredGeneration + 2);
  });
});
