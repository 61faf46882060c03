/**
 * What a finished push stores as the gateway's status (lambdas/app/push.ts), on the in-memory
 * repository: always the generation applied; the live peers when the report lists them (a full
 * apply), bounded so that a gateway with thousands of peers still fits in one item (that it fits:
 * test/persistence/gateways.test.ts). The report is the instance's word: nothing is recorded for an
 * instance that no longer serves the gateway, nor for another incarnation of its id, and a
 * generation above the desired one fails the push.
 */
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import { gatewayStatus } from '../../lambdas/app/api/gateways';
import type { CommandBus } from '../../lambdas/app/ports';
import { checkPush } from '../../lambdas/app/push';
import { ONLINE_WINDOW_SECONDS, STATUS_REPORT_MAX_PEERS } from '../../lambdas/core/status';
import { MemoryPublications } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { peerStatuses } from '../support/status-reports';

const state = new MemoryState();
const db = { repository: () => new MemoryRepository({}, state) };
/** The pushes' documents: none here, so a finished push's prune finds nothing to delete. */
const documents = new MemoryPublications();
const NOW = new Date('2026-11-25T12:00:00.000Z');
/** When `registered` creates a gateway: the incarnation every ticket here pushes. */
const CREATED_AT = '2026-11-25T11:00:00.000Z';
const PEERS = 4000;

/** The push of `gatewayId` at `generation`, to its instance (as `registered` names it). */
const ticketOf = (gatewayId: string, generation: number) => ({
  gatewayId,
  gatewayCreatedAt: CREATED_AT,
  instanceId: `i-${gatewayId.replace(/^gw-/, '')}`,
  commandId: 'cmd-1',
  generation,
  polls: 0,
});

/** Gateway `id`, served by instance `i-<id without gw->`, at `desiredGeneration`. */
async function registered(id: string, desiredGeneration: number): Promise<void> {
  const { instanceId } = ticketOf(id, 0);
  await db
    .repository()
    .createGateway(gatewayRecord({ id, instanceId, desiredGeneration, createdAt: CREATED_AT }));
}

/** A command bus whose one command has ended Success with `output`. */
const finishedWith = (output: string): CommandBus => ({
  send: async () => 'cmd-1',
  teardown: async () => 'cmd-3',
  requestReports: async () => 'cmd-2',
  get: async () => ({ status: 'Success', output }),
});

it('stores a 4,000-peer report bounded to the most recently active peers, with how many it left out', async () => {
  // Prepare: the script's log line, then its report (the last line).
  await registered('gw-big', 3);
  const peers = peerStatuses(PEERS);
  const report = { gatewayId: 'gw-big', appliedGeneration: 3, mode: 'wireguard', path: 'full', peers };
  const commands = finishedWith(`apply-config: applied\n${JSON.stringify(report)}\n`);
  const ticket = ticketOf('gw-big', 3);

  // Act
  const progress = await checkPush(
    { repository: db.repository(), configStore: documents, commands, clock: () => NOW },
    ticket,
    10,
  );

  // Assess
  expect(progress.done).toBe(true);
  const stored = await db.repository().getStatusReport('gw-big');
  expect(stored).toMatchObject({ appliedGeneration: 3, peersOmitted: PEERS - STATUS_REPORT_MAX_PEERS });
  expect(stored?.peers).toHaveLength(STATUS_REPORT_MAX_PEERS);
  expect(stored?.peers[0]).toEqual(peers[PEERS - 1]);
});

