/**
 * A push copies to the instance only the secrets it may not hold yet (lambdas/app/push.ts,
 * docs/DECISIONS.md "Delta delivery of secret copies"): after a push its instance applied, the
 * next one copies what the applied document did not name. Whenever that is uncertain (no applied
 * record, one of another instance or incarnation, one too old, its document gone) it copies
 * everything, and once that push is applied the next one copies only its change again.
 */
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';

import { checkPush, HELD_COPIES_MAX_AGE_MS, MOVE_SETTLE_MS, pushGatewayConfig } from '../../lambdas/app/push';
import type { GatewayRecord } from '../../lambdas/core/types';
import { MemoryPublications, MemorySecrets, sendingCommands } from '../support/fakes';
import { gatewayRecord, gatewayWithKey } from '../support/gateways';
import { newPeering } from '../support/records';

const START = new Date('2026-12-05T12:00:00.000Z');
/** The hub's registration, a day before, and no update since. */
const REGISTERED = '2026-12-04T12:00:00.000Z';

/** Every command sent; each one succeeds, its instance reporting the generation it was sent. */
const applyingCommands = () =>
  sendingCommands(async (command) => {
    const report = {
      gatewayId: command?.gatewayId,
      appliedGeneration: command?.generation,
      mode: 'wireguard',
    };
    return { status: 'Success', output: JSON.stringify({ ...report, path: 'delta' }) };
  });

/** A hub holding its own key with `peerings` peerings, and what its pushes go through. */
async function hubWith(peerings: number, registeredAt = REGISTERED) {
  let now = START;
  const clock = () => now;
  const repository = new MemoryRepository({ clock });
  const secrets = new MemorySecrets();
  const publications = new MemoryPublications(clock);
  const commands = applyingCommands();
  const { record: hub } = await gatewayWithKey(secrets, { createdAt: registeredAt, updatedAt: registeredAt });
  await repository.createGateway(hub);
  const d = { repository, configStore: publications, instanceSecrets: publications, commands, clock };
  const peer = async () => {
    const remote = gatewayRecord();
    await repository.createGateway(remote);
    const peering = newPeering(hub, remote);
    await repository.createPeering(peering);
    return peering.presharedKeyParam;
  };
  const keys = [hub.privateKeyParam];
  for (let n = 0; n < peerings; n += 1) keys.push(await peer());
  /** One push of the hub; `applied`: its instance applied it and the report was recorded. */
  const push = async ({ applied }: { applied: boolean }) => {
    const ticket = await pushGatewayConfig(d, hub.id);
    if (!ticket) throw new Error('nothing pushed');
    if (applied) expect(await checkPush(d, ticket, 10)).toMatchObject({ done: true });
    return publications.deliveries.at(-1)?.names;
  };
  const later = (ms: number) => {
    now = new Date(now.getTime() + ms);
  };
  return { repository, publications, hub, keys, peer, push, later };
}

it('copies only the new peering key when the push before was applied', async () => {
  // Prepare: a hub with three peerings, pushed and applied.
  const { keys, peer, push } = await hubWith(3);
  const first = await push({ applied: true });
  const added = await peer();

  // Act
  const second = await push({ applied: false });

  // Assess
  expect(first?.sort()).toEqual([...keys].sort());
  expect(second).toEqual([added]);
});

it('copies nothing for a change that names no new secret, and everything again while nothing was applied', async () => {
  // Prepare: pushed, not applied (its command still running, say), then pushed again.
  const { keys, peer, push, repository, hub } = await hubWith(2);
  await push({ applied: false });
  const unapplied = await push({ applied: false });
  const gone = await peer();
  await push({ applied: true });

  // Act: a peering deleted (its key no longer named), the applied document names the rest.
  const peering = (await repository.listPeers(hub.id)).find((entry) => entry.presharedKeyParam === gone);
  await repository.detachPeering(peering?.peeringId ?? '');
  const afterDelete = await push({ applied: false });

  // Assess
  expect(unapplied?.sort()).toEqual([...keys].sort());
  expect(afterDelete).toEqual([]);
});

