/**
 * A finished push prunes its gateway's old documents (lambdas/app/status-reports.ts,
 * `recordPushReport`): those below the generation its instance applied that are older than any
 * push in flight go; the applied one (the status route reads it), those above it and a young one
 * below it (a superseded push whose script has yet to fetch it) stay. A prune that fails or stalls
 * is logged and never fails nor holds up the push.
 */
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import type { CommandBus } from '../../lambdas/app/ports';
import { checkPush } from '../../lambdas/app/push';
import { DOCUMENT_IN_FLIGHT_MS, PRUNE_BUDGET_MS } from '../../lambdas/app/status-reports';
import { logger } from '../../lambdas/shared/logger';
import { MemoryPublications } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';

const state = new MemoryState();
const repository = () => new MemoryRepository({}, state);
const NOW = new Date('2026-12-05T12:00:00.000Z');
const CREATED_AT = '2026-12-01T00:00:00.000Z';
const ago = (ms: number) => new Date(NOW.getTime() - ms);

/** Gateway `id` on instance `i-<id>`, desired at `desiredGeneration`, and the push of `generation`. */
async function pushOf(id: string, desiredGeneration: number, generation: number) {
  const instanceId = `i-${id}`;
  await repository().createGateway(
    gatewayRecord({ id, instanceId, desiredGeneration, createdAt: CREATED_AT }),
  );
  return {
    gatewayId: id,
    gatewayCreatedAt: CREATED_AT,
    instanceId,
    commandId: 'cmd-1',
    generation,
    polls: 0,
  };
}

/** A command bus whose one command has ended Success, its instance reporting `appliedGeneration`. */
const appliedAt = (gatewayId: string, appliedGeneration: number): CommandBus => ({
  send: async () => 'cmd-1',
  teardown: async () => 'cmd-3',
  requestReports: async () => 'cmd-2',
  get: async () => ({
    status: 'Success',
    output: JSON.stringify({ gatewayId, appliedGeneration, mode: 'wireguard', path: 'delta' }),
  }),
});

afterEach(() => jest.restoreAllMocks());

it('prunes the old documents below the applied generation, and keeps the applied, the young and those above', async () => {
  // Prepare: 1 and 2 long superseded; 4 superseded but pushed minutes ago (its command may still
  // fetch it); 5 the one applied, written long ago; 6 above it, not applied yet.
  const ticket = await pushOf('gw-prune', 6, 5);
  let writtenAt = NOW;
  const documents = new MemoryPublications(() => writtenAt);
  const target = { gatewayId: 'gw-prune', instanceId: ticket.instanceId };
  for (const [generation, age] of [
    [1, 3 * DOCUMENT_IN_FLIGHT_MS],
    [2, 2 * DOCUMENT_IN_FLIGHT_MS],
    [4, DOCUMENT_IN_FLIGHT_MS / 4],
    [5, 2 * DOCUMENT_IN_FLIGHT_MS],
    [6, 0],
  ] as const) {
    writtenAt = ago(age);
    await documents.put(target, generation, `{"generation":${generation}}`);
  }

  // Act
  const progress = await checkPush(
    {
      repository: repository(),
      configStore: documents,
      commands: appliedAt('gw-prune', 5),
      clock: () => NOW,
    },
    ticket,
    10,
  );

  // Assess
  expect(progress).toEqual({ done: true, appliedGeneration: 5 });
  expect([...(documents.documents.get('gw-prune')?.keys() ?? [])].sort()).toEqual([4, 5, 6]);
});

it('finishes the push when its prune fails, and says so in the log', async () => {
  // Prepare
  const ticket = await pushOf('gw-prune-fails', 3, 3);
  const failing = Object.assign(new MemoryPublications(), {
    pruneBelow: async (): Promise<number> => {
      throw Object.assign(new Error('S3 POST answered HTTP 503 SlowDown'), { name: 'TransientError' });
    },
  });
  const warn = jest.spyOn(logger, 'warn');

  // Act
  const progress = await checkPush(
    {
      repository: repository(),
      configStore: failing,
      commands: appliedAt('gw-prune-fails', 3),
      clock: () => NOW,
    },
    ticket,
    10,
  );

  // Assess
  expect(progress).toEqual({ done: true, appliedGeneration: 3 });
  expect(await repository().getAppliedGeneration('gw-prune-fails')).toMatchObject({ appliedGeneration: 3 });
  expect(warn).toHaveBeenCalledWith(
    'State documents not pruned: the next push prunes them',
    expect.objectContaining({ gatewayId: 'gw-prune-fails', errorName: 'TransientError' }),
  );
});

it('waits PRUNE_BUDGET_MS at most for a prune that does not answer', async () => {
  // Prepare
  const ticket = await pushOf('gw-prune-stalls', 3, 3);
  const stalled = Object.assign(new MemoryPublications(), {
    pruneBelow: () => new Promise<number>(() => {}),
  });
  const warn = jest.spyOn(logger, 'warn');
  jest.useFakeTimers({ now: NOW });

  try {
    // Act
    const checked = checkPush(
      {
        repository: repository(),
        configStore: stalled,
        commands: appliedAt('gw-prune-stalls', 3),
        clock: () => NOW,
      },
      ticket,
      10,
    );
    await jest.advanceTimersByTimeAsync(PRUNE_BUDGET_MS);

    // Assess
    await expect(checked).resolves.toEqual({ done: true, appliedGeneration: 3 });
    expect(warn).toHaveBeenCalledWith('Pruning state documents outlasted its budget: not awaited', {
      gatewayId: 'gw-prune-stalls',
    });
  } finally {
    jest.useRealTimers();
  }
});

it('deletes nothing once its budget is over, even when its listing answers later', async () => {
  // Prepare: the store lists, then waits past the budget before it would delete (a Lambda frozen
  // after the step returned would send those deletions at its next thaw).
  const ticket = await pushOf('gw-prune-late', 3, 3);
  const documents = new MemoryPublications(() => ago(2 * DOCUMENT_IN_FLIGHT_MS));
  await documents.put({ gatewayId: 'gw-prune-late', instanceId: ticket.instanceId }, 1, '{"generation":1}');
  const prune = documents.pruneBelow.bind(documents);
  const slow = Object.assign(documents, {
    pruneBelow: async (gatewayId: string, below: number, writtenBefore: Date, signal?: AbortSignal) => {
      await new Promise((resolve) => setTimeout(resolve, 2 * PRUNE_BUDGET_MS));
      return prune(gatewayId, below, writtenBefore, signal);
    },
  });
  jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
  jest.useFakeTimers({ now: NOW });

  try {
    // Act
    const checked = checkPush(
      {
        repository: repository(),
        configStore: slow,
        commands: appliedAt('gw-prune-late', 3),
        clock: () => NOW,
      },
      ticket,
      10,
    );
    await jest.advanceTimersByTimeAsync(PRUNE_BUDGET_MS);
    await expect(checked).resolves.toEqual({ done: true, appliedGeneration: 3 });
    await jest.advanceTimersByTimeAsync(2 * PRUNE_BUDGET_MS);

    // Assess
    expect([...(documents.documents.get('gw-prune-late')?.keys() ?? [])]).toEqual([1]);
  } finally {
    jest.useRealTimers();
  }
});
