/**
 * Public-key items on DynamoDB Local (lambdas/adapters/dynamodb/public-keys.ts): many writers of
 * one key at once, the items each write and removal leaves, entries older than the items, and the
 * backfill that gives those theirs (peer-key-backfill.ts). The rules themselves are the Repository
 * contract's (test/support/contract/public-keys.ts).
 */
import { randomUUID } from 'node:crypto';
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from '../../lambdas/adapters/dynamodb/items';
import { backfillPeerKeys } from '../../lambdas/adapters/dynamodb/peer-key-backfill';
import { PEER_KEYS_INDEXED, publicKeyKey } from '../../lambdas/adapters/dynamodb/public-keys';
import { DynamoRepository } from '../../lambdas/adapters/dynamodb/repository';
import { ensureTable } from '../../lambdas/adapters/dynamodb/schema';
import { gatewayUpdated } from '../../lambdas/app/gateway-lifecycle';
import { validatePeering } from '../../lambdas/app/peering-workflow';
import type { PeerKeyBackfill } from '../../lambdas/app/ports';
import { ConflictError } from '../../lambdas/core/errors';
import { peeringPeerName } from '../../lambdas/core/schemas';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { useDynamoDb } from '../support/dynamodb';
import { MemoryPublications, MemorySecrets, RecordingCommands, RecordingWorkflows } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { newPeering, publicKeyOf, roadWarrior } from '../support/records';

const db = useDynamoDb();
const KEY_IN_USE = new ConflictError('PUBLIC_KEY_IN_USE');

/** The gateway's key items: the key and its holder, in key order. */
async function keyItems(
  gatewayId: string,
  tableName = db.tableName,
): Promise<{ key: string; holder: string }[]> {
  const { Items = [] } = await db.documentClient().send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :key)',
      ExpressionAttributeValues: { ':pk': `GW#${gatewayId}`, ':key': 'KEY#' },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => ({ key: String(item.sk).slice('KEY#'.length), holder: String(item.holder) }));
}

const holding = (gatewayId: string, name: string, publicKey: string, repository = db.repository()) =>
  repository.addRoadWarrior({ ...roadWarrior(gatewayId, name), publicKey });

/** As a gateway registered before the key items: not marked as holding them all. */
const asOlderGateway = (gatewayId: string, tableName = db.tableName) =>
  db.documentClient().send(
    new UpdateCommand({
      TableName: tableName,
      Key: keys.gateway(gatewayId),
      UpdateExpression: 'REMOVE #indexed',
      ExpressionAttributeNames: { '#indexed': PEER_KEYS_INDEXED },
    }),
  );

/** The entry's key item deleted, as entries written before the items hold none. */
const withoutItem = (gatewayId: string, publicKey: string, tableName = db.tableName) =>
  db
    .documentClient()
    .send(new DeleteCommand({ TableName: tableName, Key: publicKeyKey(gatewayId, publicKey) }));

