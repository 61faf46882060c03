/**
 * The gateway deletion cascade on DynamoDB Local, as deployed: the stream poller delivers the
 * table's records to the cascade handler, gateway events go through the event router to their
 * handler, and the handlers' dependencies are in-memory fakes around the real repository, fresh
 * for each test. Shared by the cascade suites (test/events/cascade*.test.ts).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { keys } from '../../lambdas/adapters/dynamodb/items';
import type { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import { handler as cascade } from '../../lambdas/handlers/cascade';
import { handler as gatewayEvents } from '../../lambdas/handlers/gateway-events';
import { provideDependencies, resetDependencies } from '../../lambdas/shared/deps';
import {
  GATEWAY_DELETED,
  GATEWAY_EVENT_SOURCE,
  gatewayEventsPattern,
} from '../../lambdas/shared/event-patterns';
import { createEventRouter } from '../../runtime/event-router';
import { type StreamPoller, startStreamPoller } from '../../runtime/stream-poller';
import { type DynamoDbFixture, useDynamoDb } from './dynamodb';
import { MemoryPublications, MemorySecrets, RecordingCommands, RecordingWorkflows } from './fakes';
import { gatewayRecord } from './gateways';
import { newPeering, roadWarrior, uniqueId } from './records';

export const context = {} as Context;

/** What each test gets afresh: the real repository and the fakes the handlers are given. */
export interface CascadeDeps {
  repository: DynamoRepository;
  workflows: RecordingWorkflows;
  secrets: MemorySecrets;
  commands: RecordingCommands;
  publications: MemoryPublications;
}

export interface CascadeBench {
  db: DynamoDbFixture;
  /** This test's dependencies (valid from its beforeEach on). */
  deps(): CascadeDeps;
  /** Every batch the stream delivered to the cascade this test, with its answer. */
  delivered: { event: DynamoDBStreamEvent; response: DynamoDBBatchResponse }[];
  poller(): StreamPoller;
  router: ReturnType<typeof createEventRouter>;
}

export function useCascadeBench(): CascadeBench {
  const db = useDynamoDb();
  const delivered: CascadeBench['delivered'] = [];
  let poller: StreamPoller | undefined;
  let current: CascadeDeps | undefined;
  beforeAll(async () => {
    poller = startStreamPoller({
      endpoint: db.endpoint(),
      credentials: db.clientConfig().credentials,
      tableName: db.tableName,
      intervalMs: 20,
      handler: async (event) => {
        const response = await cascade(event, context);
        delivered.push({ event, response });
        return response;
      },
    });
    await poller.idle();
  });
  afterAll(async () => {
    await poller?.stop();
    resetDependencies();
  });
  beforeEach(() => {
    delivered.length = 0;
    current = {
      repository: db.repository(),
      workflows: new RecordingWorkflows(),
      secrets: new MemorySecrets(),
      commands: new RecordingCommands(),
      publications: new MemoryPublications(),
    };
    const { publications, ...rest } = current;
    provideDependencies({ ...rest, configStore: publications, instanceSecrets: publications });
  });
  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`${what} is set up in the suite's beforeAll/beforeEach`);
    return value;
  };
  return {
    db,
    deps: () => started(current, 'the dependencies'),
    delivered,
    poller: () => started(poller, 'the stream poller'),
    router: createEventRouter([{ pattern: gatewayEventsPattern, handler: (e) => gatewayEvents(e, context) }]),
  };
}

/**
 * Gateway A peered with B and C, with two road-warrior clients (one with a generated key), and
 * B with a road-warrior of its own. A's and the clients' keys are in the secret store.
 */
