/**
 * Crash and restart of the embedded runtime (README, "What survives a crash"): the whole runtime's
 * process group is SIGKILLed while creates and a delete are in flight, on real WireGuard hosts;
 * a new runtime on the same DATA_DIR must, with no client action, settle every peering, leave no
 * orphan (docs/CONTRACT.md#invariants 3: on the hosts, and on the table: peer entries, address
 * allocations, pair locks, route locks), bring every gateway to its desired generation, have the
 * tunnels handshake again, remove the crashed run's namespaces, and leave no namespace after its
 * own clean stop. Needs Linux, root, Java 17, wireguard-go, wireguard-tools, nftables and iproute2.
 */
import { type ChildProcess, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../../lambdas/adapters/dynamodb/client';
import { peeringIdOfPeerName } from '../../lambdas/core/schemas';
import { startDynamoDbLocal } from '../../runtime/dynamodb-local';
import { missingForWireguard, removeNamespaces } from '../../runtime/hosts';
import { mintToken } from '../../runtime/tokens';
import { spawnRuntime } from '../support/target';

const SECRET = 'crash-restart-test-secret-0123456789abcdef';
let dataDir: string;
/** Every process group and namespace prefix this file started, removed whatever the outcome. */
const groups: number[] = [];
const prefixes: string[] = [];
let admin: string;
let alice: string;

interface Started {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  /** Everything it printed so far. */
  output: () => string;
}

/** `npm start`'s runtime as its own process group, on `dataDir`; resolves once it listens. */
function startProcess(): Promise<Started> {
  const child = spawnRuntime({
    DATA_DIR: dataDir,
    PORT: '0',
    LOCAL_AUTH_SECRET: SECRET,
    STATUS_REPORT_INTERVAL_SECONDS: '2',
    SWEEP_INTERVAL_SECONDS: '0',
  });
  if (child.pid) groups.push(child.pid);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`runtime did not start:\n${output}`)), 120_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const url = /Listening on (http:\/\/\S+)/.exec(output)?.[1];
      if (url) {
        clearTimeout(timer);
        resolve({ child, url, exited, output: () => output });
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    exited.then((code) => reject(new Error(`runtime exited (${code}) before listening:\n${output}`)));
  });
}