describe('public-key items', () => {
  it('let one of twenty road-warriors with one key in at once, and go with it', async () => {
    // Prepare
    const gateway = gatewayRecord();
    await db.repository().createGateway(gateway);
    const key = publicKeyOf(gateway.id, 'shared');

    // Act
    const adds = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => holding(gateway.id, `laptop-${i}`, key)),
    );
    const itemsWhileHeld = await keyItems(gateway.id);
    const [winner] = await db.repository().listPeers(gateway.id);
    await db.repository().removeRoadWarrior(gateway.id, winner?.name ?? '');

    // Assess: one entry, one item naming it; nothing once it is removed.
    const refusals = adds.flatMap((add) => (add.status === 'rejected' ? [add.reason] : []));
    expect(refusals).toEqual(Array.from({ length: 19 }, () => KEY_IN_USE));
    expect(itemsWhileHeld).toEqual([{ key, holder: winner?.name }]);
    expect(await keyItems(gateway.id)).toEqual([]);
  });

  it("are written for both sides of a peering, go with its detach, and a deleted gateway's go with its residue", async () => {
    // Prepare
    const [a, b] = [gatewayRecord(), gatewayRecord()];
    for (const gateway of [a, b]) await db.repository().createGateway(gateway);
    const input = newPeering(a, b);
    const holder = peeringPeerName(input.id);

    // Act
    await db.repository().createPeering(input);
    const whilePeered = [await keyItems(a.id), await keyItems(b.id)];
    await db.repository().detachPeering(input.id);
    const afterDetach = [await keyItems(a.id), await keyItems(b.id)];
    await holding(a.id, 'laptop', publicKeyOf(a.id, 'laptop'));
    await db.repository().deleteGateway(a.id);
    await db.repository().purgeGatewayResidue(a.id);

    // Assess
    expect(whilePeered).toEqual([[{ key: b.publicKey, holder }], [{ key: a.publicKey, holder }]]);
    expect(afterDetach).toEqual([[], []]);
    expect(await keyItems(a.id)).toEqual([]);
  });

  it("leave to Validate an unmarked gateway's entry older than them, and never free a key another entry holds", async () => {
    // Prepare: "old" holds b's key on a with no item, as entries written before the items do, on a
    // gateway not marked as holding them all; "new" holds another key that "old" also has (a
    // duplicate from before the read check).
    const [a, b] = [gatewayRecord(), gatewayRecord()];
    for (const gateway of [a, b]) await db.repository().createGateway(gateway);
    await asOlderGateway(a.id);
    const shared = publicKeyOf(a.id, 'shared');
    await holding(a.id, 'old', b.publicKey);
    await withoutItem(a.id, b.publicKey);
    await holding(a.id, 'legacy', shared);
    await withoutItem(a.id, shared);
    await holding(a.id, 'new', shared);
    const peering = { peeringId: 'pcx-legacy', gatewayId: a.id, remoteGatewayId: b.id };
    const repository = db.repository();
    const listPeers = jest.spyOn(repository, 'listPeers');

    // Act
    const validation = validatePeering({ repository, secrets: new MemorySecrets() }, peering);
    await expect(validation).rejects.toEqual(KEY_IN_USE);
    const removedLegacy = await db.repository().removeRoadWarrior(a.id, 'legacy');
    const thirdHolder = holding(a.id, 'third', shared);

    // Assess: only the unmarked gateway's peers were read; removing "legacy" left the item of "new".
    expect(listPeers.mock.calls).toEqual([[a.id]]);
    expect(removedLegacy?.name).toBe('legacy');
    await expect(thirdHolder).rejects.toEqual(KEY_IN_USE);
    expect(await keyItems(a.id)).toEqual([{ key: shared, holder: 'new' }]);
  });

  it('let Validate of marked gateways read two key items, never their peers', async () => {
    // Prepare: a hub with road-warriors, b's key held by one of them.
    const [a, b] = [gatewayRecord(), gatewayRecord()];
    for (const gateway of [a, b]) await db.repository().createGateway(gateway);
    for (const name of ['laptop', 'phone']) await holding(a.id, name, publicKeyOf(a.id, name));
    const [c] = [gatewayRecord()];
    await db.repository().createGateway(c);
    await holding(a.id, 'impostor', c.publicKey);
    const repository = db.repository();
    const listPeers = jest.spyOn(repository, 'listPeers');

    // Act
    const free = await validatePeering(
      { repository, secrets: new MemorySecrets() },
      { peeringId: 'pcx-free', gatewayId: a.id, remoteGatewayId: b.id },
    );
    const held = validatePeering(
      { repository, secrets: new MemorySecrets() },
      { peeringId: 'pcx-held', gatewayId: a.id, remoteGatewayId: c.id },
    );

    // Assess: the clash is found by its item alone.
    expect(free).toEqual({ gatewayIds: [a.id, b.id] });
    await expect(held).rejects.toEqual(KEY_IN_USE);
    expect(listPeers).not.toHaveBeenCalled();
  });

  it("let a gateway's new key be refused when an unmarked peer gateway's older entry holds it, and a marked one's item", async () => {
    // Prepare: a hub peered with two spokes; on the unmarked one an older road-warrior holds the
    // hub's new key with no item; on the marked one a road-warrior holds another new key.
    const [hub, older, marked] = ['100.64.0', '100.64.1', '100.64.2'].map((net, i) =>
      gatewayRecord({ vpcCidr: `10.4${i}.0.0/16`, tunnelSubnet: `${net}.0/24`, tunnelIp: `${net}.1` }),
    ) as [GatewayRecord, GatewayRecord, GatewayRecord];
    for (const gateway of [hub, older, marked]) await db.repository().createGateway(gateway);
    for (const spoke of [older, marked]) await db.repository().createPeering(newPeering(hub, spoke));
    const [olderKey, markedKey] = [publicKeyOf(hub.id, 'older'), publicKeyOf(hub.id, 'marked')];
    await holding(older.id, 'laptop', olderKey);
    await withoutItem(older.id, olderKey);
    await asOlderGateway(older.id);
    await holding(marked.id, 'phone', markedKey);
    const repository = db.repository();
    const listPeers = jest.spyOn(repository, 'listPeers');
    const publications = new MemoryPublications();
    const deps = {
      repository,
      clock: () => new Date(),
      workflows: new RecordingWorkflows(),
      configStore: publications,
      instanceSecrets: publications,
      secrets: new MemorySecrets(),
      commands: new RecordingCommands(),
    };
    const rekeyed = (publicKey: string) => gatewayUpdated(deps, { ...toPublicGateway(hub), publicKey });

    // Act
    const byOlder = rekeyed(olderKey);
    await expect(byOlder).rejects.toThrow(
      `publicKey: is held by the peer "laptop" of peer gateway ${older.id}`,
    );
    const byMarked = rekeyed(markedKey);
    await expect(byMarked).rejects.toThrow(
      `publicKey: is held by the peer "phone" of peer gateway ${marked.id}`,
    );

    // Assess: only the unmarked gateway's peers were read; nothing changed.
    expect(listPeers.mock.calls).toEqual([[older.id], [older.id]]);
    expect((await db.repository().getGateway(hub.id))?.publicKey).toBe(hub.publicKey);
  });

  it("move with a peer gateway's new key: the entry's old item released, the new one claimed, once", async () => {
    // Prepare
    const [a, b] = [gatewayRecord(), gatewayRecord()];
    for (const gateway of [a, b]) await db.repository().createGateway(gateway);
    const input = newPeering(a, b);
    await db.repository().createPeering(input);
    const holder = peeringPeerName(input.id);
    const remote = { endpoint: `${b.publicIp}:${b.listenPort}`, publicKey: publicKeyOf(b.id, 'rekeyed') };

    // Act
    const generations = [
      await db.repository().updateRemotePeer(a.id, holder, remote),
      await db.repository().updateRemotePeer(a.id, holder, remote),
    ];

    // Assess: one bump, by the first call only; only the new key's item, naming the entry.
    expect(generations).toEqual([
      { generation: 2, rewritten: true },
      { generation: 2, rewritten: false },
    ]);
    expect(await keyItems(a.id)).toEqual([{ key: remote.publicKey, holder }]);
  });

  it('let one of a new key for an entry and road-warriors with that key in at once', async () => {
    // Prepare
    const [a, b] = [gatewayRecord(), gatewayRecord()];
    for (const gateway of [a, b]) await db.repository().createGateway(gateway);
    const input = newPeering(a, b);
    await db.repository().createPeering(input);
    const holder = peeringPeerName(input.id);
    const key = publicKeyOf(b.id, 'rekeyed');

    // Act
    const outcomes = await Promise.allSettled([
      db
        .repository()
        .updateRemotePeer(a.id, holder, { endpoint: `${b.publicIp}:${b.listenPort}`, publicKey: key }),
      ...Array.from({ length: 5 }, (_, i) => holding(a.id, `laptop-${i}`, key)),
    ]);

    // Assess: one holder of the key, whichever it is, and its item names it.
    const refusals = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason] : []));
    expect(refusals).toEqual(Array.from({ length: 5 }, () => KEY_IN_USE));
    const holders = (await db.repository().listPeers(a.id)).filter((peer) => peer.publicKey === key);
    expect(holders).toHaveLength(1);
    expect((await keyItems(a.id)).filter((item) => item.key === key)).toEqual([
      { key, holder: holders[0]?.name },
    ]);
  });

  it("leave the old key's item to its holder when an entry older than the items gets a new key", async () => {
    // Prepare: the entry's item deleted, as entries written before the items hold none; "twin"
    // then took the entry's key with an item (a duplicate from before the read checks).
    const [a, b] = [gatewayRecord(), gatewayRecord()];
    for (const gateway of [a, b]) await db.repository().createGateway(gateway);
    const input = newPeering(a, b);
    await db.repository().createPeering(input);
    const holder = peeringPeerName(input.id);
    await db
      .documentClient()
      .send(new DeleteCommand({ TableName: db.tableName, Key: publicKeyKey(a.id, b.publicKey) }));
    await holding(a.id, 'twin', b.publicKey);
    const key = publicKeyOf(b.id, 'rekeyed');

    // Act
    const generation = await db
      .repository()
      .updateRemotePeer(a.id, holder, { endpoint: `${b.publicIp}:${b.listenPort}`, publicKey: key });

    // Assess: the new key claimed; the old key's item stays twin's.
    expect(generation).toEqual({ generation: 3, rewritten: true });
    const byKey = (x: { key: string }, y: { key: string }) => (x.key < y.key ? -1 : 1);
    expect(await keyItems(a.id)).toEqual(
      [
        { key, holder },
        { key: b.publicKey, holder: 'twin' },
      ].sort(byKey),
    );
  });
});

