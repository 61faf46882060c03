/**
 * A hub's shared /16 route block at DynamoDB's 400 KB (docs/DECISIONS.md, "Peerings per gateway"):
 * every peering routing a /24 or longer into that /16 adds an attribute to it. Past the limit a
 * create's transaction is cancelled with a ValidationError, which was read as a lost race (30
 * attempts, the ASL's retries, "try again"). It is a refusal now: ItemTooLargeError at once,
 * nothing written, the preshared key deleted, and the create ends FAILED with a reason that says
 * what to do. The per-gateway peering quota keeps a deployment far below it (test/api).
 */
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { MemoryAudit } from '../../lambdas/adapters/local/memory-audit';
import { createPeering } from '../../lambdas/app/api/peerings';
import { allocatePeering } from '../../lambdas/app/peering-workflow';
import { ItemTooLargeError } from '../../lambdas/core/errors';
import { FAILURE_REASONS } from '../../lambdas/core/failure-reasons';
import type { GatewayRecord } from '../../lambdas/core/types';
import { provideDependencies, resetDependencies } from '../../lambdas/shared/deps';
import { STEP_FUNCTIONS } from '../../runtime/step-functions';
import { LocalWorkflowEngine } from '../../runtime/workflow-engine';
import { useDynamoDb } from '../support/dynamodb';
import { MemorySecrets } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { ownerLimits } from '../support/limits';
import { uniqueId } from '../support/records';

const db = useDynamoDb();

/** DynamoDB's item limit, in bytes of names and values. */
const ITEM_LIMIT_BYTES = 400 * 1024;

/** About an item's size as DynamoDB counts it (names, strings, lists of strings, numbers). */
function itemBytes(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, value]) => {
    const bytes = Array.isArray(value)
      ? 3 + value.reduce((total: number, entry: string) => total + Buffer.byteLength(entry) + 1, 0)
      : typeof value === 'number'
        ? 21
        : Buffer.byteLength(String(value));
    return sum + Buffer.byteLength(name) + bytes;
  }, 0);
}

/** A peering id of the length the API mints (its route attribute's size matters here). */
const randomPeeringId = () => `pcx-${randomBytes(8).toString('hex')}`;

/** Spoke `i`: a /28 VPC and a /30 tunnel subnet of 100.64.0.0/16, both /24 or longer. */
const spoke = (owner: string, i: number): GatewayRecord =>
  gatewayRecord({
    id: uniqueId(`spoke${i}`),
    ownerId: owner,
    vpcCidr: `10.${i >> 8}.${i & 255}.0/28`,
    tunnelSubnet: `100.64.${i >> 6}.${(i & 63) * 4}/30`,
    tunnelIp: `100.64.${i >> 6}.${(i & 63) * 4 + 1}`,
  });

/**
 * A hub peered with spoke 0, whose /16 block 100.64 then gets the route attributes of earlier
 * spokes' /30s (the shape the real peering wrote) up to just under 400 KB, and a next spoke.
 */