async function call(url: string, token: string, method: string, path: string, body?: unknown) {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

const namespacesWith = (prefix: string): string[] =>
  execFileSync('ip', ['netns', 'list'], { encoding: 'utf8' })
    .split('\n')
    .map((line) => line.split(' ')[0] ?? '')
    .filter((name) => name.startsWith(`${prefix}-`));

function runPrefix(): string {
  const { hostPrefix } = JSON.parse(readFileSync(join(dataDir, 'run.json'), 'utf8')) as {
    hostPrefix: string;
  };
  prefixes.push(hostPrefix);
  return hostPrefix;
}

/** Create and delete executions the journal records as still running. */
function runningExecutions(): string[] {
  const dir = join(dataDir, 'executions');
  return readdirSync(dir).filter((file) => {
    if (!/^(create|delete)-peering\..*\.json$/.test(file)) return false;
    try {
      return (
        (JSON.parse(readFileSync(join(dir, file), 'utf8')) as { result: { status: string } }).result
          .status === 'RUNNING'
      );
    } catch {
      return false;
    }
  });
}

/**
 * Resolves once no process of the group is left: the runtime may exit before what it started (its
 * DynamoDB Local, its hosts' processes) is gone.
 */
async function groupGone(group: number, ms = 60_000): Promise<void> {
  await eventually(
    `process group ${group} to exit`,
    async () => {
      try {
        process.kill(-group, 0);
        return undefined;
      } catch {
        return true;
      }
    },
    ms,
  );
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, ms = 90_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

type Item = Record<string, unknown>;

/** Every item of the runtime's table as its last stop left it (DynamoDB Local on DATA_DIR/dynamodb). */
async function tableItems(): Promise<Item[]> {
  const db = await startDynamoDbLocal({ dataDir: join(dataDir, 'dynamodb') });
  const client = new DynamoDBClient({ ...db.clientConfig, endpoint: db.endpoint });
  try {
    const documents = createDocumentClient(client);
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const page = await documents.send(
        new ScanCommand({ TableName: 'vpc-peering', ConsistentRead: true, ExclusiveStartKey: start }),
      );
      items.push(...(page.Items ?? []));
      start = page.LastEvaluatedKey;
    } while (start);
    return items;
  } finally {
    client.destroy();
    await db.stop();
  }
}

/**
 * What invariant 3 forbids on the table once everything settled, one line each (docs/ARCHITECTURE.md,
 * "Data model"): an address allocation (IP#) whose holder is no peer entry of its gateway, a peer
 * entry without its allocation, a peering's peer entry, pair lock or route lock (ROUTES#
 * `route:<id>`) whose peering is not ACTIVE, and an ACTIVE peering without its pair lock.
 */
function tableOrphans(items: Item[]): string[] {
  const gatewayOf = (item: Item) => String(item.pk).replace(/^GW#/, '');
  const inPartition = (prefix: string) => items.filter((item) => String(item.sk).startsWith(prefix));
  const peeringStatus = new Map(
    items
      .filter((item) => String(item.pk).startsWith('PEERING#') && item.sk === 'META')
      .map((item) => [String(item.id), String(item.status)]),
  );
  const notActive = (peeringId: string) =>
    peeringStatus.get(peeringId) === 'ACTIVE' ? undefined : (peeringStatus.get(peeringId) ?? 'gone');
  const peers = inPartition('PEER#');
  const allocations = inPartition('IP#');
  const pairLocks = items.filter((item) => String(item.pk).startsWith('PAIR#'));
  const orphans: string[] = [];
  for (const allocation of allocations) {
    const holder = peers.find((p) => p.pk === allocation.pk && p.name === allocation.holder);
    if (!holder || holder.tunnelIp !== allocation.tunnelIp)
      orphans.push(
        `allocation ${allocation.tunnelIp} on ${gatewayOf(allocation)} held by ${allocation.holder}`,
      );
  }
  for (const peer of peers) {
    const allocated = allocations.some(
      (a) => a.pk === peer.pk && a.holder === peer.name && a.tunnelIp === peer.tunnelIp,
    );
    if (!allocated) orphans.push(`peer ${peer.name} on ${gatewayOf(peer)} without its allocation`);
    const peeringId = peeringIdOfPeerName(String(peer.name));
    const status = peeringId && notActive(peeringId);
    if (status) orphans.push(`peer ${peer.name} on ${gatewayOf(peer)}: its peering is ${status}`);
  }
  for (const lock of pairLocks) {
    const status = notActive(String(lock.peeringId));
    if (status) orphans.push(`pair lock ${lock.pk} of peering ${lock.peeringId}, which is ${status}`);
  }
  for (const [id, status] of peeringStatus) {
    if (status === 'ACTIVE' && !pairLocks.some((lock) => lock.peeringId === id))
      orphans.push(`ACTIVE peering ${id} without its pair lock`);
  }
  for (const block of inPartition('ROUTES#')) {
    for (const attribute of Object.keys(block).filter((name) => name.startsWith('route:'))) {
      const status = notActive(attribute.slice('route:'.length));
      if (status)
        orphans.push(`${attribute} in ${block.sk} of ${gatewayOf(block)}: its peering is ${status}`);
    }
  }
  return orphans;
}

const gateway = (n: number) => ({
  id: `gw-crash-${n}`,
  ownerId: 'alice',
  vpcId: `vpc-crash-${n}`,
  vpcCidr: `10.${60 + n}.0.0/16`,
  tunnelSubnet: `100.64.${60 + n}.0/24`,
  publicIp: `203.0.113.${60 + n}`,
  instanceId: `i-crash-${n}`,
});
const GATEWAYS = [1, 2, 3, 4].map((n) => gateway(n).id);

beforeAll(async () => {
  const missing = missingForWireguard();
  if (missing.length > 0) throw new Error(`The crash-restart suite needs: ${missing.join(', ')}`);
  dataDir = mkdtempSync(join(tmpdir(), 'vpc-peering-crash-'));
  admin = await mintToken(SECRET, { sub: 'admin', groups: ['admin'] });
  alice = await mintToken(SECRET, { sub: 'alice' });
});

afterAll(async () => {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  for (const prefix of prefixes) await removeNamespaces(prefix);
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

it('settles everything a SIGKILL interrupted, restores the tunnels and leaves nothing behind', async () => {
  // Prepare: four gateways, one ACTIVE peering (1-2) whose tunnel is up.
  const first = await startProcess();
  for (const n of [1, 2, 3, 4])
    expect((await call(first.url, admin, 'POST', '/v1/gateways', gateway(n))).status).toBe(201);
  const up = await call(first.url, alice, 'POST', '/v1/gateways/gw-crash-1/vpc-peerings', {
    remoteGatewayId: 'gw-crash-2',
  });
  expect([201, 202]).toContain(up.status);
  await eventually('the first peering to be ACTIVE', async () => {
    const { json } = await call(first.url, alice, 'GET', `/v1/vpc-peerings/${up.json.id}`);
    return json.status === 'ACTIVE' ? true : undefined;
  });
  const crashedPrefix = runPrefix();

  // Act: creates and a delete in flight, then SIGKILL of the whole process group.
  const inFlight = [
    call(first.url, alice, 'POST', '/v1/gateways/gw-crash-3/vpc-peerings', { remoteGatewayId: 'gw-crash-4' }),
    call(first.url, alice, 'POST', '/v1/gateways/gw-crash-1/vpc-peerings', { remoteGatewayId: 'gw-crash-3' }),
    call(first.url, alice, 'DELETE', `/v1/vpc-peerings/${up.json.id}`),
  ].map((reply) => reply.catch(() => undefined));
  // Killed while the journal holds running create and delete executions (runtime/execution-journal.ts).
  await eventually(
    'creates and the delete to be running',
    async () => (runningExecutions().length >= 3 ? true : undefined),
    30_000,
  );
  process.kill(-(first.child.pid as number), 'SIGKILL');
  await first.exited;
  await Promise.all(inFlight);
  const leftBehind = namespacesWith(crashedPrefix);
  const second = await startProcess();

  // Assess: what was running is re-driven, and every peering settles without a client action.
  await eventually('the re-drive log lines', async () =>
    (second.output().match(/re-driven after a restart/g) ?? []).length >= 1 ? true : undefined,
  );
  const peerings = await eventually('every peering to settle', async () => {
    const { json } = await call(second.url, alice, 'GET', '/v1/vpc-peerings');
    const items = json.items as { id: string; status: string; gatewayIds: string[] }[];
    return items.every((p) => p.status === 'ACTIVE' || p.status === 'FAILED') ? items : undefined;
  });
  // The delete in flight at the crash was finished too.
  expect(peerings.map((p) => p.id)).not.toContain(up.json.id);
  // Every gateway at its desired generation, its applied peers exactly its peer entries (no orphan).
  for (const id of GATEWAYS) {
    const status = await eventually(`${id} to apply its desired generation`, async () => {
      const { json } = await call(second.url, alice, 'GET', `/v1/gateways/${id}/status`);
      return json.appliedGeneration === json.desiredGeneration ? json : undefined;
    });
    const detail = (await call(second.url, alice, 'GET', `/v1/gateways/${id}`)).json;
    const entries = (detail.peers as { name: string }[]).map((p) => p.name).sort();
    const applied = (status.peers as { name: string }[]).map((p) => p.name).sort();
    const activeHere = peerings
      .filter((p) => p.status === 'ACTIVE' && p.gatewayIds.includes(id))
      .map((p) => `vpc-peering-${p.id}`)
      .sort();
    expect({ id, applied }).toEqual({ id, applied: entries });
    expect({ id, entries }).toEqual({ id, entries: activeHere });
  }
  // The tunnels of ACTIVE peerings handshake again (on the restored hosts, reported afresh).
  for (const peering of peerings.filter((p) => p.status === 'ACTIVE')) {
    await eventually(`peering ${peering.id} to handshake again`, async () => {
      const { json } = await call(second.url, alice, 'GET', `/v1/gateways/${peering.gatewayIds[0]}/status`);
      const peer = (json.peers as { name: string; online: boolean }[]).find(
        (p) => p.name === `vpc-peering-${peering.id}`,
      );
      return peer?.online ? true : undefined;
    });
  }
  // The crashed run's namespaces are gone; the clean stop leaves none of its own.
  const secondPrefix = runPrefix();
  expect(namespacesWith(secondPrefix).length).toBeGreaterThan(0);
  process.kill(-(second.child.pid as number), 'SIGINT');
  await second.exited;
  await groupGone(second.child.pid as number);
  expect(leftBehind.length).toBeGreaterThan(0);
  expect(namespacesWith(crashedPrefix)).toEqual([]);
  expect(namespacesWith(secondPrefix)).toEqual([]);
  // The table holds no orphan: allocations, peer entries, pair and route locks (invariant 3).
  const items = await tableItems();
  expect(items.filter((item) => String(item.sk).startsWith('IP#')).length).toBeGreaterThan(0);
  expect(tableOrphans(items)).toEqual([]);
}, 300_000);
