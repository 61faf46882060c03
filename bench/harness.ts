/**
 * What the benchmark sections share: the result shape, the embedded runtime started for a section
 * (temporary data directory, shortened waits), a small API client, gateway address plans and
 * statistics. Nothing here asserts a speed; figures are reported as measured.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Runtime } from '../runtime/main';

/** One row of the summary table. `lowerIsBetter` rows are compared with the previous run. */
export interface Metric {
  metric: string;
  value: number | string;
  unit?: string;
  /** What the value is compared with, measured in the same run (or a fixed reference). */
  baseline?: number | string;
  ratio?: number;
  goal?: string;
  lowerIsBetter?: boolean;
}

/** What every section returns: the table rows, plus whatever detail explains them. */
export interface SectionResult {
  metrics: Metric[];
  notes?: string[];
  details?: Record<string, unknown>;
  skipped?: string;
}

/** Wait states last this long locally; on AWS the create/delete polling Wait is 2 s. */
const LOCAL_WAIT_MS = 20;
export const WAIT_NOTE = `Wait states overridden to ${LOCAL_WAIT_MS} ms (2 s on AWS); retry intervals 20 ms`;

export interface BenchRuntime {
  runtime: Runtime;
  dataDir: string;
  admin: ApiClient;
  stop(): Promise<void>;
}

/** Started runtimes, so a section's process can stop them when it is interrupted. */
const running = new Set<BenchRuntime>();

export async function stopAllRuntimes(): Promise<void> {
  await Promise.all([...running].map((bench) => bench.stop()));
}

/**
 * `startsAsNpmStart`: DynamoDB Local is started before runtime/main is imported, in its quick JIT
 * tier, and handed over, as runtime/start.ts (`npm start`) does (docs/DECISIONS.md "Start fast"),
 * so its boot overlaps the imports; otherwise runtime/main starts it after them, with the full JIT.
 */
export async function startBenchRuntime(
  hostMode: 'files' | 'wireguard',
  { startsAsNpmStart = false }: { startsAsNpmStart?: boolean } = {},
): Promise<BenchRuntime> {
  const dataDir = await mkdtemp(join(tmpdir(), 'vpc-peering-bench-'));
  // The push poll bound counts polls; with 20 ms waits keep it near a minute of waiting, as the
  // runtime's default does with its own wait.
  process.env.COMMAND_MAX_POLLS ??= String(Math.ceil(60_000 / LOCAL_WAIT_MS));
  // One bench user drives the whole load on purpose: the per-owner and per-caller limits would
  // measure themselves instead of the system (docs/DECISIONS.md, "Tenants and traffic").
  process.env.MAX_OPERATIONS_IN_FLIGHT_PER_OWNER ??= '100000';
  process.env.MAX_GATEWAYS_PER_OWNER ??= '100000';
  process.env.CALLER_RATE_PER_SECOND ??= '0';
  const dynamoDbLocal = startsAsNpmStart
    ? (await import('../runtime/dynamodb-local')).startDynamoDbLocal({
        dataDir: join(dataDir, 'dynamodb'),
        quickStart: true,
      })
    : undefined;
  dynamoDbLocal?.catch(() => {}); // awaited, and so reported, by startRuntime
  // Imported here so the handler modules see the environment startRuntime configures.
  const { startRuntime } = await import('../runtime/main');
  const { silentLog } = await import('../runtime/runtime-log');
  const runtime = await startRuntime({
    port: 0,
    dataDir,
    hostMode,
    waitMs: LOCAL_WAIT_MS,
    log: silentLog,
    dynamoDbLocal,
  });
  const bench: BenchRuntime = {
    runtime,
    dataDir,
    admin: new ApiClient(runtime.url, runtime.adminToken),
    stop: async () => {
      if (!running.delete(bench)) return;
      await runtime.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
  running.add(bench);
  return bench;
}

export interface ApiResponse {
  status: number;
  body: Record<string, unknown>;
}

export class ApiClient {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  async call(method: string, path: string, body?: unknown): Promise<ApiResponse> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  async expect(method: string, path: string, status: number, body?: unknown): Promise<ApiResponse> {
    const response = await this.call(method, path, body);
    if (response.status !== status) {
      throw new Error(
        `${method} ${path}: expected ${status}, got ${response.status} ${JSON.stringify(response.body)}`,
      );
    }
    return response;
  }
}

const BENCH_OWNER = 'bench-user';

/**
 * Gateway `index` of a plan: VPC 10.<index>.0.0/16 (index < 256) and tunnel subnet
 * 100.<64 + index/256>.<index%256>.0/24, so no two gateways of a plan overlap in anything.
 */
export function gatewayBody(prefix: string, index: number): Record<string, unknown> {
  if (index >= 256) throw new Error(`gateway plan index ${index} is out of range`);
  const id = `${prefix}${index}`;
  return {
    id,
    ownerId: BENCH_OWNER,
    vpcId: `vpc-${id}`,
    vpcCidr: `10.${index}.0.0/16`,
    tunnelSubnet: `100.64.${index}.0/24`,
    publicIp: `198.18.${Math.floor(index / 250)}.${(index % 250) + 1}`,
    instanceId: `i-${id}`,
  };
}

/** Registers gateways `prefix0..prefix<count-1>` through the API (admin); returns their ids. */
export async function registerGateways(client: ApiClient, prefix: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index++) {
    const body = gatewayBody(prefix, index);
    await client.expect('POST', '/v1/gateways', 201, body);
    ids.push(String(body.id));
  }
  return ids;
}

export async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; result: T }> {
  const started = performance.now();
  const result = await work();
  return { ms: performance.now() - started, result };
}

/** Nearest-rank percentile (p in 0..100) of a non-empty sample. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error('percentile of an empty sample');
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export const median = (values: readonly number[]): number => percentile(values, 50);
export const mean = (values: readonly number[]): number =>
  values.reduce((sum, value) => sum + value, 0) / values.length;

/** Rounds for display and the results file (two decimals; small values keep three significant digits). */
export function round(value: number): number {
  if (!Number.isFinite(value)) return value;
  const digits = Math.abs(value) < 1 ? 4 : 2;
  const factor = 10 ** digits;
  return Math.round(value * factor) / factor;
}

export const ratioOf = (value: number, baseline: number): number | undefined =>
  baseline > 0 ? round(value / baseline) : undefined;
