import { setTimeout as sleep } from 'node:timers/promises';
import { GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import type { Context, DynamoDBBatchResponse, DynamoDBRecord, DynamoDBStreamEvent } from 'aws-lambda';
import { gatewayItem, keys } from '../../lambdas/adapters/dynamodb/items';
import type { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import { ConflictError } from '../../lambdas/core/errors';
import { toPublicGateway } from '../../lambdas/core/views';
import { handler as cascade } from '../../lambdas/handlers/cascade';
import { handler as gatewayEvents } from '../../lambdas/handlers/gateway-events';
import { provideDependencies, resetDependencies } from '../../lambdas/shared/deps';
import {
  GATEWAY_DELETED,
  GATEWAY_EVENT_SOURCE,
  GATEWAY_UPDATED,
  gatewayEventsPattern,
} from '../../lambdas/shared/event-patterns';
import { createEventRouter } from '../../runtime/event-router';
import { type StreamPoller, startStreamPoller } from '../../runtime/stream-poller';
import { useDynamoDb } from '../support/dynamodb';
import { busEvent } from '../support/events';
import { MemoryPublications, MemorySecrets, RecordingCommands, RecordingWorkflows } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { newPeering, roadWarrior, uniqueId } from '../support/records';

const db = useDynamoDb();
const context = {} as Context;

describe('gateway deletion cascade', () => {
  const delivered: { event: DynamoDBStreamEvent; response: DynamoDBBatchResponse }[] = [];
  let poller: StreamPoller;
  let repository: DynamoRepository;
  let workflows: RecordingWorkflows;
  let secrets: MemorySecrets;
  let commands: RecordingCommands;
  let publications: MemoryPublications;
  const router = createEventRouter([
    { pattern: gatewayEventsPattern, handler: (e) => gatewayEvents(e, context) },
  ]);

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
    await poller.stop();
    resetDependencies();
  });

  beforeEach(() => {
    delivered.length = 0;
    repository = db.repository();
    workflows = new RecordingWorkflows();
    secrets = new MemorySecrets();
    commands = new RecordingCommands();
    publications = new MemoryPublications();
    provideDependencies({
      repository,
      workflows,
      secrets,
      commands,
      configStore: publications,
      instanceSecrets: publications,
    });
  });

  /**
   * Gateway A peered with B and C, with two road-warrior clients (one with a generated key), and
   * B with a road-warrior of its own. A's and the clients' keys are in the secret store.
   */
  async function seed() {
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
    await poller.idle();
    delivered.length = 0;
    return { a: withKey, b, ab, ac, laptopKey, bPhoneKey };
  }

  const partitionItems = async (gatewayId: string) =>
    (
      await db.documentClient().send(
        new QueryCommand({
          TableName: db.tableName,
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': keys.gatewayPartition(gatewayId) },
        }),
      )
    ).Items ?? [];

  const deleteViaEvent = (gatewayId: string) =>
    router.putEvents({
      Entries: [
        { Source: GATEWAY_EVENT_SOURCE, DetailType: GATEWAY_DELETED, Detail: JSON.stringify({ gatewayId }) },
      ],
    });

  const tombstoneOf = async (gatewayId: string) =>
    (
      await db
        .documentClient()
        .send(new GetCommand({ TableName: db.tableName, Key: keys.tombstone(gatewayId) }))
    ).Item;

  const deleteStarts = (...peeringIds: string[]) =>
    peeringIds.map((peeringId) => ({
      workflow: 'delete-peering',
      name: `delete-${peeringId}`,
      input: { peeringId },
    }));

  const gatewayRemovals = () =>
    delivered
      .flatMap((d) => d.event.Records)
      .filter((r) => r.eventName === 'REMOVE' && r.dynamodb?.Keys?.sk?.S === 'META');

  it('deletes every peering, the generated keys and the residue of a gateway deleted by event', async () => {
    // Prepare
    const { a, b, ab, ac, laptopKey, bPhoneKey } = await seed();

    // Act
    const result = await deleteViaEvent(a.id);
    await poller.idle();

    // Assess
    expect(result.FailedEntryCount).toBe(0);
    expect(await repository.getGateway(a.id)).toBeUndefined();
    const byName = (x: { name: string }, y: { name: string }) => x.name.localeCompare(y.name);
    expect([...workflows.starts].sort(byName)).toEqual(deleteStarts(ab.id, ac.id).sort(byName));
    expect(secrets.values.has(a.privateKeyParam ?? '')).toBe(false);
    expect(secrets.values.has(laptopKey)).toBe(false);
    expect(secrets.values.has(bPhoneKey)).toBe(true);
    expect(await partitionItems(a.id)).toEqual([]);
    // The remote side is the delete-peering workflow's job (faked here): B is untouched.
    expect((await repository.listPeers(b.id)).map((p) => p.name).sort()).toEqual([
      'phone',
      `vpc-peering-${ab.id}`,
    ]);
    expect(delivered.map((d) => d.response)).toEqual(delivered.map(() => ({ batchItemFailures: [] })));
  });

  it('does nothing more when the same stream record is delivered again', async () => {
    // Prepare
    const { a } = await seed();
    await deleteViaEvent(a.id);
    await poller.idle();
    const [removal] = gatewayRemovals();
    const startsBefore = [...workflows.starts];
    const secretsBefore = [...secrets.values.keys()];
    if (!removal) throw new Error('the stream did not deliver the removal');

    // Act
    const response = await cascade({ Records: [removal] }, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(workflows.starts).toEqual(startsBefore);
    expect([...secrets.values.keys()]).toEqual(secretsBefore);
    expect(await partitionItems(a.id)).toEqual([]);
  });

  it('reports the failed record and every later one, and finishes the job on redelivery', async () => {
    // Prepare: a batch of three REMOVEs, of which the middle one's cascade fails.
    const { a, ab, ac, laptopKey } = await seed();
    const other = gatewayRecord({ id: uniqueId('gw-other') });
    await repository.createGateway(other);
    const records = [
      removeRecord('1', { ...keys.peer(a.id, 'own-key'), entity: 'peer', name: 'own-key' }),
      removeRecord('2', gatewayItem(a, { allocatedCount: 0, capacity: 253 })),
      removeRecord('3', gatewayItem(other, { allocatedCount: 0, capacity: 253 })),
    ];
    // The tombstone A's deletion writes with it: its cascade is pending (the others' is not).
    await db.documentClient().send(
      new PutCommand({
        TableName: db.tableName,
        Item: {
          ...keys.tombstone(a.id),
          entity: 'tombstone',
          lastGeneration: a.desiredGeneration,
          cascadePending: true,
        },
      }),
    );
    workflows.failFor = (name) => name === `delete-${ac.id}`;

    // Act
    const failed = await cascade({ Records: records }, context);
    workflows.failFor = () => false;
    const redelivered = await cascade({ Records: records.slice(1) }, context);

    // Assess
    expect(failed).toEqual({ batchItemFailures: [{ itemIdentifier: '2' }, { itemIdentifier: '3' }] });
    expect(redelivered).toEqual({ batchItemFailures: [] });
    // Started once or twice (Step Functions dedupes by name), always with the same input.
    const distinct = [...new Map(workflows.starts.map((s) => [s.name, s])).values()];
    expect(distinct.sort((x, y) => x.name.localeCompare(y.name))).toEqual(
      deleteStarts(ab.id, ac.id).sort((x, y) => x.name.localeCompare(y.name)),
    );
    expect(secrets.values.has(laptopKey)).toBe(false);
    // The records were made up, so the gateway item itself is still there: only it is left.
    expect((await partitionItems(a.id)).map((item) => item.sk)).toEqual(['META']);
    expect(await tombstoneOf(a.id)).toMatchObject({ cascadePending: false });
  });

  /** Documents of `gatewayId` at generations 1 and `last`, and a copy of its key delivered to its instance. */
  async function published(gatewayId: string, instanceId: string, last: number) {
    const target = { gatewayId, instanceId };
    for (const generation of [1, last])
      await publications.put(target, generation, `{"generation":${generation}}`);
    await publications.deliver(target, [secrets.names.gatewayPrivateKey(gatewayId)]);
  }

  it('tears down the instance of a deleted gateway at its last generation, and deletes what was published for it', async () => {
    // Prepare
    const { a, b } = await seed();
    const last = (await repository.getGateway(a.id))?.desiredGeneration ?? -1;
    await published(a.id, a.instanceId, last);
    await published(b.id, b.instanceId, 2);

    // Act
    await deleteViaEvent(a.id);
    await poller.idle();

    // Assess
    expect(last).toBeGreaterThan(0);
    expect(commands.teardowns).toEqual([{ instanceId: a.instanceId, gatewayId: a.id, generation: last }]);
    expect([...(publications.documents.get(a.id)?.keys() ?? [])]).toEqual([]);
    expect(publications.copies.has(a.id)).toBe(false);
    expect([...(publications.documents.get(b.id)?.keys() ?? [])]).toEqual([1, 2]);
    expect(publications.copies.has(b.id)).toBe(true);
    expect(delivered.map((d) => d.response)).toEqual(delivered.map(() => ({ batchItemFailures: [] })));
  });

  it('does not wedge on an instance that is gone: nothing to tear down, every record cleaned', async () => {
    // Prepare
    const { a } = await seed();
    commands.goneInstances.add(a.instanceId);

    // Act
    await deleteViaEvent(a.id);
    await poller.idle();

    // Assess
    expect(commands.teardowns).toEqual([]);
    expect(await partitionItems(a.id)).toEqual([]);
    expect(delivered.map((d) => d.response)).toEqual(delivered.map(() => ({ batchItemFailures: [] })));
  });

  it('retries a teardown that could not be sent with the record, after the records are clean', async () => {
    // Prepare
    const { a } = await seed();
    await deleteViaEvent(a.id);
    await poller.idle();
    const [removal] = gatewayRemovals();
    if (!removal) throw new Error('the stream did not deliver the removal');
    commands.teardowns.length = 0;
    commands.failingTeardowns = 1;

    // Act
    const failed = await cascade({ Records: [removal] }, context);
    const redelivered = await cascade({ Records: [removal] }, context);

    // Assess
    expect(failed.batchItemFailures).toHaveLength(1);
    expect(redelivered).toEqual({ batchItemFailures: [] });
    expect(commands.teardowns).toEqual([
      { instanceId: a.instanceId, gatewayId: a.id, generation: expect.any(Number) },
    ]);
    expect(await partitionItems(a.id)).toEqual([]);
  });

  it('leaves an id registered again alone when a REMOVE of its predecessor arrives; only older documents go', async () => {
    // Prepare: the id is registered again (its records, key and secret copies are the new
    // incarnation's) when the REMOVE of its predecessor arrives: a dead-letter redrive after the
    // predecessor's cascade ended, or a tombstone from before the cascade mark.
    const again = gatewayRecord({ id: uniqueId('gw-again') });
    const key = secrets.names.gatewayPrivateKey(again.id);
    await repository.createGateway({ ...again, privateKeyParam: key });
    await secrets.putIfAbsent(key, 'the new incarnation key');
    await repository.addRoadWarrior(roadWarrior(again.id, 'laptop'));
    await published(again.id, again.instanceId, 9);
    const predecessor = gatewayItem(
      { ...again, privateKeyParam: key, desiredGeneration: 5 },
      { allocatedCount: 0, capacity: 253 },
    );

    // Act
    const response = await cascade({ Records: [removeRecord('9', predecessor)] }, context);

    // Assess
    expect(response).toEqual({ batchItemFailures: [] });
    expect(secrets.values.get(key)).toBe('the new incarnation key');
    expect((await repository.listPeers(again.id)).map((peer) => peer.name)).toEqual(['laptop']);
    expect(publications.copies.has(again.id)).toBe(true);
    expect([...(publications.documents.get(again.id)?.keys() ?? [])]).toEqual([9]);
    expect(commands.teardowns).toEqual([
      { instanceId: again.instanceId, gatewayId: again.id, generation: 5 },
    ]);
  });

  /** Resolves once `condition` holds; throws after `timeoutMs`. */
  async function until(what: string, condition: () => boolean, timeoutMs = 60_000) {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await sleep(20);
    }
  }

  it('refuses to register a deleted id while its cascade is pending, registers it after, and a redrive then leaves it alone', async () => {
    // Prepare: A's cascade fails at one of its peerings, so the stream keeps retrying it.
    const { a, ab, laptopKey } = await seed();
    const key = a.privateKeyParam ?? '';
    workflows.failFor = (name) => name === `delete-${ab.id}`;
    await deleteViaEvent(a.id);
    await until('a failed cascade', () => delivered.some((d) => d.response.batchItemFailures.length > 0));

    // Act: registrations while it is pending, by the API's repository call and by an "Updated" event...
    const byApi = repository.createGateway({ ...a, desiredGeneration: 0 });
    await expect(byApi).rejects.toEqual(new ConflictError('GATEWAY_BEING_DELETED'));
    const byEvent = await router.putEvents({
      Entries: [
        {
          Source: GATEWAY_EVENT_SOURCE,
          DetailType: GATEWAY_UPDATED,
          Detail: JSON.stringify(toPublicGateway(a)),
        },
      ],
    });
    const registeredWhilePending = await repository.getGateway(a.id);
    const keyWhilePending = secrets.values.has(key);
    // ...then, once the cascade ended, for another owner (its key stored anew, as registration does).
    workflows.failFor = () => false;
    await poller.idle();
    const keyAfterCascade = secrets.values.has(key);
    const next = gatewayRecord({ id: a.id, ownerId: 'bob', privateKeyParam: key });
    await repository.createGateway(next);
    await secrets.putIfAbsent(key, 'bob key');
    await repository.addRoadWarrior(roadWarrior(next.id, 'bob-laptop'));
    await publications.deliver({ gatewayId: next.id, instanceId: next.instanceId }, [key]);
    // A dead-letter redrive of A's REMOVE.
    const [removal] = gatewayRemovals();
    if (!removal) throw new Error('the stream did not deliver the removal');
    const startsBefore = [...workflows.starts];
    const redriven = await cascade({ Records: [removal] }, context);

    // Assess: nothing registered while pending; the cascade finished A (key, peerings, residue)...
    expect(byEvent.FailedEntryCount).toBe(0);
    expect(registeredWhilePending).toBeUndefined();
    expect(keyWhilePending).toBe(true);
    expect(keyAfterCascade).toBe(false);
    expect(secrets.values.has(laptopKey)).toBe(false);
    expect(delivered.at(-1)?.response).toEqual({ batchItemFailures: [] });
    // ...and its redrive left the new incarnation alone.
    expect(redriven).toEqual({ batchItemFailures: [] });
    expect(workflows.starts).toEqual(startsBefore);
    expect(await repository.getGateway(a.id)).toMatchObject({ ownerId: 'bob' });
    expect(secrets.values.get(key)).toBe('bob key');
    expect((await repository.listPeers(a.id)).map((peer) => peer.name)).toEqual(['bob-laptop']);
    expect(publications.copies.has(a.id)).toBe(true);
  });

  it("frees a deleted gateway's instance whose release failed once, though its id is registered again elsewhere", async () => {
    // Prepare: A holds its instance's lock, and the table refuses the next release once (throttled).
    const a = gatewayRecord({ id: uniqueId('gw-a') });
    await repository.claimInstance(a.instanceId, a.id);
    await repository.createGateway(a);
    await poller.idle();
    const release = repository.releaseInstance.bind(repository);
    let failuresLeft = 1;
    repository.releaseInstance = async (instanceId, gatewayId) => {
      if (failuresLeft-- > 0) throw new Error('throttled');
      return release(instanceId, gatewayId);
    };

    // Act: A deleted by an event (retried once should it fail, as EventBridge does), its cascade
    // run by the stream to its end, the id registered again on another instance, then another
    // gateway claims A's old instance.
    const deleted = busEvent(GATEWAY_DELETED, { gatewayId: a.id });
    await gatewayEvents(deleted, context).catch(() => gatewayEvents(deleted, context));
    await poller.idle();
    const again = { ...a, instanceId: uniqueId('i-new') };
    await repository.claimInstance(again.instanceId, again.id);
    await repository.createGateway(again);
    const claim = repository.claimInstance(a.instanceId, uniqueId('gw-other'));

    // Assess: the instance is free, and a release did run after the one that failed.
    await expect(claim).resolves.toBeUndefined();
    expect(failuresLeft).toBe(-1);
  });

  it('frees and tears down the instance a gateway deleted in the middle of a move was leaving, though its id is registered again', async () => {
    // Prepare: A on its instance moves to another; the run stops after the registry write, before
    // the move's end freed the old instance (forgetting its reports throttled once).
    const a = gatewayRecord({ id: uniqueId('gw-a') });
    await repository.claimInstance(a.instanceId, a.id);
    await repository.createGateway(a);
    const forget = repository.forgetInstanceReports.bind(repository);
    repository.forgetInstanceReports = async () => {
      throw new Error('throttled');
    };
    const moved = busEvent(GATEWAY_UPDATED, { ...toPublicGateway(a), instanceId: uniqueId('i-new') });
    await expect(gatewayEvents(moved, context)).rejects.toThrow('throttled');
    repository.forgetInstanceReports = forget;
    const generation = (await repository.getGateway(a.id))?.desiredGeneration;

    // Act: A deleted by an event before the move's retry, its cascade run by the stream, the id
    // registered again on a third instance, then another gateway claims A's old instance.
    await gatewayEvents(busEvent(GATEWAY_DELETED, { gatewayId: a.id }), context);
    await poller.idle();
    const again = { ...a, instanceId: uniqueId('i-third') };
    await repository.claimInstance(again.instanceId, again.id);
    await repository.createGateway(again);
    const claim = repository.claimInstance(a.instanceId, uniqueId('gw-other'));

    // Assess: the old instance is free, and torn down at the deleted incarnation's last generation.
    await expect(claim).resolves.toBeUndefined();
    expect(commands.teardowns).toContainEqual({ instanceId: a.instanceId, gatewayId: a.id, generation });
    expect(delivered.map((d) => d.response)).toEqual(delivered.map(() => ({ batchItemFailures: [] })));
  });

  it('ignores removals of other items and changes of gateways', async () => {
    // Prepare
    const { a, laptopKey } = await seed();

    // Act
    await repository.removeRoadWarrior(a.id, 'laptop');
    await repository.upsertGateway({ ...a, name: 'renamed' });
    await repository.putStatusReport({
      gatewayId: a.id,
      appliedGeneration: 1,
      mode: 'files',
      peers: [],
      reportedAt: new Date().toISOString(),
    });
    await poller.idle();

    // Assess
    const eventNames = delivered.flatMap((d) => d.event.Records.map((r) => r.eventName));
    expect(eventNames).toEqual(expect.arrayContaining(['REMOVE', 'MODIFY', 'INSERT']));
    expect(workflows.starts).toEqual([]);
    expect(secrets.values.has(laptopKey)).toBe(true);
    expect((await repository.listPeers(a.id)).length).toBe(3);
  });
});

function removeRecord(sequenceNumber: string, oldItem: object): DynamoDBRecord {
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
