/**
 * "VPN Gateway Updated" moving a peered gateway's publicIp where a tunnel would carry its own
 * transport (docs/CONTRACT.md#events; docs/DECISIONS.md, "A peering never routes its own transport,
 * on a hub and across updates"): into a prefix the gateway routes, its own VPC CIDR (which its peer
 * gateways route), or another peering's prefix on a peer gateway. Refused with nothing changed, as
 * a create of such a peering is; only where the deployment allows private public IPs.
 */
import type { Context } from 'aws-lambda';
import type { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { handler } from '../../lambdas/handlers/gateway-events';
import { GATEWAY_UPDATED } from '../../lambdas/shared/event-patterns';
import { busEvent } from '../support/events';
import { useEventDependencies } from '../support/events-fixture';
import { PacedWorkflows } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { newPeering, uniqueId } from '../support/records';

const context = {} as Context;
const NOW = new Date('2025-06-01T12:00:00.000Z');

const updated = (gateway: GatewayRecord) =>
  busEvent(GATEWAY_UPDATED, toPublicGateway(gateway), { time: NOW });

describe('an Updated event moving a peered gateway endpoint inside a routed prefix', () => {
  const allowPrivate = process.env.PUBLIC_IP_ALLOW_PRIVATE;
  const deps = useEventDependencies(() => ({ clock: () => NOW, workflows: new PacedWorkflows() }));
  let repository: MemoryRepository;
  let workflows: PacedWorkflows;

  beforeEach(() => {
    process.env.PUBLIC_IP_ALLOW_PRIVATE = 'true';
    ({ repository, workflows } = deps());
  });

  afterAll(() => {
    if (allowPrivate === undefined) delete process.env.PUBLIC_IP_ALLOW_PRIVATE;
    else process.env.PUBLIC_IP_ALLOW_PRIVATE = allowPrivate;
  });

  /** A hub peered with spokes b and c: the hub routes 10.1/16 and 10.2/16, each spoke 10.0/16. */
  async function hubWithTwoSpokes() {
    const hub = gatewayRecord({ id: uniqueId('hub'), vpcCidr: '10.0.0.0/16', publicIp: '172.20.0.1' });
    const spoke = (n: number) =>
      gatewayRecord({
        id: uniqueId(`spoke${n}`),
        vpcCidr: `10.${n}.0.0/16`,
        tunnelSubnet: `100.65.${n}.0/24`,
        tunnelIp: `100.65.${n}.1`,
        publicIp: `172.20.0.${n + 1}`,
      });
    const [b, c] = [spoke(1), spoke(2)];
    for (const gateway of [hub, b, c]) await repository.createGateway(gateway);
    const peerings = [newPeering(hub, b), newPeering(hub, c)];
    for (const peering of peerings) await repository.createPeering(peering);
    return { hub, b, c, peerNames: peerings.map((peering) => peering.sides[0].peer.name) };
  }

  /** Every gateway's record and every entry of the hub's peerings on both sides. */
  const snapshot = async (gateways: GatewayRecord[]) => ({
    gateways: await Promise.all(gateways.map((gateway) => repository.getGateway(gateway.id))),
    entries: await Promise.all(gateways.map((gateway) => repository.listPeeringPeers(gateway.id))),
  });

  it.each<[string, 'hub' | 'c', string, RegExp]>([
    [
      "the hub's own VPC CIDR, which its peer gateways route",
      'hub',
      '10.0.0.9',
      /^publicIp: lies inside this gateway's own VPC CIDR or tunnel subnet/,
    ],
    [
      'a prefix the hub routes to one of its peers',
      'hub',
      '10.1.0.9',
      /^publicIp: lies inside a prefix this gateway routes through its tunnel/,
    ],
    [
      "another spoke's VPC CIDR, which the hub (spoke c's peer gateway) routes",
      'c',
      '10.1.0.9',
      /^publicIp: lies inside a prefix peer gateway hub-\S+ routes through its tunnel/,
    ],
  ])('refuses a move into %s, and changes nothing', async (_case, which, publicIp, reason) => {
    // Prepare
    const gateways = await hubWithTwoSpokes();
    const all = [gateways.hub, gateways.b, gateways.c];
    const before = await snapshot(all);

    // Act
    const outcome = handler(updated({ ...gateways[which], publicIp }), context);

    // Assess: a ValidationError (the dead-letter queue's), before the registry or an entry changed.
    await expect(outcome).rejects.toMatchObject({
      name: 'ValidationError',
      message: expect.stringMatching(reason),
    });
    expect(workflows.starts).toEqual([]);
    expect(await snapshot(all)).toEqual(before);
  });

  it('accepts a move to a private address no tunnel routes, and gives the peers the new endpoint', async () => {
    // Prepare
    const { hub, b, peerNames } = await hubWithTwoSpokes();

    // Act
    await handler(updated({ ...hub, publicIp: '172.20.9.9' }), context);

    // Assess
    expect((await repository.getGateway(hub.id))?.publicIp).toBe('172.20.9.9');
    expect((await repository.getPeer(b.id, peerNames[0] ?? ''))?.endpoint).toBe('172.20.9.9:51820');
  });
});
