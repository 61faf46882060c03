/**
 * What the gateway deletion cascade does to the deleted gateway's instances, on DynamoDB Local
 * through the stream as deployed (test/support/cascade-bench.ts): the teardown at its last
 * generation, an instance that is gone, a teardown retried, and the instance locks freed (one
 * whose release failed once, one an unfinished move was leaving).
 */
import type { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import { toPublicGateway } from '../../lambdas/core/views';
import { handler as cascade } from '../../lambdas/handlers/cascade';
import { handler as gatewayEvents } from '../../lambdas/handlers/gateway-events';
import { GATEWAY_DELETED, GATEWAY_UPDATED } from '../../lambdas/shared/event-patterns';
import {
  context,
  deleteViaEvent,
  firstGatewayRemoval,
  partitionItems,
  published,
  seed,
  useCascadeBench,
} from '../support/cascade-bench';
import { busEvent } from '../support/events';
import type { MemoryPublications, RecordingCommands } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { uniqueId } from '../support/records';

const bench = useCascadeBench();
let repository: DynamoRepository;
let commands: RecordingCommands;
let publications: MemoryPublications;
beforeEach(() => {
  ({ repository, commands, publications } = bench.deps());
});

it('tears down the instance of a deleted gateway at its last generation, and deletes what was published for it', async () => {
  // Prepare
  const { a, b } = await seed(bench);
  const last = (await repository.getGateway(a.id))?.desiredGeneration ?? -1;
  await published(bench, a.id, a.instanceId, last);
  await published(bench, b.id, b.instanceId, 2);

  // Act
  await deleteViaEvent(bench, a.id);
  await bench.poller().idle();

  // Assess
  expect(last).toBeGreaterThan(0);
  expect(commands.teardowns).toEqual([{ instanceId: a.instanceId, gatewayId: a.id, generation: last }]);
  expect([...(publications.documents.get(a.id)?.keys() ?? [])]).toEqual([]);
  expect(publications.copies.has(a.id)).toBe(false);
  expect([...(publications.documents.get(b.id)?.keys() ?? [])]).toEqual([1, 2]);
  expect(publications.copies.has(b.id)).toBe(true);
  expect(bench.delivered.map((d) => d.response)).toEqual(
    bench.delivered.map(() => ({ batchItemFailures: [] })),
  );
});

it('does not wedge on an instance that is gone: nothing to tear down, every record cleaned', async () => {
  // Prepare
  const { a } = await seed(bench);
  commands.goneInstances.add(a.instanceId);

  // Act
  await deleteViaEvent(bench, a.id);
  await bench.poller().idle();

  // Assess
  expect(commands.teardowns).toEqual([]);
  expect(await partitionItems(bench, a.id)).toEqual([]);
  expect(bench.delivered.map((d) => d.response)).toEqual(
    bench.delivered.map(() => ({ batchItemFailures: [] })),
  );
});

it('retries a teardown that could not be sent with the record, after the records are clean', async () => {
  // Prepare
  const { a } = await seed(bench);
  await deleteViaEvent(bench, a.id);
  await bench.poller().idle();
  const removal = firstGatewayRemoval(bench);
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
  expect(await partitionItems(bench, a.id)).toEqual([]);
});

it("frees a deleted gateway's instance whose release failed once, though its id is registered again elsewhere", async () => {
  // Prepare: A holds its instance's lock, and the table refuses the next release once (throttled).
  const a = gatewayRecord({ id: uniqueId('gw-a') });
  await repository.claimInstance(a.instanceId, a.id);
  await repository.createGateway(a);
  await bench.poller().idle();
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
  await bench.poller().idle();
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
  await bench.poller().idle();
  const again = { ...a, instanceId: uniqueId('i-third') };
  await repository.claimInstance(again.instanceId, again.id);
  await repository.createGateway(again);
  const claim = repository.claimInstance(a.instanceId, uniqueId('gw-other'));

  // Assess: the old instance is free, and torn down at the deleted incarnation's last generation.
  await expect(claim).resolves.toBeUndefined();
  expect(commands.teardowns).toContainEqual({ instanceId: a.instanceId, gatewayId: a.id, generation });
  expect(bench.delivered.map((d) => d.response)).toEqual(
    bench.delivered.map(() => ({ batchItemFailures: [] })),
  );
});
