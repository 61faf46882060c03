/**
 * What a finished push stores as the gateway's status (lambdas/app/push.ts), on the in-memory
 * repository: always the generation applied; the live peers when the report lists them (a full
 * apply), bounded so that a gateway with thousands of peers still fits in one item (that it fits:
 * test/persistence/gateways.test.ts).
 */
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import type { CommandBus } from '../../lambdas/app/ports';
import { checkPush } from '../../lambdas/app/push';
import { STATUS_REPORT_MAX_PEERS } from '../../lambdas/core/status';
import { peerStatuses } from '../support/status-reports';

const state = new MemoryState();
const db = { repository: () => new MemoryRepository({}, state) };
const NOW = new Date('2026-11-25T12:00:00.000Z');
const PEERS = 4000;

/** A command bus whose one command has ended Success with `output`. */
const finishedWith = (output: string): CommandBus => ({
  send: async () => 'cmd-1',
  teardown: async () => 'cmd-3',
  requestReports: async () => 'cmd-2',
  get: async () => ({ status: 'Success', output }),
});

it('stores a 4,000-peer report bounded to the most recently active peers, with how many it left out', async () => {
  // Prepare: the script's log line, then its report (the last line).
  const peers = peerStatuses(PEERS);
  const report = { gatewayId: 'gw-big', appliedGeneration: 3, mode: 'wireguard', path: 'full', peers };
  const commands = finishedWith(`apply-config: applied\n${JSON.stringify(report)}\n`);
  const ticket = { gatewayId: 'gw-big', instanceId: 'i-big', commandId: 'cmd-1', generation: 3, polls: 0 };

  // Act
  const progress = await checkPush({ repository: db.repository(), commands, clock: () => NOW }, ticket, 10);

  // Assess
  expect(progress.done).toBe(true);
  const stored = await db.repository().getStatusReport('gw-big');
  expect(stored).toMatchObject({ appliedGeneration: 3, peersOmitted: PEERS - STATUS_REPORT_MAX_PEERS });
  expect(stored?.peers).toHaveLength(STATUS_REPORT_MAX_PEERS);
  expect(stored?.peers[0]).toEqual(peers[PEERS - 1]);
});

it('records a delta apply as its applied generation only, keeping the last live peer list', async () => {
  // Prepare: a full apply listed one peer; the delta apply after it lists none.
  const repository = db.repository();
  const peers = peerStatuses(1);
  const full = { gatewayId: 'gw-d', appliedGeneration: 1, mode: 'wireguard', path: 'full', peers };
  const delta = { gatewayId: 'gw-d', appliedGeneration: 2, mode: 'wireguard', path: 'delta' };
  const ticket = (generation: number) => ({
    gatewayId: 'gw-d',
    instanceId: 'i-d',
    commandId: 'cmd-1',
    generation,
    polls: 0,
  });
  await checkPush(
    { repository, commands: finishedWith(JSON.stringify(full)), clock: () => NOW },
    ticket(1),
    10,
  );

  // Act
  const progress = await checkPush(
    { repository, commands: finishedWith(JSON.stringify(delta)), clock: () => NOW },
    ticket(2),
    10,
  );

  // Assess
  expect(progress).toEqual({ done: true, appliedGeneration: 2 });
  expect(await repository.getAppliedGeneration('gw-d')).toMatchObject({ appliedGeneration: 2 });
  expect(await repository.getStatusReport('gw-d')).toMatchObject({ appliedGeneration: 1, peers });
});

it('fails a push whose output ends without a report', async () => {
  // Prepare
  const ticket = { gatewayId: 'gw-n', instanceId: 'i-n', commandId: 'cmd-1', generation: 1, polls: 0 };

  // Act
  const checked = checkPush(
    { repository: db.repository(), commands: finishedWith('apply-config: applied\n'), clock: () => NOW },
    ticket,
    10,
  );

  // Assess
  await expect(checked).rejects.toMatchObject({
    name: 'CommandFailedError',
    message: 'Config push to i-n returned no report',
  });
  expect(await db.repository().getAppliedGeneration('gw-n')).toBeUndefined();
});
