/** `DATA_DIR/hosts/index.json`: gateway → host, for `npm run wg` and the start banner. */
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Host, HostMode } from './host';

export interface HostIndexEntry {
  gatewayId: string;
  instanceId: string;
  mode: HostMode;
  gatewayNamespace?: string;
  /** Bind-mounted over /run/wireguard inside the gateway namespace (where `wg` finds the socket). */
  runDir: string;
  stateDir: string;
}

export const HOST_INDEX_FILE = 'index.json';

export function indexEntry(host: Host): HostIndexEntry {
  return {
    gatewayId: host.gateway.id,
    instanceId: host.gateway.instanceId,
    mode: host.mode,
    ...(host.gatewayNamespace ? { gatewayNamespace: host.gatewayNamespace } : {}),
    runDir: host.runDir,
    stateDir: host.stateDir,
  };
}

/** Replaces the index at once (write, then rename), so a reader never sees half of it. */
export function writeHostIndex(dataDir: string, entries: readonly HostIndexEntry[]): void {
  const path = join(dataDir, 'hosts', HOST_INDEX_FILE);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(`${path}.tmp`, `${JSON.stringify(entries, null, 2)}\n`);
  renameSync(`${path}.tmp`, path);
}
