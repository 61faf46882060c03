/**
 * Section 2: 200 peering operations across 20 gateways through the API, 40 in flight at a time (140
 * creates on distinct pairs; each of the first 60 is deleted as soon as its create call answers),
 * then, once everything has settled, the invariants of docs/CONTRACT.md#invariants counted on the table and on the
 * hosts: duplicate tunnel addresses, orphan peers on hosts, orphan allocations, peerings neither
 * ACTIVE nor cleanly FAILED.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Repository } from '../lambdas/app/ports';
import { PAGE_LIMIT_MAX, walkPages } from '../lambdas/core/pagination';
import { peeringPeerName } from '../lambdas/core/schemas';
import type { Peering } from '../lambdas/core/types';
import {
  type ApiResponse,
  type BenchRuntime,
  registerGateways,
  round,
  type SectionResult,
  startBenchRuntime,
  WAIT_NOTE,
} from './harness';

const GATEWAYS = 20;
const CREATES = 140;
const DELETES = 60;
const TABLE_NAME = 'vpc-peering';
const RECORD_BOUND_MS = 60_000;
/**
 * Creates (each with its delete) in flight at once. All 140 at once overloads DynamoDB Local on a
 * 2-core machine until Task states hit their 60 s timeout; 40 keeps every gateway under
 * concurrent changes while staying inside what one machine serves.
 */
const MAX_IN_FLIGHT = 40;
const RECORD_POLL_MS = 100;

interface GatewayScan {
  peers: { name: string; tunnelIp: string; publicKey: string }[];
  allocations: { tunnelIp: string; holder: string }[];
  tunnelIp: string;
}

export async function benchConcurrency(): Promise<SectionResult> {
  const bench = await startBenchRuntime('files');
  try {
    const ids = await registerGateways(bench.admin, 'c', GATEWAYS);
    const pairs = allPairs(ids).slice(0, CREATES);
    const statuses: Record<string, number> = {};
    const count = (what: string, response: ApiResponse) => {
      const key = `${what} ${response.status}`;
      statuses[key] = (statuses[key] ?? 0) + 1;
    };
    const started = performance.now();
    const deleted: string[] = [];
    let acceptedCreates = 0;
    await inPool(MAX_IN_FLIGHT, pairs.length, async (i) => {
      const [a, b] = pairs[i] as [string, string];
      const created = await bench.admin.call('POST', `/v1/gateways/${a}/vpc-peerings`, {
        remoteGatewayId: b,
      });
      count('create', created);
      if (isAccepted(created.status)) acceptedCreates++;
      const id = typeof created.body.id === 'string' ? created.body.id : undefined;
      if (i >= DELETES || !id || !(await untilRecorded(bench, id))) return;
      const removal = await bench.admin.call('DELETE', `/v1/vpc-peerings/${id}`);
      count('delete', removal);
      if (removal.status === 202 || removal.status === 204) deleted.push(id);
    });
    const answeredMs = performance.now() - started;
    await bench.runtime.settled();
    const settledMs = performance.now() - started;
    // Only what the API accepted is work done: a refusal answered fast would otherwise raise the figure.
    const operations = acceptedCreates + deleted.length;
    const invariants = await checkInvariants(bench, ids, deleted);
    const executions = tally(
      bench.runtime.workflows
        .list()
        .map((e) => `${e.workflow} ${e.result.status} ${e.result.error ?? ''}`.trim()),
    );
    const violations = [
      ['duplicate tunnel addresses', invariants.duplicateAddresses],
      ['orphan peers on hosts', invariants.orphanPeersOnHosts],
      ['peers missing on hosts', invariants.peersMissingOnHosts],
      ['orphan allocations', invariants.orphanAllocations],
      ['peerings neither ACTIVE nor cleanly FAILED', invariants.unsettledPeerings],
      ['deleted peerings still present', invariants.deletedStillPresent],
    ] as const;
    return {
      metrics: [
        {
          metric: `throughput (${operations} accepted ops until settled)`,
          value: round(operations / (settledMs / 1000)),
          unit: 'ops/s',
          goal: `${MAX_IN_FLIGHT} in flight`,
        },
        {
          metric: 'all API calls answered after',
          value: round(answeredMs / 1000),
          unit: 's',
          lowerIsBetter: true,
        },
        {
          metric: 'everything settled after',
          value: round(settledMs / 1000),
          unit: 's',
          lowerIsBetter: true,
        },
        {
          metric: `create calls not accepted (not 201/202) of ${pairs.length}`,
          value: pairs.length - acceptedCreates,
          goal: '0',
        },
        ...violations.map(([metric, value]) => ({ metric, value, goal: '0' })),
        { metric: 'peerings by status', value: JSON.stringify(invariants.byStatus) },
      ],
      notes: [
        'embedded runtime, hostMode files; a delete is sent once its peering is recorded (GET 200), racing its provisioning',
        WAIT_NOTE,
        `API answers: ${JSON.stringify(statuses)}`,
        `workflow executions: ${JSON.stringify(executions)}`,
        `peerings not settled cleanly: ${JSON.stringify(invariants.unsettled)}`,
      ],
      details: {
        gateways: GATEWAYS,
        creates: pairs.length,
        acceptedCreates,
        deletes: deleted.length,
        statuses,
        executions,
        invariants,
      },
    };
  } finally {
    await bench.stop();
  }
}