/** What makes the applied record untrustworthy, done after a first push was applied. */
const uncertain: [string, (hub: Awaited<ReturnType<typeof hubWith>>) => Promise<void>][] = [
  [
    'it names another instance than the gateway now has',
    async ({ repository, hub }) => {
      await repository.upsertGateway({ ...hub, instanceId: 'i-0fedcba987654321f' });
    },
  ],
  [
    'it was another incarnation of the gateway (a late report of the id deleted and registered again)',
    async ({ repository, hub, push }) => {
      // Its generation's document is there: only the incarnation tells the record apart.
      const generation = await repository.bumpGeneration(hub.id);
      await push({ applied: false });
      await repository.recordApplied({
        gatewayId: hub.id,
        appliedGeneration: generation ?? 0,
        appliedAt: START.toISOString(),
        instanceId: hub.instanceId,
        gatewayCreatedAt: '2026-01-01T00:00:00.000Z',
      });
    },
  ],
  [
    'its document is gone',
    async ({ publications, hub }) => {
      publications.documents.get(hub.id)?.clear();
    },
  ],
  [
    'its document is not that generation',
    async ({ publications, hub }) => {
      const documents = publications.documents.get(hub.id);
      for (const generation of documents?.keys() ?? []) documents?.set(generation, '{"generation":0}');
    },
  ],
  ['it is older than HELD_COPIES_MAX_AGE_MS', async ({ later }) => later(HELD_COPIES_MAX_AGE_MS + 1)],
];

it.each(uncertain)(
  'copies every key when %s, and only the change once that push is applied',
  async (_, make) => {
    // Prepare
    const hub = await hubWith(3);
    await hub.push({ applied: true });
    await make(hub);
    const added = await hub.peer();
    const current = async () => {
      const gateway = (await hub.repository.getGateway(hub.hub.id)) as GatewayRecord;
      return gateway.instanceId;
    };

    // Act
    const uncertainPush = await hub.push({ applied: true });
    const next = await hub.peer();
    const afterIt = await hub.push({ applied: false });

    // Assess
    expect(uncertainPush?.sort()).toEqual([...hub.keys, added].sort());
    expect(afterIt).toEqual([next]);
    expect(hub.publications.deliveries.at(-1)?.target.instanceId).toBe(await current());
  },
);

it('copies every key until a push made MOVE_SETTLE_MS after a move is applied, then only the change', async () => {
  // Prepare: applied on the first instance, then moved to another one, which bumps the generation
  // (a late push of the old one may still copy, tagged for it, under the same keys).
  const hub = await hubWith(2);
  await hub.push({ applied: true });
  await hub.repository.upsertGateway({
    ...hub.hub,
    instanceId: 'i-0fedcba987654321f',
    updatedAt: START.toISOString(),
  });
  await hub.repository.bumpGeneration(hub.hub.id);

  // Act
  const onMove = await hub.push({ applied: true });
  const first = await hub.peer();
  const withinSettling = await hub.push({ applied: true });
  hub.later(MOVE_SETTLE_MS);
  const second = await hub.peer();
  const afterSettling = await hub.push({ applied: true });
  const third = await hub.peer();
  const next = await hub.push({ applied: false });

  // Assess: the third push's base was copied within the settling time; the fourth's after it.
  expect(onMove?.sort()).toEqual([...hub.keys].sort());
  expect(withinSettling?.sort()).toEqual([...hub.keys, first].sort());
  expect(afterSettling?.sort()).toEqual([...hub.keys, first, second].sort());
  expect(next).toEqual([third]);
});

it('copies every key when the applied record does not say who applied it (written before records did)', async () => {
  // Prepare
  const hub = await hubWith(2);
  await hub.push({ applied: false });
  await hub.repository.recordApplied({
    gatewayId: hub.hub.id,
    appliedGeneration: 2,
    appliedAt: START.toISOString(),
  });
  const added = await hub.peer();

  // Act
  const unstamped = await hub.push({ applied: true });
  const next = await hub.peer();
  const stamped = await hub.push({ applied: false });

  // Assess
  expect(unstamped?.sort()).toEqual([...hub.keys, added].sort());
  expect(stamped).toEqual([next]);
});

it('copies everything in the first minutes of a new registration, as after a move', async () => {
  // Prepare: the hub registered just now (a deleted incarnation's push may still be copying under
  // the same keys), pushed and applied.
  const { keys, peer, push, later } = await hubWith(2, START.toISOString());
  await push({ applied: true });

  // Act: a change within the settling time; after it, one more (its base was copied within the
  // window), and then another.
  later(MOVE_SETTLE_MS / 2);
  keys.push(await peer());
  const early = await push({ applied: true });
  later(MOVE_SETTLE_MS);
  await peer();
  await push({ applied: true });
  const last = await peer();
  const settled = await push({ applied: true });

  // Assess
  expect([...(early ?? [])].sort()).toEqual([...keys].sort());
  expect(settled).toEqual([last]);
});
