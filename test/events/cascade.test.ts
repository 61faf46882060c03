/**
 * The gateway deletion cascade on DynamoDB Local, through the stream as deployed
 * (test/support/cascade-bench.ts): what it deletes, redeliveries and failed batches, and an id
 * registered again. What it does to the gateway's instances: cascade-instances.test.ts.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { gatewayItem, keys } from '../../lambdas/adapters/dynamodb/items';
import type { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import { ConflictError } from '../../lambdas/core/errors';
import { toPublicGateway } from '../../lambdas/core/views';
import { handler as cascade } from '../../lambdas/handlers/cascade';
import { GATEWAY_EVENT_SOURCE, GATEWAY_UPDATED } from '../../lambdas/shared/event-patterns';
import {
  context,
  deleteStarts,
  deleteViaEvent,
  firstGatewayRemoval,
  gatewayRemovals,
  partitionItems,
  published,
  removeRecord,
  seed,
  tombstoneOf,
  until,
  useCascadeBench,
} from '../support/cascade-bench';
import type {
  MemoryPublications,
  MemorySecrets,
  RecordingCommands,
  RecordingWorkflows,
} from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { roadWarrior, uniqueId } from '../support/records';

const bench = useCascadeBench();
let repository: DynamoRepository;
let workflows: RecordingWorkflows;
let secrets: MemorySecrets;
let commands: RecordingCommands;
let publications: MemoryPublications;
beforeEach(() => {
  ({ repository, workflows, secrets, commands, publications } = bench.deps());
});

it('deletes every peering, the generated keys and the residue of a gateway deleted by event', async () => {
  // Prepare
  const { a, b, ab, ac, laptopKey, bPhoneKey } = await seed(bench);

  // Act
  const result = await deleteViaEvent(bench, a.id);
  await bench.poller().idle();

  // Assess
  expect(result.FailedEntryCount).toBe(0);
  expect(await repository.getGateway(a.id)).toBeUndefined();
  const byName = (x: { name: string }, y: { name: string }) => x.name.localeCompare(y.name);
  expect([...workflows.starts].sort(byName)).toEqual(deleteStarts(ab.id, ac.id).sort(byName));
  expect(secrets.values.has(a.privateKeyParam ?? '')).toBe(false);
  expect(secrets.values.has(laptopKey)).toBe(false);
  expect(secrets.values.has(bPhoneKey)).toBe(true);
  expect(await partitionItems(bench, a.id)).toEqual([]);
  // The remote side is the delete-peering workflow's job (faked here): B is untouched.
  expect((await repository.listPeers(b.id)).map((p) => p.name).sort()).toEqual([
    'phone',
    `vpc-peering-${ab.id}`,
  ]);
  expect(bench.delivered.map((d) => d.response)).toEqual(
    bench.delivered.map(() => ({ batchItemFailures: [] })),
  );
});

it('does nothing more when the same stream record is delivered again', async () => {
  // Prepare
  const { a } = await seed(bench);
  await deleteViaEvent(bench, a.id);
  await bench.poller().idle();
  const [removal] = gatewayRemovals(bench);
  const startsBefore = [...workflows.starts];
  const secretsBefore = [...secrets.values.keys()];
  if (!removal) throw new Error('the stream did not deliver the removal');

  // Act
  const response = await cascade({ Records: [removal] }, context);

  // Assess
  expect(response).toEqual({ batchItemFailures: [] });
  expect(workflows.starts).toEqual(startsBefore);
  expect([...secrets.values.keys()]).toEqual(secretsBefore);
  expect(await partitionItems(bench, a.id)).toEqual([]);
});

it('reports the failed record and every later one, and finishes the job on redelivery', async () => {
  // Prepare: a batch of three REMOVEs, of which the middle one's cascade fails.
  const { a, ab, ac, laptopKey } = await seed(bench);
  const other = gatewayRecord({ id: uniqueId('gw-other') });
  await repository.createGateway(other);
  const records = [
    removeRecord('1', { ...keys.peer(a.id, 'own-key'), entity: 'peer', name: 'own-key' }),
    removeRecord('2', gatewayItem(a, { allocatedCount: 0, capacity: 253 })),
    removeRecord('3', gatewayItem(other, { allocatedCount: 0, capacity: 253 })),
  ];
  // The tombstone A's deletion writes with it: its cascade is pending (the others' is not).
  await bench.db.documentClient().send(
    new PutCommand({
      TableName: bench.db.tableName,
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
  expect((await partitionItems(bench, a.id)).map((item) => item.sk)).toEqual(['META']);
  expect(await tombstoneOf(bench, a.id)).toMatchObject({ cascadePending: false });
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
  await published(bench, again.id, again.instanceId, 9);
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
  expect(commands.teardowns).toEqual([{ instanceId: again.instanceId, gatewayId: again.id, generation: 5 }]);
});

it('refuses to register a deleted id while its cascade is pending, registers it after, and a redrive then leaves it alone', async () => {
  // Prepare: A's cascade fails at one of its peerings, so the stream keeps retrying it.
  const { a, ab, laptopKey } = await seed(bench);
  const key = a.privateKeyParam ?? '';
  workflows.failFor = (name) => name === `delete-${ab.id}`;
  await deleteViaEvent(bench, a.id);
  await until('a failed cascade', () => bench.delivered.some((d) => d.response.batchItemFailures.length > 0));

  // Act: registrations while it is pending, by the API's repository call and by an "Updated" event...
  const byApi = repository.createGateway({ ...a, desiredGeneration: 0 });
  await expect(byApi).rejects.toEqual(new ConflictError('GATEWAY_BEING_DELETED'));
  const byEvent = await bench.router.putEvents({
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
  await bench.poller().idle();
  const keyAfterCascade = secrets.values.has(key);
  const next = gatewayRecord({ id: a.id, ownerId: 'bob', privateKeyParam: key });
  await repository.createGateway(next);
  await secrets.putIfAbsent(key, 'bob key');
  await repository.addRoadWarrior(roadWarrior(next.id, 'bob-laptop'));
  await publications.deliver({ gatewayId: next.id, instanceId: next.instanceId }, [key]);
  // A dead-letter redrive of A's REMOVE.
  const removal = firstGatewayRemoval(bench);
  const startsBefore = [...workflows.starts];
  const redriven = await cascade({ Records: [removal] }, context);

  // Assess: nothing registered while pending; the cascade finished A (key, peerings, residue)...
  expect(byEvent.FailedEntryCount).toBe(0);
  expect(registeredWhilePending).toBeUndefined();
  expect(keyWhilePending).toBe(true);
  expect(keyAfterCascade).toBe(false);
  expect(secrets.values.has(laptopKey)).toBe(false);
  expect(bench.delivered.at(-1)?.response).toEqual({ batchItemFailures: [] });
  // ...and its redrive left the new incarnation alone.
  expect(redriven).toEqual({ batchItemFailures: [] });
  expect(workflows.starts).toEqual(startsBefore);
  expect(await repository.getGateway(a.id)).toMatchObject({ ownerId: 'bob' });
  expect(secrets.values.get(key)).toBe('bob key');
  expect((await repository.listPeers(a.id)).map((peer) => peer.name)).toEqual(['bob-laptop']);
  expect(publications.copies.has(a.id)).toBe(true);
});

it('ignores removals of other items and changes of gateways', async () => {
  // Prepare
  const { a, laptopKey } = await seed(bench);

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
  await bench.poller().idle();

  // Assess
  const eventNames = bench.delivered.flatMap((d) => d.event.Records.map((r) => r.eventName));
  expect(eventNames).toEqual(expect.arrayContaining(['REMOVE', 'MODIFY', 'INSERT']));
  expect(workflows.starts).toEqual([]);
  expect(secrets.values.has(laptopKey)).toBe(true);
  expect((await repository.listPeers(a.id)).length).toBe(3);
});