/** A create the API took on: done (201) or still running (202). */
const isAccepted = (status: number): boolean => status === 201 || status === 202;

/** Waits (bounded) until the peering a 202 announced is recorded; false when it never appears. */
async function untilRecorded(bench: BenchRuntime, peeringId: string): Promise<boolean> {
  const deadline = Date.now() + RECORD_BOUND_MS;
  while (Date.now() < deadline) {
    if ((await bench.admin.call('GET', `/v1/vpc-peerings/${peeringId}`)).status === 200) return true;
    await sleep(RECORD_POLL_MS);
  }
  return false;
}

/** Runs work(0..count-1) with at most `limit` running at a time. */
async function inPool(limit: number, count: number, work: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < count) await work(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, count) }, worker));
}

function tally(keys: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const key of keys) counts[key] = (counts[key] ?? 0) + 1;
  return counts;
}

function allPairs(ids: string[]): [string, string][] {
  return ids.flatMap((a, i) => ids.slice(i + 1).map((b): [string, string] => [a, b]));
}

async function checkInvariants(bench: BenchRuntime, gatewayIds: string[], deleted: string[]) {
  const { repository, documentClient } = await import('../lambdas/adapters/dynamodb');
  const repo = repository();
  const scans = new Map<string, GatewayScan>();
  for (const id of gatewayIds) scans.set(id, await scanGateway(documentClient(), repo, id));

  let duplicateAddresses = 0;
  let orphanAllocations = 0;
  let orphanPeersOnHosts = 0;
  let peersMissingOnHosts = 0;
  for (const [id, scan] of scans) {
    const addresses = [scan.tunnelIp, ...scan.peers.map((p) => p.tunnelIp)];
    duplicateAddresses += addresses.length - new Set(addresses).size;
    const names = new Set(scan.peers.map((p) => p.name));
    orphanAllocations += scan.allocations.filter((a) => !names.has(a.holder)).length;
    const gateway = await repo.getGateway(id);
    const report = gateway ? await bench.runtime.hosts.report(gateway.instanceId) : undefined;
    const onHost = new Set((report?.peers ?? []).map((p) => p.publicKey));
    const inTable = new Set(scan.peers.map((p) => p.publicKey));
    orphanPeersOnHosts += [...onHost].filter((key) => !inTable.has(key)).length;
    peersMissingOnHosts += [...inTable].filter((key) => !onHost.has(key)).length;
  }

  const peerings = await walkPages((nextToken) =>
    repo.pagePeerings({}, { limit: PAGE_LIMIT_MAX, nextToken, binding: 'bench-concurrency' }),
  );
  const byStatus: Record<string, number> = {};
  const unsettled: string[] = [];
  const deleteRequested = new Set(deleted);
  for (const peering of peerings) {
    byStatus[peering.status] = (byStatus[peering.status] ?? 0) + 1;
    if (!isSettledCleanly(peering, scans)) {
      unsettled.push(`${peering.status}${deleteRequested.has(peering.id) ? ' (delete requested)' : ''}`);
    }
  }
  const unsettledPeerings = unsettled.length;
  const present = new Set(peerings.map((p) => p.id));
  const deletedStillPresent = deleted.filter((id) => present.has(id)).length;
  return {
    duplicateAddresses,
    orphanPeersOnHosts,
    peersMissingOnHosts,
    orphanAllocations,
    unsettledPeerings,
    deletedStillPresent,
    byStatus,
    unsettled: tally(unsettled),
  };
}

/** ACTIVE with both sides applied and present, or FAILED with nothing left on either gateway. */
function isSettledCleanly(peering: Peering, scans: Map<string, GatewayScan>): boolean {
  const name = peeringPeerName(peering.id);
  const traces = peering.gatewayIds.map((id) => {
    const scan = scans.get(id);
    return {
      peer: scan?.peers.some((p) => p.name === name) ?? false,
      allocation: scan?.allocations.some((a) => a.holder === name) ?? false,
    };
  });
  if (peering.status === 'ACTIVE') {
    return peering.sides.every((s) => s.applied) && traces.every((t) => t.peer && t.allocation);
  }
  if (peering.status === 'FAILED') return traces.every((t) => !t.peer && !t.allocation);
  return false;
}

async function scanGateway(
  documents: ReturnType<typeof import('../lambdas/adapters/dynamodb').documentClient>,
  repo: Repository,
  gatewayId: string,
): Promise<GatewayScan> {
  const allocations: GatewayScan['allocations'] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await documents.send(
      new QueryCommand({
        TableName: TABLE_NAME,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ip)',
        ExpressionAttributeValues: { ':pk': `GW#${gatewayId}`, ':ip': 'IP#' },
        ConsistentRead: true,
        ExclusiveStartKey: start,
      }),
    );
    for (const item of page.Items ?? []) {
      allocations.push({ tunnelIp: String(item.tunnelIp), holder: String(item.holder) });
    }
    start = page.LastEvaluatedKey;
  } while (start);
  const peers = (await repo.listPeers(gatewayId)).map(({ name, tunnelIp, publicKey }) => ({
    name,
    tunnelIp,
    publicKey,
  }));
  const gateway = await repo.getGateway(gatewayId);
  return { peers, allocations, tunnelIp: gateway?.tunnelIp ?? '' };
}
