/**
 * The busy hub on DynamoDB Local (docs/DECISIONS.md "Busy hub: the hub item"): what the in-memory
 * workflow test (test/workflow/busy-hub.test.ts) cannot show, DynamoDB's per-item serialisation of
 * the hub's gateway item, which every peering transaction of the hub updates. The Allocate use case
 * (checks, route blocks, transaction) runs 100 times at once from one hub; no two peerings overlap,
 * so all must be written, with the hub's counters exact and invariants 1 and 2 holding. And the
 * routed-prefix race still binds: of spokes sharing one VPC CIDR, exactly one is peered.
 */
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { MemoryAudit } from '../../lambdas/adapters/local/memory-audit';
import { allocatePeering } from '../../lambdas/app/peering-workflow';
import { ConflictError, TransientError } from '../../lambdas/core/errors';
import type { GatewayRecord } from '../../lambdas/core/types';
import { RETRY_POLICIES } from '../../statemachine/states';
import { useDynamoDb } from '../support/dynamodb';
import { MemorySecrets } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { everyPeering } from '../support/pages';
import { uniqueId } from '../support/records';

const db = useDynamoDb();
const SPOKES = 100;
/** 100 transactions on one item of a Java process shared with other test runs on 2 cores. */
const HUB_TIMEOUT_MS = 5 * 60_000;

const duplicates = (values: string[]) => values.filter((value, i) => values.indexOf(value) !== i);

function allocating() {
  return {
    repository: db.repository(),
    secrets: new MemorySecrets(),
    audit: new MemoryAudit(),
    clock: () => new Date(),
  };
}

async function hubWithSpokes(spokeCount: number, spokeVpc: (i: number) => string) {
  const owner = uniqueId('owner');
  const hub = gatewayRecord({
    id: uniqueId('hub'),
    ownerId: owner,
    vpcCidr: '172.16.0.0/16',
    tunnelSubnet: '100.96.0.0/24',
    tunnelIp: '100.96.0.1',
  });
  const spokes: GatewayRecord[] = Array.from({ length: spokeCount }, (_, i) =>
    gatewayRecord({
      id: uniqueId(`spoke${i}`),
      ownerId: owner,
      vpcCidr: spokeVpc(i),
      tunnelSubnet: `100.97.${i}.0/24`,
      tunnelIp: `100.97.${i}.1`,
    }),
  );
  for (const gateway of [hub, ...spokes]) await db.repository().createGateway(gateway);
  return { hub, spokes };
}

/** The hub item's counters and the addresses its allocation items hold, read raw. */
async function hubItems(gatewayId: string) {
  const documents = db.documentClient();
  const { Item } = await documents.send(
    new GetCommand({ TableName: db.tableName, Key: { pk: `GW#${gatewayId}`, sk: 'META' } }),
  );
  const { Items = [] } = await documents.send(
    new QueryCommand({
      TableName: db.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ip)',
      ExpressionAttributeValues: { ':pk': `GW#${gatewayId}`, ':ip': 'IP#' },
    }),
  );
  return {
    counters: { allocatedCount: Item?.allocatedCount, desiredGeneration: Item?.desiredGeneration },
    addresses: Items.map((item) => String(item.tunnelIp)),
  };
}

/**
 * Allocate as the create workflow runs it: a TransientError (DynamoDB Local timing out on a loaded
 * machine: each repository call already retried its lost races) is retried by the state machine
 * (statemachine/states.ts RETRY_TRANSIENT), with the same peering id: the step is idempotent
 * (docs/CONTRACT.md#invariants 6). Without it, 100 transactions on a JVM shared with a loaded CI
 * run failed here as "gave up after 3 attempts", which the deployed workflow would have retried.
 */
async function allocate(hub: GatewayRecord, spoke: GatewayRecord) {
  const input = { peeringId: uniqueId('pcx'), gatewayId: hub.id, remoteGatewayId: spoke.id };
  const runs = 1 + (RETRY_POLICIES.RETRY_TRANSIENT.MaxAttempts as number);
  for (let run = 1; ; run += 1) {
    try {
      return await allocatePeering(allocating(), input);
    } catch (error) {
      if (!(error instanceof TransientError) || run >= runs) throw error;
    }
  }
}

it(
  `writes ${SPOKES} concurrent peerings from one hub, with exact counters and invariants 1 and 2`,
  async () => {
    // Prepare
    const { hub, spokes } = await hubWithSpokes(SPOKES, (i) => `10.${i}.0.0/16`);

    // Act
    const results = await Promise.allSettled(spokes.map((spoke) => allocate(hub, spoke)));

    // Assess
    expect(results.filter((result) => result.status === 'rejected')).toEqual([]);
    const { counters, addresses: held } = await hubItems(hub.id);
    expect(counters).toEqual({ allocatedCount: SPOKES, desiredGeneration: SPOKES });
    const peerings = await everyPeering(db.repository(), { ownerId: hub.ownerId });
    expect(peerings).toHaveLength(SPOKES);
    // A side's generation is a lower bound of the first generation holding its peer: each commit
    // added exactly one, so no two can claim more than the hub has.
    const hubGenerations = peerings.map((peering) => peering.sides[0].generation);
    expect(hubGenerations.every((generation) => generation >= 1 && generation <= SPOKES)).toBe(true);
    // Invariant 1: no address twice within the hub; entries, allocation items and counter agree.
    const peers = await db.repository().listPeers(hub.id);
    const addresses = peers.map((peer) => peer.tunnelIp);
    expect(addresses).toHaveLength(SPOKES);
    expect(duplicates(addresses)).toEqual([]);
    expect([...held].sort()).toEqual([...addresses].sort());
    // Invariant 2: one live peering per pair.
    const peered = await db.repository().peeredWith(
      hub.id,
      spokes.map((spoke) => spoke.id),
    );
    expect(peered.size).toBe(SPOKES);
  },
  HUB_TIMEOUT_MS,
);

it(
  'still peers exactly one of 10 concurrent spokes that share a VPC CIDR (routed-prefix race)',
  async () => {
    // Prepare: every spoke routes the same 10.200.0.0/16 through the hub.
    const { hub, spokes } = await hubWithSpokes(10, () => '10.200.0.0/16');

    // Act
    const results = await Promise.allSettled(spokes.map((spoke) => allocate(hub, spoke)));

    // Assess
    const refused = results.flatMap((result) => (result.status === 'rejected' ? [result.reason] : []));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    expect(refused).toEqual(Array.from({ length: 9 }, () => new ConflictError('ROUTED_CIDR_CONFLICT')));
    expect(await db.repository().listPeeringPeers(hub.id)).toHaveLength(1);
    expect((await hubItems(hub.id)).counters).toEqual({ allocatedCount: 1, desiredGeneration: 1 });
  },
  HUB_TIMEOUT_MS,
);