async function hubWithFullBlock() {
  const owner = uniqueId('owner');
  const hub = gatewayRecord({
    id: uniqueId('hub'),
    ownerId: owner,
    vpcCidr: '172.16.0.0/16',
    tunnelSubnet: '100.96.0.0/16',
    tunnelIp: '100.96.0.1',
  });
  const first = spoke(owner, 0);
  const next = spoke(owner, 9000);
  expect(next.tunnelSubnet).toBe('100.64.140.160/30');
  for (const gateway of [hub, first, next]) await db.repository().createGateway(gateway);
  const secrets = new MemorySecrets();
  const firstPeeringId = randomPeeringId();
  const deps = { repository: db.repository(), secrets, audit: new MemoryAudit(), clock: () => new Date() };
  await allocatePeering(deps, {
    peeringId: firstPeeringId,
    gatewayId: hub.id,
    remoteGatewayId: first.id,
  });
  const key = { pk: `GW#${hub.id}`, sk: 'ROUTES#16:100.64' };
  const { Item } = await db.documentClient().send(new GetCommand({ TableName: db.tableName, Key: key }));
  const block: Record<string, unknown> = { ...Item };
  // Routes of earlier spokes (the shape the real peering wrote) while the item still fits: the
  // next peering's own route (the same size, spoke 9000's /30 being the longest text) overflows it.
  const route = (n: number) => ({
    [`route:pcx-${n.toString(16).padStart(16, '0')}`]: [`100.64.${n >> 6}.${(n & 63) * 4}/30`],
  });
  let n = 1;
  let bytes = itemBytes(block);
  while (bytes < ITEM_LIMIT_BYTES) {
    Object.assign(block, route(n));
    bytes += itemBytes(route(n));
    n += 1;
  }
  for (;;) {
    block.descendants = n;
    const put = new PutCommand({ TableName: db.tableName, Item: block });
    const stored = await db
      .documentClient()
      .send(put)
      .then(
        () => true,
        (error: Error) => {
          if (error.name !== 'ValidationException') throw error;
          return false;
        },
      );
    if (stored) break;
    n -= 1;
    for (const name of Object.keys(route(n))) delete block[name];
  }
  return { hub, next, secrets, deps, firstPeeringId };
}

/** Every item of both gateways' partitions: addresses, peer entries, key items, blocks, counters. */
async function partitions(...gatewayIds: string[]) {
  const items = await Promise.all(
    gatewayIds.map((id) =>
      db.documentClient().send(
        new QueryCommand({
          TableName: db.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': `GW#${id}` },
          ConsistentRead: true,
        }),
      ),
    ),
  );
  return items.map((output) => output.Items);
}

afterEach(() => resetDependencies());

it('a route block past 400 KB makes the allocation fail at once with ItemTooLargeError, nothing written', async () => {
  // Prepare
  const { hub, next, secrets, deps } = await hubWithFullBlock();
  const before = await partitions(hub.id, next.id);
  const peeringId = randomPeeringId();
  const started = Date.now();

  // Act
  const outcome = await allocatePeering(deps, {
    peeringId,
    gatewayId: hub.id,
    remoteGatewayId: next.id,
  }).catch((error: unknown) => error);

  // Assess: one transaction's refusal (was: 30 attempts, about 11 s, then TransientError).
  expect(outcome).toBeInstanceOf(ItemTooLargeError);
  expect(Date.now() - started).toBeLessThan(5_000);
  expect(await db.repository().getPeering(peeringId)).toBeUndefined();
  expect(await partitions(hub.id, next.id)).toEqual(before);
  expect(secrets.values.has(secrets.names.presharedKey(peeringId))).toBe(false);
}, 60_000);

it('the create ends FAILED with a reason that says what to do, its preshared key deleted', async () => {
  // Prepare: the real ASL and steps on this table.
  const { hub, next, secrets, firstPeeringId } = await hubWithFullBlock();
  provideDependencies({ repository: db.repository(), secrets, audit: new MemoryAudit() });
  const engine = new LocalWorkflowEngine({
    statemachineDir: resolve(__dirname, '../../statemachine'),
    functions: STEP_FUNCTIONS,
    waitMs: 10,
    retryIntervalMs: 10,
  });
  const before = await partitions(hub.id, next.id);
  const caller = { userId: hub.ownerId, isAdmin: false };
  const timing = { waitMs: 20_000, pollMs: 20 };
  const limits = ownerLimits();

  // Act
  const outcome = await createPeering(
    { repository: db.repository(), workflows: engine, clock: () => new Date() },
    caller,
    hub.id,
    next.id,
    undefined,
    timing,
    limits,
  );
  await engine.idle();

  // Assess: 502 PEERING_FAILED with the reason (was: 503, "try again"), nothing left allocated.
  expect(outcome).toEqual({ kind: 'failed', reason: FAILURE_REASONS.tooLarge });
  expect(await partitions(hub.id, next.id)).toEqual(before);
  expect(
    [...secrets.values.keys()].filter((name) => name !== secrets.names.presharedKey(firstPeeringId)),
  ).toEqual([]);
}, 60_000);
