/**
 * One embedded runtime per suite, on files-mode hosts and the options the suite gives, removed with
 * its DATA_DIR afterwards, and an admin `api()` call against it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Runtime, type RuntimeOptions, startRuntime } from '../../runtime/main';
import { silentLog } from '../../runtime/runtime-log';

export interface RuntimeSuite {
  /** The started runtime (inside tests and hooks only). */
  runtime(): Runtime;
  /** Its DATA_DIR. */
  dataDir(): string;
  api(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<{ status: number; json: Record<string, unknown> }>;
}

export function useRuntime(name: string, options: RuntimeOptions): RuntimeSuite {
  let started: Runtime | undefined;
  let dataDir: string | undefined;
  const runtime = () => {
    if (!started) throw new Error('The runtime is not started: use it inside tests and hooks');
    return started;
  };
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), `vpc-peering-${name}-`));
    started = await startRuntime({ port: 0, dataDir, hostMode: 'files', log: silentLog, ...options });
  }, 120_000);
  afterAll(async () => {
    await started?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    runtime,
    dataDir: () => {
      if (!dataDir) throw new Error('The runtime is not started: use it inside tests and hooks');
      return dataDir;
    },
    async api(method, path, body) {
      const response = await fetch(`${runtime().url}${path}`, {
        method,
        headers: { authorization: `Bearer ${runtime().adminToken}`, 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: response.status, json: (await response.json()) as Record<string, unknown> };
    },
  };
}
