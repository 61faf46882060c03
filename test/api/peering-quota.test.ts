/**
 * The per-gateway peering limit (MAX_PEERINGS_PER_GATEWAY, docs/DECISIONS.md "Peerings per
 * gateway") through the create route's use case: either side full answers 409 QUOTA_EXCEEDED
 * before any workflow starts, concurrent creates at the edge take exactly the places left, and a
 * deleted peering gives its place back. In-memory repository; executions started are recorded and
 * stay RUNNING (the bounded count on DynamoDB Local: test/contract).
 */
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import { createPeering } from '../../lambdas/app/api/peerings';
import type { ExecutionResult } from '../../lambdas/app/ports';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toErrorResponse } from '../../lambdas/http/errors';
import { gatewayRecord } from '../support/gateways';
import { ownerLimits } from '../support/limits';
import { newPeering, uniqueId } from '../support/records';

const LIMITS = ownerLimits({ gatewaysPerOwner: 100, operationsInFlightPerOwner: 100, peeringsPerGateway: 3 });
const TIMING = { waitMs: 0, pollMs: 1 };

function bench() {
  const repository = new MemoryRepository();
  const started = new Set<string>();
  const workflows = {
    start: async (_workflow: string, name: string) => {
      started.add(name);
      return { executionId: name, mayHaveEnded: false };
    },
    describe: async (): Promise<ExecutionResult> => ({ status: 'RUNNING' }),
    find: async (_workflow: string, name: string): Promise<ExecutionResult | undefined> =>
      started.has(name) ? { status: 'RUNNING' } : undefined,
  };
  const owner = uniqueId('owner');
  const gateway = async () => {
    const record = gatewayRecord({ ownerId: owner });
    await repository.createGateway(record);
    return record;
  };
  /** A peering as Allocate writes it (peer entries on both sides). */
  const peered = async (a: GatewayRecord, b: GatewayRecord) =>
    (await repository.createPeering(newPeering(a, b))).id;
  const create = (a: GatewayRecord, b: GatewayRecord) =>
    createPeering(
      { repository, workflows, clock: () => new Date() },
      { userId: owner, isAdmin: false },
      a.id,
      b.id,
      undefined,
      TIMING,
      LIMITS,
    );
  return { repository, started, gateway, peered, create };
}

/** The HTTP status and code a create answers: 202-like "running" when admitted. */
async function answerOf(outcome: Promise<{ kind: string }>) {
  return outcome.then(
    (value) => value.kind,
    (error: unknown) => {
      const response = toErrorResponse(error);
      return `${response.statusCode} ${JSON.parse(response.body).error.code}`;
    },
  );
}

describe('peerings per gateway', () => {
  it.each([
    ['local', true],
    ['remote', false],
  ])(
    'refuses a create whose %s gateway is full with 409 QUOTA_EXCEEDED, starting nothing',
    async (_side, localFull) => {
      // Prepare: a hub with its 3 peerings.
      const b = bench();
      const hub = await b.gateway();
      for (let i = 0; i < LIMITS.peeringsPerGateway; i++) await b.peered(hub, await b.gateway());
      const other = await b.gateway();

      // Act
      const answer = await answerOf(localFull ? b.create(hub, other) : b.create(other, hub));

      // Assess
      expect(answer).toBe('409 QUOTA_EXCEEDED');
      expect(b.started.size).toBe(0);
    },
  );

  it('admits exactly the places left to concurrent creates at the edge', async () => {
    // Prepare: one place left on the hub, five spokes asking at once.
    const b = bench();
    const hub = await b.gateway();
    for (let i = 0; i < LIMITS.peeringsPerGateway - 1; i++) await b.peered(hub, await b.gateway());
    const spokes = await Promise.all(Array.from({ length: 5 }, () => b.gateway()));

    // Act
    const answers = await Promise.all(spokes.map((spoke) => answerOf(b.create(spoke, hub))));

    // Assess
    expect(answers.sort()).toEqual([
      '409 QUOTA_EXCEEDED',
      '409 QUOTA_EXCEEDED',
      '409 QUOTA_EXCEEDED',
      '409 QUOTA_EXCEEDED',
      'running',
    ]);
    expect(b.started.size).toBe(1);
  });

  it('gives a deleted peering’s place back', async () => {
    // Prepare: a full hub, then one of its peerings deleted (detached and released, as delete-peering does).
    const b = bench();
    const hub = await b.gateway();
    const ids: string[] = [];
    for (let i = 0; i < LIMITS.peeringsPerGateway; i++) ids.push(await b.peered(hub, await b.gateway()));
    const other = await b.gateway();
    const refused = await answerOf(b.create(hub, other));
    const deleted = ids[0] ?? '';
    await b.repository.setPeeringStatus(deleted, 'DELETING', null, ['PROVISIONING', 'ACTIVE']);
    await b.repository.detachPeering(deleted);
    await b.repository.releasePeering(deleted, { deleteRecord: true });

    // Act
    const answer = await answerOf(b.create(hub, other));

    // Assess
    expect([refused, answer]).toEqual(['409 QUOTA_EXCEEDED', 'running']);
  });
});