export async function seed(bench: CascadeBench) {
  const { repository, secrets } = bench.deps();
  const a = gatewayRecord({ id: uniqueId('gw-a'), privateKeyParam: null });
  const withKey = { ...a, privateKeyParam: secrets.names.gatewayPrivateKey(a.id) };
  const b = gatewayRecord({ id: uniqueId('gw-b') });
  const c = gatewayRecord({ id: uniqueId('gw-c') });
  for (const gateway of [withKey, b, c]) await repository.createGateway(gateway);
  const ab = await repository.createPeering(newPeering(withKey, b));
  const ac = await repository.createPeering(newPeering(withKey, c));
  const laptopKey = secrets.names.roadWarriorPrivateKey(a.id, 'laptop', 'k1');
  const bPhoneKey = secrets.names.roadWarriorPrivateKey(b.id, 'phone', 'k1');
  await repository.addRoadWarrior({ ...roadWarrior(a.id, 'laptop'), privateKeyParam: laptopKey });
  await repository.addRoadWarrior(roadWarrior(a.id, 'own-key'));
  await repository.addRoadWarrior({ ...roadWarrior(b.id, 'phone'), privateKeyParam: bPhoneKey });
  for (const name of [withKey.privateKeyParam, laptopKey, bPhoneKey])
    await secrets.putIfAbsent(name, 'secret');
  await bench.poller().idle();
  bench.delivered.length = 0;
  return { a: withKey, b, ab, ac, laptopKey, bPhoneKey };
}

/** Every item of a gateway's partition. */
export const partitionItems = async (bench: CascadeBench, gatewayId: string) =>
  (
    await bench.db.documentClient().send(
      new QueryCommand({
        TableName: bench.db.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': keys.gatewayPartition(gatewayId) },
      }),
    )
  ).Items ?? [];

/** The product's "VPN Gateway Deleted", through the event router. */
export const deleteViaEvent = (bench: CascadeBench, gatewayId: string) =>
  bench.router.putEvents({
    Entries: [
      { Source: GATEWAY_EVENT_SOURCE, DetailType: GATEWAY_DELETED, Detail: JSON.stringify({ gatewayId }) },
    ],
  });

export const tombstoneOf = async (bench: CascadeBench, gatewayId: string) =>
  (
    await bench.db
      .documentClient()
      .send(new GetCommand({ TableName: bench.db.tableName, Key: keys.tombstone(gatewayId) }))
  ).Item;

/** The delete-peering starts of `peeringIds`, as the cascade makes them. */
export const deleteStarts = (...peeringIds: string[]) =>
  peeringIds.map((peeringId) => ({
    workflow: 'delete-peering',
    name: `delete-${peeringId}`,
    input: { peeringId },
  }));

/** The gateway items' REMOVE records the stream delivered this test. */
export const gatewayRemovals = (bench: CascadeBench) =>
  bench.delivered
    .flatMap((d) => d.event.Records)
    .filter((r) => r.eventName === 'REMOVE' && r.dynamodb?.Keys?.sk?.S === 'META');

/** The first of them, which a test then delivers again. */
export function firstGatewayRemoval(bench: CascadeBench): DynamoDBRecord {
  const [removal] = gatewayRemovals(bench);
  if (!removal) throw new Error('the stream did not deliver the removal');
  return removal;
}

/** Documents of `gatewayId` at generations 1 and `last`, and a copy of its key delivered to its instance. */
export async function published(bench: CascadeBench, gatewayId: string, instanceId: string, last: number) {
  const { publications, secrets } = bench.deps();
  const target = { gatewayId, instanceId };
  for (const generation of [1, last])
    await publications.put(target, generation, `{"generation":${generation}}`);
  await publications.deliver(target, [secrets.names.gatewayPrivateKey(gatewayId)]);
}

/** Resolves once `condition` holds; throws after `timeoutMs`. */
export async function until(what: string, condition: () => boolean, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** A stream REMOVE of `oldItem`, made up (the table is not changed). */
export function removeRecord(sequenceNumber: string, oldItem: object): DynamoDBRecord {
  const image = marshall(oldItem, { removeUndefinedValues: true }) as NonNullable<
    DynamoDBRecord['dynamodb']
  >['OldImage'];
  return {
    eventID: `event-${sequenceNumber}`,
    eventName: 'REMOVE',
    eventVersion: '1.1',
    eventSource: 'aws:dynamodb',
    awsRegion: 'us-east-1',
    dynamodb: { SequenceNumber: sequenceNumber, OldImage: image, StreamViewType: 'NEW_AND_OLD_IMAGES' },
  };
}
