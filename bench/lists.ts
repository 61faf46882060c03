/**
 * Section: lists are pages (docs/ARCHITECTURE.md "Lists"). On DynamoDB Local, tables seeded with
 * BatchWriteItem directly (not through the API), the API handler called in-process:
 * - a list page for an admin (limit 50) and for a user with 10 gateways (limit 5, so a second page
 *   exists), at 1,000 and at 100,000 gateways in the table: read units and latency (goal: flat; ratio
 *   100,000 over 1,000; both sizes after WARM_UP_CALLS unmeasured pages, so the 1,000 baseline is
 *   not a cold JVM's and process's), beside
 *   what the old admin list read (a filtered Scan of the whole table) at both sizes;
 * - the view of a gateway with 10,000 road-warriors against one with 100: bytes (goal ≤ 64 KB)
 *   and latency (goal: flat);
 * - peering candidates of an owner with 500 gateways: read units per page and requests per page
 *   (goal: bounded whatever the owner has).
 * Capacity units come from ReturnConsumedCapacity TOTAL (DynamoDB Local's accounting).
 * The table is the control plane's (keys, both indexes) without its stream: DynamoDB Local writes
 * a stream record per item, which made seeding 100,000 gateways 2–4 times slower on 2 cores and
 * changes nothing a list reads.
 *
 * Run: npx tsx bench/run.ts lists
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { createDocumentClient } from '../lambdas/adapters/dynamodb/client';
import { DynamoRepository } from '../lambdas/adapters/dynamodb/repository';
import type { ApiDeps } from '../lambdas/app/api/context';
import type { SecretStore, WorkflowEngine } from '../lambdas/app/ports';
import { DEFAULT_SECRET_PREFIX, secretNamesUnder } from '../lambdas/app/secret-names';
import { ipv4ToInt } from '../lambdas/core/cidr';
import { createApiHandler } from '../lambdas/http/handler';
import { env } from '../lambdas/shared/env';
import { startDynamoDbLocal } from '../runtime/dynamodb-local';
import { median, round, type SectionResult } from './harness';
import { batchWrite, createBenchTable, gateway, gatewayRow, roadWarriorRow, TABLE } from './lists-seed';

const SIZES = [1_000, 100_000];
const SAMPLES = 7;
/**
 * Unmeasured page calls before the first measured size (and before the first gateway view): without
 * them the baseline was the cold DynamoDB Local JVM's and the cold handler's, slower than the large
 * size (a ratio of 0.30 on 2026-12-05), which would hide a list growing with the table.
 */
const WARM_UP_CALLS = 200;
const VIEW_LIMIT_BYTES = 64 * 1024;

const progress = (line: string) => process.stderr.write(`   ${line}\n`);

interface Sample {
  units: number;
  ms: number;
  requests: number;
  bytes: number;
}

/** One API call on a fresh repository: its read units, requests, time and body size. */
async function apiCall(
  documents: DynamoDBDocumentClient,
  caller: { sub: string; admin: boolean },
  path: string,
  query: Record<string, string> = {},
): Promise<Sample & { body: Record<string, unknown> }> {
  let units = 0;
  let requests = 0;
  const repository = new DynamoRepository(documents, TABLE, {
    onConsumedCapacity: (consumed) => {
      units += consumed;
      requests += 1;
    },
  });
  const unused = () => {
    throw new Error('not used by list routes');
  };
  const deps: ApiDeps = {
    repository,
    secrets: {
      putIfAbsent: unused,
      get: unused,
      delete: unused,
      deleteUnder: unused,
      names: secretNamesUnder(DEFAULT_SECRET_PREFIX),
    } as SecretStore,
    workflows: { start: unused, describe: unused, find: unused } as WorkflowEngine,
    configStore: { get: unused },
    clock: () => new Date(),
  };
  const handler = createApiHandler(
    () => deps,
    () => ({ waitMs: 0, pollMs: 0 }),
    () => ({
      addresses: env.addressPolicy(),
      limits: env.ownerLimits(),
      throttle: { ratePerSecond: 0, burst: 1 },
    }),
  );
  const event = {
    httpMethod: 'GET',
    path,
    headers: {},
    multiValueHeaders: {},
    queryStringParameters: Object.keys(query).length > 0 ? query : null,
    multiValueQueryStringParameters: null,
    pathParameters: null,
    stageVariables: null,
    resource: '/{proxy+}',
    body: null,
    isBase64Encoded: false,
    requestContext: {
      authorizer: { claims: { sub: caller.sub, 'cognito:groups': caller.admin ? 'admin' : '' } },
    },
  } as unknown as APIGatewayProxyEvent;
  const started = performance.now();
  const result = await handler(event, { awsRequestId: 'bench' } as Context);
  const ms = performance.now() - started;
  if (result.statusCode !== 200) throw new Error(`${path}: ${result.statusCode} ${result.body}`);
  return { units, ms, requests, bytes: Buffer.byteLength(result.body), body: JSON.parse(result.body) };
}