it('shows in /status the peers the bounded report kept, each with its figures, however they sort by name', async () => {
  // Prepare: a 4,000-peer full apply; peer i is rw-<i> in the applied document (name order) and
  // shook hands at 1_790_000_000 + i, so the report keeps the last 1,000 by name.
  const reportTime = new Date((1_790_000_000 + PEERS) * 1000);
  await registered('gw-hub', 3);
  const peers = peerStatuses(PEERS);
  const report = { gatewayId: 'gw-hub', appliedGeneration: 3, mode: 'wireguard', path: 'full', peers };
  const commands = finishedWith(JSON.stringify(report));
  await checkPush(
    { repository: db.repository(), configStore: documents, commands, clock: () => reportTime },
    ticketOf('gw-hub', 3),
    10,
  );
  const name = (i: number) => `rw-${String(i).padStart(5, '0')}`;
  // The peers member of the applied document (core/render.ts), which is what /status reads of it.
  const document = JSON.stringify({
    peers: peers.map((peer, i) => ({ ...peer, name: name(i), type: 'road-warrior', endpoint: null })),
  });
  const configStore = { get: async () => document };
  const admin = { userId: 'ops', isAdmin: true };

  // Act
  const status = await gatewayStatus(
    { repository: db.repository(), configStore, clock: () => reportTime },
    admin,
    'gw-hub',
  );

  // Assess
  expect(status.peersOmitted).toBe(PEERS - STATUS_REPORT_MAX_PEERS);
  expect(status.peers.map((peer) => peer.name)).toEqual(
    Array.from({ length: STATUS_REPORT_MAX_PEERS }, (_, i) => name(PEERS - STATUS_REPORT_MAX_PEERS + i)),
  );
  expect(status.peers.filter((peer) => peer.latestHandshake === null)).toEqual([]);
  // Online: a handshake within the window before the report.
  expect(status.peers.filter((peer) => peer.online)).toHaveLength(ONLINE_WINDOW_SECONDS);
});