describe('the public-key backfill', () => {
  /** Tables of an older shape, made by the tests below: the shared DynamoDB Local keeps them otherwise. */
  const olderTables: string[] = [];
  afterAll(async () => {
    for (const TableName of olderTables) await db.client().send(new DeleteTableCommand({ TableName }));
  });

  /** A table of its own (the walk covers every gateway of one), with its repository. */
  async function olderTable(): Promise<{ tableName: string; repository: DynamoRepository }> {
    const tableName = `keys-${randomUUID()}`;
    olderTables.push(tableName);
    await ensureTable(db.client(), tableName);
    return { tableName, repository: new DynamoRepository(db.documentClient(), tableName) };
  }

  /** An older table's gateway, unmarked, whose road-warrior "laptop" holds no key item. */
  async function olderLaptop() {
    const { tableName, repository } = await olderTable();
    const gateway = gatewayRecord();
    await repository.createGateway(gateway);
    const key = publicKeyOf(gateway.id, 'laptop');
    await holding(gateway.id, 'laptop', key, repository);
    await withoutItem(gateway.id, key, tableName);
    await asOlderGateway(gateway.id, tableName);
    return { tableName, repository, gateway, key };
  }

  it('gives older entries their items a bounded part at a time, leaves a clash counted, marks each gateway at its end, then stops', async () => {
    // Prepare: three gateways of an older table, none marked. On a: road-warriors and a peering
    // entry without items, and "legacy" without one whose key "new" holds (a clash from before the
    // items); b's entry keeps its item; c has no peers.
    const { tableName, repository } = await olderTable();
    const [a, b, c] = ['100.64.0', '100.64.1', '100.64.2'].map((net) =>
      gatewayRecord({ tunnelSubnet: `${net}.0/24`, tunnelIp: `${net}.1` }),
    ) as [GatewayRecord, GatewayRecord, GatewayRecord];
    for (const gateway of [a, b, c]) await repository.createGateway(gateway);
    const peering = await repository.createPeering(newPeering(a, b));
    await withoutItem(a.id, b.publicKey, tableName);
    const laptops = Array.from({ length: 5 }, (_, i) => `laptop-${i}`);
    for (const name of laptops) {
      await holding(a.id, name, publicKeyOf(a.id, name), repository);
      await withoutItem(a.id, publicKeyOf(a.id, name), tableName);
    }
    const shared = publicKeyOf(a.id, 'shared');
    await holding(a.id, 'legacy', shared, repository);
    await withoutItem(a.id, shared, tableName);
    await holding(a.id, 'new', shared, repository);
    for (const gateway of [a, b, c]) await asOlderGateway(gateway.id, tableName);
    const marked = async (gatewayId: string) =>
      (await db.documentClient().send(new GetCommand({ TableName: tableName, Key: keys.gateway(gatewayId) })))
        .Item?.[PEER_KEYS_INDEXED] === true;
    const marker = async () =>
      (await db.documentClient().send(new GetCommand({ TableName: tableName, Key: keys.peerKeyBackfill() })))
        .Item;

    // Act: parts of three steps, two entries a page, as sweeps would run them, until one says the
    // walk is done; a's mark and items after each; then one more.
    const parts: PeerKeyBackfill[] = [];
    const onA: { marked: boolean; items: number }[] = [];
    while (parts.at(-1)?.done !== true && parts.length < 100) {
      parts.push(await backfillPeerKeys(repository.table, { steps: 3, pageItems: 2 }));
      onA.push({ marked: await marked(a.id), items: (await keyItems(a.id, tableName)).length });
    }
    const again = await backfillPeerKeys(repository.table, { steps: 3, pageItems: 2 });

    // Assess: every entry holds its item but "legacy", whose clash was found once and counted.
    const peeringEntry = peeringPeerName(peering.id);
    const byKey = (x: { key: string }, y: { key: string }) => (x.key < y.key ? -1 : 1);
    expect(await keyItems(a.id, tableName)).toEqual(
      [
        { key: b.publicKey, holder: peeringEntry },
        { key: shared, holder: 'new' },
        ...laptops.map((name) => ({ key: publicKeyOf(a.id, name), holder: name })),
      ].sort(byKey),
    );
    expect(await keyItems(b.id, tableName)).toEqual([{ key: a.publicKey, holder: peeringEntry }]);
    expect(parts.flatMap((part) => part.clashes)).toEqual([
      { gatewayId: a.id, peerName: 'legacy', holder: 'new' },
    ]);
    expect((await marker())?.clashes).toBe(1);
    expect(parts.reduce((sum, part) => sum + part.written, 0)).toBe(laptops.length + 1);
    // a's walk took several parts, and a was marked only once all its items were there.
    expect(onA.filter((state) => !state.marked && state.items > 1).length).toBeGreaterThan(0);
    expect(onA.filter((state) => state.marked).every((state) => state.items === laptops.length + 2)).toBe(
      true,
    );
    expect(parts.flatMap((part) => part.marked).sort()).toEqual([a.id, b.id, c.id].sort());
    for (const gateway of [a, b, c]) expect(await marked(gateway.id)).toBe(true);
    // Done: the next part does nothing.
    expect(again).toEqual({ marked: [], written: 0, clashes: [], done: true });
    expect((await marker())?.clashes).toBe(1);
  });

  it("never leaves an item behind a removed entry the walk gave it to between the removal's read and commit", async () => {
    // Prepare: an older entry without an item; the walk claims it for the entry right after the
    // removal read it as absent (the table's read of a key item, wrapped).
    const { tableName, repository, gateway } = await olderLaptop();
    const read = repository.table.get.bind(repository.table);
    let claimed = false;
    jest.spyOn(repository.table, 'get').mockImplementation(async (key) => {
      const item = await read(key);
      if (!claimed && key.sk.startsWith('KEY#')) {
        claimed = true;
        await backfillPeerKeys(repository.table, { steps: 10, pageItems: 10 });
      }
      return item;
    });

    // Act
    const removed = await repository.removeRoadWarrior(gateway.id, 'laptop');

    // Assess: the walk wrote the item, and the removal, read again, released it.
    expect(claimed).toBe(true);
    expect(removed?.name).toBe('laptop');
    expect(await keyItems(gateway.id, tableName)).toEqual([]);
  });

  it('keeps an older gateway unmarked when it is registered again, and its peers read', async () => {
    // Prepare
    const { tableName, repository } = await olderTable();
    const gateway = gatewayRecord();
    await repository.createGateway(gateway);
    await asOlderGateway(gateway.id, tableName);

    // Act
    await repository.upsertGateway({ ...gateway, name: 'renamed' });
    const read = await repository.publicKeyHolders(gateway.publicKey, [gateway.id]);

    // Assess
    expect(read).toEqual({ holders: new Map(), unindexed: new Set([gateway.id]) });
  });

  /** Gateway item `gatewayId` carries the mark. */
  const isMarked = async (tableName: string, gatewayId: string) =>
    (await db.documentClient().send(new GetCommand({ TableName: tableName, Key: keys.gateway(gatewayId) })))
      .Item?.[PEER_KEYS_INDEXED] === true;

  it('walks a page holding a clash from before the items, at the sweep budget', async () => {
    // Prepare: "legacy" and "new" share a key within one page of 100 (BatchGetItem refuses a key
    // asked twice).
    const { tableName, repository } = await olderTable();
    const gateway = gatewayRecord();
    await repository.createGateway(gateway);
    const shared = publicKeyOf(gateway.id, 'shared');
    await holding(gateway.id, 'legacy', shared, repository);
    await withoutItem(gateway.id, shared, tableName);
    await holding(gateway.id, 'new', shared, repository);
    await asOlderGateway(gateway.id, tableName);

    // Act
    const part = await backfillPeerKeys(repository.table);

    // Assess
    expect(part).toMatchObject({ done: true, marked: [gateway.id] });
    expect(part.clashes).toEqual([{ gatewayId: gateway.id, peerName: 'legacy', holder: 'new' }]);
    expect(await isMarked(tableName, gateway.id)).toBe(true);
  });

  it('marks no gateway whose entry lost its item write to contention, and gives it one next time', async () => {
    // Prepare: the first item write meets a concurrent write of the gateway item (a road-warrior
    // add's generation bump on a busy hub): DynamoDB cancels it as TransactionConflict.
    const { tableName, repository, gateway, key } = await olderLaptop();
    const transact = repository.table.transact.bind(repository.table);
    let conflicted = false;
    const spy = jest.spyOn(repository.table, 'transact').mockImplementation(async (items) => {
      if (!conflicted && items.length === 3) {
        conflicted = true;
        return [{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }];
      }
      return transact(items);
    });

    // Act
    const first = backfillPeerKeys(repository.table, { steps: 100, pageItems: 100 });
    await expect(first).rejects.toThrow(/TransactionConflict/);
    const markedAfterConflict = await isMarked(tableName, gateway.id);
    spy.mockRestore();
    const second = await backfillPeerKeys(repository.table, { steps: 100, pageItems: 100 });

    // Assess
    expect(markedAfterConflict).toBe(false);
    expect(second).toMatchObject({ marked: [gateway.id], written: 1 });
    expect(await keyItems(gateway.id, tableName)).toEqual([{ key, holder: 'laptop' }]);
  });

  it('stops with time to save its place, and the next part goes on from there', async () => {
    // Prepare: two older gateways; the invocation has time for the first only.
    const { tableName, repository } = await olderTable();
    const [a, b] = ['100.64.0', '100.64.1'].map((net) =>
      gatewayRecord({ tunnelSubnet: `${net}.0/24`, tunnelIp: `${net}.1` }),
    ) as [GatewayRecord, GatewayRecord];
    for (const gateway of [a, b]) {
      await repository.createGateway(gateway);
      await asOlderGateway(gateway.id, tableName);
    }
    let remainingMs = 60_000;
    const read = repository.table.get.bind(repository.table);
    // Each gateway item read spends 50 s of the invocation.
    jest.spyOn(repository.table, 'get').mockImplementation(async (key) => {
      if (key.pk.startsWith('GW#') && key.sk === 'META') remainingMs -= 50_000;
      return read(key);
    });

    // Act
    const first = await backfillPeerKeys(repository.table, {
      steps: 100,
      pageItems: 100,
      remainingMs: () => remainingMs,
    });
    remainingMs = 60_000;
    const second = await backfillPeerKeys(repository.table, {
      steps: 100,
      pageItems: 100,
      remainingMs: () => remainingMs,
    });

    // Assess: one gateway per part, none twice, the walk done at the second.
    expect(first.done).toBe(false);
    expect(first.marked).toHaveLength(1);
    expect(second.done).toBe(true);
    expect([...first.marked, ...second.marked].sort()).toEqual([a.id, b.id].sort());
  });
});