/** Median of SAMPLES calls (the second page, so the token path is measured too). */
async function measurePage(
  documents: DynamoDBDocumentClient,
  caller: { sub: string; admin: boolean },
  path: string,
  query: Record<string, string> = {},
): Promise<Sample> {
  const first = await apiCall(documents, caller, path, query);
  const token: Record<string, string> =
    typeof first.body.nextToken === 'string' ? { nextToken: first.body.nextToken } : {};
  const samples: Sample[] = [];
  for (let i = 0; i < SAMPLES; i++)
    samples.push(await apiCall(documents, caller, path, { ...query, ...token }));
  return {
    units: median(samples.map((s) => s.units)),
    ms: median(samples.map((s) => s.ms)),
    requests: median(samples.map((s) => s.requests)),
    bytes: median(samples.map((s) => s.bytes)),
  };
}

/** About WARM_UP_CALLS unmeasured calls spread over `pages`, each one's second page too when it has one. */
async function warmUp(
  documents: DynamoDBDocumentClient,
  pages: { caller: { sub: string; admin: boolean }; path: string; query?: Record<string, string> }[],
): Promise<void> {
  for (let i = 0; i < WARM_UP_CALLS; i += pages.length) {
    for (const page of pages) {
      const first = await apiCall(documents, page.caller, page.path, page.query);
      if (typeof first.body.nextToken === 'string')
        await apiCall(documents, page.caller, page.path, { ...page.query, nextToken: first.body.nextToken });
    }
  }
}