it('records a delta apply as its applied generation only, keeping the last live peer list', async () => {
  // Prepare: a full apply listed one peer; the delta apply after it lists none.
  await registered('gw-d', 2);
  const repository = db.repository();
  const peers = peerStatuses(1);
  const full = { gatewayId: 'gw-d', appliedGeneration: 1, mode: 'wireguard', path: 'full', peers };
  const delta = { gatewayId: 'gw-d', appliedGeneration: 2, mode: 'wireguard', path: 'delta' };
  const ticket = (generation: number) => ticketOf('gw-d', generation);
  await checkPush(
    { repository, configStore: documents, commands: finishedWith(JSON.stringify(full)), clock: () => NOW },
    ticket(1),
    10,
  );

  // Act
  const progress = await checkPush(
    { repository, configStore: documents, commands: finishedWith(JSON.stringify(delta)), clock: () => NOW },
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
  const ticket = ticketOf('gw-n', 1);

  // Act
  const checked = checkPush(
    {
      repository: db.repository(),
      configStore: documents,
      commands: finishedWith('apply-config: applied\n'),
      clock: () => NOW,
    },
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

it('fails a push whose report claims a generation above the desired one, and records nothing', async () => {
  // Prepare: a compromised instance claims the largest generation there is.
  await registered('gw-liar', 2);
  const claim = { gatewayId: 'gw-liar', appliedGeneration: Number.MAX_SAFE_INTEGER, mode: 'wireguard' };
  const ticket = ticketOf('gw-liar', 2);

  // Act
  const checked = checkPush(
    {
      repository: db.repository(),
      configStore: documents,
      commands: finishedWith(JSON.stringify(claim)),
      clock: () => NOW,
    },
    ticket,
    10,
  );

  // Assess: nothing stands that an honest report could never replace.
  await expect(checked).rejects.toMatchObject({
    name: 'CommandFailedError',
    message: `Config push to i-liar reported generation ${Number.MAX_SAFE_INTEGER}, above the desired 2`,
  });
  expect(await db.repository().getAppliedGeneration('gw-liar')).toBeUndefined();
});

it('records nothing for an instance that no longer serves the gateway, when its report is above the ticket', async () => {
  // Prepare: the push of generation 1 went to i-moved; the gateway moved to i-new (and its
  // generation rose) before the report, a stale skip claiming 2, was read.
  await registered('gw-moved', 2);
  const repository = db.repository();
  const moved = await repository.getGateway('gw-moved');
  await repository.upsertGateway({ ...(moved as NonNullable<typeof moved>), instanceId: 'i-new' });
  const report = { gatewayId: 'gw-moved', appliedGeneration: 2, mode: 'wireguard', skipped: 'stale' };
  const ticket = ticketOf('gw-moved', 1);

  // Act
  const progress = await checkPush(
    { repository, configStore: documents, commands: finishedWith(JSON.stringify(report)), clock: () => NOW },
    ticket,
    10,
  );

  // Assess: the push ended, but its instance's word is no longer the gateway's status.
  expect(progress).toEqual({ done: true, appliedGeneration: 2 });
  expect(await repository.getAppliedGeneration('gw-moved')).toBeUndefined();
});

it('records a report of the ticket generation with one read of the gateway', async () => {
  // Prepare: the common case; the read tells whether the gateway is still the one pushed.
  await registered('gw-honest', 1);
  const repository = db.repository();
  const reads = jest.spyOn(repository, 'getGateway');
  const report = { gatewayId: 'gw-honest', appliedGeneration: 1, mode: 'wireguard', path: 'delta' };
  const ticket = ticketOf('gw-honest', 1);

  // Act
  await checkPush(
    { repository, configStore: documents, commands: finishedWith(JSON.stringify(report)), clock: () => NOW },
    ticket,
    10,
  );

  // Assess
  expect(reads).toHaveBeenCalledTimes(1);
  expect(await repository.getAppliedGeneration('gw-honest')).toMatchObject({ appliedGeneration: 1 });
});

it('records nothing for a push to an instance the gateway moved away from, even at the ticket generation', async () => {
  // Prepare: the push of generation 1 went to i-left; the gateway moved to i-new before its report,
  // an honest one of the ticket's generation, was read.
  await registered('gw-left', 1);
  const repository = db.repository();
  const left = await repository.getGateway('gw-left');
  await repository.upsertGateway({ ...(left as NonNullable<typeof left>), instanceId: 'i-new' });
  const report = { gatewayId: 'gw-left', appliedGeneration: 1, mode: 'wireguard', path: 'full', peers: [] };
  const ticket = ticketOf('gw-left', 1);

  // Act
  const progress = await checkPush(
    { repository, configStore: documents, commands: finishedWith(JSON.stringify(report)), clock: () => NOW },
    ticket,
    10,
  );

  // Assess: the old instance's word is not the new one's (activation reads the applied generation).
  expect(progress).toEqual({ done: true, appliedGeneration: 1 });
  expect(await repository.getAppliedGeneration('gw-left')).toBeUndefined();
  expect(await repository.getStatusReport('gw-left')).toBeUndefined();
});

it("records nothing of a deleted gateway's late push on the id registered again for another owner", async () => {
  // Prepare: alice's gateway had a push of generation 3 in flight to i-old (compromised); the
  // gateway was deleted, its cascade ran, and bob registered the id on i-new, above generation 3.
  const repository = db.repository();
  const old = gatewayRecord({ id: 'gw-reborn', ownerId: 'alice', instanceId: 'i-old', desiredGeneration: 3 });
  await repository.createGateway(old);
  const ticket = { ...ticketOf('gw-reborn', 3), gatewayCreatedAt: old.createdAt, instanceId: 'i-old' };
  await repository.deleteGateway(old.id);
  await repository.beginGatewayCascade(old.id, 3);
  await repository.endGatewayCascade(old.id, 3);
  const reborn = { ...old, ownerId: 'bob', instanceId: 'i-new', desiredGeneration: 4 };
  await repository.createGateway({
    ...reborn,
    createdAt: new Date(Date.parse(old.createdAt) + 1).toISOString(),
  });
  const forged = {
    gatewayId: 'gw-reborn',
    appliedGeneration: 3,
    mode: 'wireguard',
    path: 'full',
    peers: [{ publicKey: 'ATTACKER-CHOSEN', endpoint: '198.51.100.66:1', allowedIps: ['10.66.0.0/16'] }],
  };

  // Act: the old push's check step reads the old instance's answer.
  const progress = await checkPush(
    { repository, configStore: documents, commands: finishedWith(JSON.stringify(forged)), clock: () => NOW },
    ticket,
    10,
  );

  // Assess: the push ends, and bob's gateway shows nothing the old instance said.
  expect(progress).toEqual({ done: true, appliedGeneration: 3 });
  expect(await repository.getStatusReport('gw-reborn')).toBeUndefined();
  expect(await repository.getAppliedGeneration('gw-reborn')).toBeUndefined();
});
