/**
 * The busy hub (docs/DECISIONS.md "Busy hub: route locks" and "Busy hub: the hub item"): 100
 * create-peering executions from one hub to 100 spokes, all started at once on the real ASL,
 * handlers, the workflow bench's in-memory repository and the gateway script (files-only hosts).
 * Each peering adds the spoke's VPC (its own /16) and tunnel subnet (a /24 of one shared /16) to
 * the hub: no two overlap, so none may invalidate another's checks into failure. All must end
 * ACTIVE, with invariants 1 (no tunnel address twice within a gateway) and 2 (one live peering per
 * pair) holding after.
 *
 * The hub item's contention on DynamoDB, which this in-memory repository cannot show, is
 * test/persistence/busy-hub.test.ts (docs/DECISIONS.md "Busy hub: the hub item").
 */
import type { GatewayRecord } from '../../lambdas/core/types';
import { everyPeering } from '../support/pages';
import { useWorkflowBench } from '../support/workflow-bench';

const SPOKES = 100;
/** 200 pushes of the real script on a shared 2-core machine; the work, not a speed assertion. */
const HUB_TIMEOUT_MS = 20 * 60_000;

const bench = useWorkflowBench();

/** PushConfig steps that sent a command to `gatewayId` (a queued or skipped push sends none). */
const commandsSentTo = (gatewayId: string): number =>
  bench.calls.filter((call) => {
    const ticket = (call.result as { ticket?: { gatewayId: string; commandId?: string } } | undefined)
      ?.ticket;
    return (
      call.step === 'PushConfigFunctionArn' &&
      ticket?.gatewayId === gatewayId &&
      ticket.commandId !== undefined
    );
  }).length;

const duplicates = (values: string[]) => values.filter((value, i) => values.indexOf(value) !== i);

it(
  `${SPOKES} concurrent creates from one hub all end ACTIVE, with invariants 1 and 2 after`,
  async () => {
    // Prepare
    const hub = await bench.gateway({
      vpcCidr: '172.16.0.0/16',
      tunnelSubnet: '100.96.0.0/24',
      tunnelIp: '100.96.0.1',
    });
    const spokes: GatewayRecord[] = [];
    for (let i = 0; i < SPOKES; i++) {
      spokes.push(
        await bench.gateway({
          vpcCidr: `10.${i}.0.0/16`,
          tunnelSubnet: `100.97.${i}.0/24`,
          tunnelIp: `100.97.${i}.1`,
        }),
      );
    }
    const engine = bench.engine();

    // Act
    const ids = await Promise.all(
      spokes.map((spoke, i) =>
        engine.start('create-peering', `pcx-hub-${i}`, {
          peeringId: `pcx-hub-${i}`,
          gatewayId: hub.id,
          remoteGatewayId: spoke.id,
        }),
      ),
    );
    await engine.idle();

    // Assess: every execution succeeded and every peering is ACTIVE with both sides applied.
    const results = await Promise.all(ids.map(({ executionId }) => engine.describe(executionId)));
    // Coalesced: one push in flight on the hub, the next renders the latest generation, so the hub
    // gets far fewer commands than its 100 pushes (docs/DECISIONS.md "Coalescing a gateway's pushes").
    const hubCommands = commandsSentTo(hub.id);
    console.log(`busy hub: ${hubCommands} commands sent to the hub for ${SPOKES} pushes`);
    expect(hubCommands).toBeLessThanOrEqual(SPOKES / 4);
    expect(results.filter((result) => result.status !== 'SUCCEEDED')).toEqual([]);
    const peerings = (await everyPeering(bench.repository(), { ownerId: hub.ownerId })).filter((peering) =>
      peering.gatewayIds.includes(hub.id),
    );
    expect(peerings).toHaveLength(SPOKES);
    expect(peerings.filter((peering) => peering.status !== 'ACTIVE')).toEqual([]);
    expect(peerings.every((peering) => peering.sides.every((side) => side.applied))).toBe(true);

    // Invariant 1: no tunnel address twice within the hub (entries and allocation items agree).
    const peerAddresses = (await bench.repository().listPeers(hub.id)).map((peer) => peer.tunnelIp);
    const allocations = bench.addressesHeld(hub.id);
    expect(peerAddresses).toHaveLength(SPOKES);
    expect(duplicates(peerAddresses)).toEqual([]);
    expect([...allocations].sort()).toEqual([...peerAddresses].sort());
    // Invariant 2: one live peering per pair, and its pair lock names it.
    const pairs = peerings.map((peering) => [...peering.gatewayIds].sort().join('|'));
    expect(duplicates(pairs)).toEqual([]);
    const peered = await bench.repository().peeredWith(
      hub.id,
      spokes.map((spoke) => spoke.id),
    );
    expect(peered.size).toBe(SPOKES);
  },
  HUB_TIMEOUT_MS,
);