/** What the old admin list read: a filtered Scan of the whole table, every page. */
async function oldAdminScan(documents: DynamoDBDocumentClient): Promise<{ units: number; ms: number }> {
  let units = 0;
  let start: Record<string, unknown> | undefined;
  const started = performance.now();
  do {
    const page = await documents.send(
      new ScanCommand({
        TableName: TABLE,
        FilterExpression: '#entity = :entity AND sk = :meta',
        ExpressionAttributeNames: { '#entity': 'entity' },
        ExpressionAttributeValues: { ':entity': 'gateway', ':meta': 'META' },
        ExclusiveStartKey: start,
        ReturnConsumedCapacity: 'TOTAL',
      }),
    );
    units += page.ConsumedCapacity?.CapacityUnits ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return { units, ms: performance.now() - started };
}

/** `sizes`: table sizes to measure at (the section: 1,000 and 100,000). */
export async function benchLists(sizes: readonly number[] = SIZES): Promise<SectionResult> {
  const local = await startDynamoDbLocal();
  const client = new DynamoDBClient({ ...local.clientConfig, endpoint: local.endpoint });
  try {
    await createBenchTable(client);
    const documents = createDocumentClient(client);
    const admin = { sub: 'bench-admin', admin: true };
    const user = { sub: 'user-ten', admin: false };
    await batchWrite(
      documents,
      Array.from({ length: 10 }, (_, i) => gatewayRow(gateway(`mine-${i}`, user.sub, i))),
    );
    const pages: Record<number, { admin: Sample; user: Sample; scan: { units: number; ms: number } }> = {};
    /** How long seeding up to each size took (BatchWriteItem, WRITERS in parallel). */
    const seedSeconds: Record<number, number> = {};
    let seeded = 10;
    for (const size of sizes) {
      const rows = Array.from({ length: size - seeded }, (_, i) =>
        gatewayRow(
          gateway(`gw-${String(seeded + i).padStart(6, '0')}`, `owner-${(seeded + i) % 997}`, seeded + i),
        ),
      );
      const seeding = performance.now();
      await batchWrite(documents, rows);
      seedSeconds[size] = round((performance.now() - seeding) / 1000);
      seeded = size;
      if (size === sizes[0]) {
        progress(`warming up with ${WARM_UP_CALLS} unmeasured page calls`);
        await warmUp(documents, [
          { caller: admin, path: '/v1/gateways' },
          { caller: user, path: '/v1/gateways', query: { limit: '5' } },
        ]);
      }
      progress(`seeded ${size} gateways in ${seedSeconds[size]} s; measuring pages`);
      pages[size] = {
        admin: await measurePage(documents, admin, '/v1/gateways'),
        user: await measurePage(documents, user, '/v1/gateways', { limit: '5' }),
        scan: await oldAdminScan(documents),
      };
    }

    // The gateway view: 100 and 10,000 road-warriors in a /16.
    const views: Record<number, Sample> = {};
    for (const count of [100, 10_000]) {
      const id = `view-${count}`;
      const record = gateway(id, user.sub, 200, { tunnelSubnet: '100.127.0.0/16', tunnelIp: '100.127.0.1' });
      const first = ipv4ToInt('100.127.0.0');
      await batchWrite(documents, [
        gatewayRow(record),
        ...Array.from({ length: count }, (_, i) => roadWarriorRow(id, i, first)),
      ]);
      if (count === 100) await warmUp(documents, [{ caller: user, path: `/v1/gateways/${id}` }]);
      progress(`measuring the view of a gateway with ${count} road-warriors`);
      views[count] = await measurePage(documents, user, `/v1/gateways/${id}`);
    }

    // Candidates: an owner with 500 gateways (distinct /16 VPCs from 10/8 and 172.16/12 is not
    // enough for 500, so VPCs repeat; eligibility is computed all the same).
    const many = { sub: 'owner-500', admin: false };
    await batchWrite(
      documents,
      Array.from({ length: 500 }, (_, i) =>
        gatewayRow(gateway(`c-${String(i).padStart(3, '0')}`, many.sub, i)),
      ),
    );
    progress('measuring candidates of an owner with 500 gateways');
    const candidates = await measurePage(documents, many, '/v1/gateways/c-000/peering-candidates');
    let walkUnits = 0;
    let walkPages = 0;
    let nextToken: string | undefined;
    do {
      const page = await apiCall(
        documents,
        many,
        '/v1/gateways/c-000/peering-candidates',
        nextToken ? { limit: '100', nextToken } : { limit: '100' },
      );
      walkUnits += page.units;
      walkPages += 1;
      nextToken = typeof page.body.nextToken === 'string' ? page.body.nextToken : undefined;
    } while (nextToken);

    const [small, large] = [sizes[0] ?? 0, sizes.at(-1) ?? 0];
    const at = (size: number) => pages[size] as (typeof pages)[number];
    const flat = (metric: string, unit: string, pick: (s: Sample) => number, who: 'admin' | 'user') => ({
      metric,
      value: round(pick(at(large)[who])),
      unit,
      baseline: round(pick(at(small)[who])),
      ratio: round(pick(at(large)[who]) / pick(at(small)[who])),
      goal: `flat (ratio ≈ 1; baseline: ${small} gateways)`,
      lowerIsBetter: true,
    });
    const view = views[10_000] as Sample;
    const smallView = views[100] as Sample;
    return {
      metrics: [
        flat(`admin page (50) read units at ${large} gateways`, 'RCU', (s) => s.units, 'admin'),
        flat(`admin page (50) latency at ${large} gateways`, 'ms', (s) => s.ms, 'admin'),
        flat(`user page (5 of 10) read units at ${large} gateways`, 'RCU', (s) => s.units, 'user'),
        flat(`user page (5 of 10) latency at ${large} gateways`, 'ms', (s) => s.ms, 'user'),
        {
          metric: `old admin list (Scan of the table) read units at ${large} gateways`,
          value: round(at(large).scan.units),
          unit: 'RCU',
          baseline: round(at(small).scan.units),
          ratio: round(at(large).scan.units / at(small).scan.units),
          goal: 'contrast only: grows with the table',
        },
        {
          metric: 'gateway view with 10,000 road-warriors: response size',
          value: view.bytes,
          unit: 'bytes',
          baseline: smallView.bytes,
          ratio: round(view.bytes / smallView.bytes),
          goal: `≤ ${VIEW_LIMIT_BYTES} bytes`,
          lowerIsBetter: true,
        },
        {
          metric: 'gateway view with 10,000 road-warriors: latency',
          value: round(view.ms),
          unit: 'ms',
          baseline: round(smallView.ms),
          ratio: round(view.ms / smallView.ms),
          goal: 'flat (baseline: 100 road-warriors)',
          lowerIsBetter: true,
        },
        {
          metric: 'candidates page (50) of an owner with 500 gateways: read units',
          value: round(candidates.units),
          unit: 'RCU',
          goal: 'bounded per page, whatever the owner has',
          lowerIsBetter: true,
        },
        {
          metric: 'candidates page (50) of an owner with 500 gateways: DynamoDB requests',
          value: candidates.requests,
          goal: 'constant per page (no request per candidate)',
          lowerIsBetter: true,
        },
        {
          metric: 'candidates, whole walk of 500 (pages of 100): read units',
          value: round(walkUnits),
          unit: 'RCU',
          baseline: walkPages,
          goal: `${walkPages} pages`,
          lowerIsBetter: true,
        },
      ],
      notes: [
        'DynamoDB Local; tables seeded with BatchWriteItem; the API handler called in-process',
        'page figures: median of 7 second-page calls (the token path included)',
      ],
      details: {
        pages,
        seedSeconds,
        views,
        candidates,
        candidateWalk: { units: walkUnits, pages: walkPages },
      },
    };
  } finally {
    client.destroy();
    await local.stop();
  }
}
