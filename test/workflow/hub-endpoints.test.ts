/**
 * A peering never routes its own transport, on a hub too (docs/CONTRACT.md#prerequisites;
 * docs/DECISIONS.md, "A peering never routes its own transport, on a hub and across updates"): the
 * Validate and Allocate steps refuse a peering whose prefixes cover another peering's endpoint on
 * either gateway, or whose endpoint lies in a prefix either gateway routes to another peer, in
 * whichever order the peerings come (on the in-memory repository; private endpoints are what
 * PUBLIC_IP_ALLOW_PRIVATE admits).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileSecretStore } from '../../lambdas/adapters/local/file-secret-store';
import { MemoryAudit } from '../../lambdas/adapters/local/memory-audit';
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import { allocatePeering, validatePeering } from '../../lambdas/app/peering-workflow';
import type { GatewayRecord } from '../../lambdas/core/types';
import { gatewayRecord } from '../support/gateways';
import { newPeering, uniqueId } from '../support/records';

let dir = '';
let secrets: FileSecretStore;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'hub-endpoints-'));
  secrets = new FileSecretStore(dir);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A hub (10.0/16), b (10.1/16) and c (10.2/16), each with a private endpoint outside every VPC,
 * except `endpoints` given: c's at 10.1.0.9 is inside b's VPC, which a hub peered with b routes.
 */
function gateways(endpoints: { c?: string } = {}): Record<'hub' | 'b' | 'c', GatewayRecord> {
  const gateway = (name: string, n: number, publicIp = `172.20.0.${n + 1}`) =>
    gatewayRecord({
      id: uniqueId(name),
      vpcCidr: `10.${n}.0.0/16`,
      tunnelSubnet: `100.66.${n}.0/24`,
      tunnelIp: `100.66.${n}.1`,
      publicIp,
    });
  return { hub: gateway('hub', 0), b: gateway('b', 1), c: gateway('c', 2, endpoints.c) };
}

type Name = 'hub' | 'b' | 'c';

describe('a peering on a hub whose endpoint meets another peering of the hub', () => {
  it.each<[string, [Name, Name], [Name, Name]]>([
    ["the hub routes b's VPC, then a peering with c (c's endpoint inside it)", ['hub', 'b'], ['hub', 'c']],
    ['the same, created from c', ['hub', 'b'], ['c', 'hub']],
    ["c's endpoint held by the hub, then a peering with b (b's VPC covers it)", ['hub', 'c'], ['hub', 'b']],
    ['the same, created from b', ['hub', 'c'], ['b', 'hub']],
  ])('%s: refused ENDPOINT_INSIDE_PEERED_PREFIX, nothing written', async (_case, existing, created) => {
    // Prepare
    const repository = new MemoryRepository({}, new MemoryState());
    const all = gateways({ c: '10.1.0.9' });
    for (const gateway of Object.values(all)) await repository.createGateway(gateway);
    await repository.createPeering(newPeering(all[existing[0]], all[existing[1]]));
    const peeringId = uniqueId('pcx');
    const request = { peeringId, gatewayId: all[created[0]].id, remoteGatewayId: all[created[1]].id };
    const d = { repository, secrets, audit: new MemoryAudit(), clock: () => new Date() };
    const before = await Promise.all(Object.values(all).map((g) => repository.listPeeringPeers(g.id)));

    // Act: each step as the workflow runs it (Validate, then Allocate, which checks again).
    const validation = await validatePeering(d, request).catch((error: unknown) => error);
    const allocation = await allocatePeering(d, request).catch((error: unknown) => error);

    // Assess: both steps refuse; no peering, no entry, no preshared key.
    const refusal = { name: 'ConflictError', code: 'ENDPOINT_INSIDE_PEERED_PREFIX' };
    expect(validation).toMatchObject(refusal);
    expect(allocation).toMatchObject(refusal);
    expect(await repository.getPeering(peeringId)).toBeUndefined();
    expect(await Promise.all(Object.values(all).map((g) => repository.listPeeringPeers(g.id)))).toEqual(
      before,
    );
    expect(await secrets.get(secrets.names.presharedKey(peeringId))).toBeUndefined();
  });

  it('allows both peerings when no endpoint lies inside a routed prefix', async () => {
    // Prepare
    const repository = new MemoryRepository({}, new MemoryState());
    const all = gateways();
    for (const gateway of Object.values(all)) await repository.createGateway(gateway);
    await repository.createPeering(newPeering(all.hub, all.b));
    const request = { peeringId: uniqueId('pcx'), gatewayId: all.hub.id, remoteGatewayId: all.c.id };
    const d = { repository, secrets, audit: new MemoryAudit(), clock: () => new Date() };

    // Act
    await validatePeering(d, request);
    await allocatePeering(d, request);

    // Assess
    expect(await repository.listPeeringPeers(all.hub.id)).toHaveLength(2);
  });
});
