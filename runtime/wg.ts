/**
 * `npm run wg -- <gatewayId> [wg show arguments]`: the live `wg show` of a gateway's local host.
 * A plain `ip netns exec <ns> wg show` prints nothing, because the host's WireGuard socket lives in
 * a private directory bind-mounted over /run/wireguard (runtime/hosts/network.ts); this runs
 * `wg` with that mount, finding the host in DATA_DIR/hosts/index.json.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HOST_INDEX_FILE, type HostIndexEntry } from './hosts';
import { localEnv } from './local-env';

const BIND_RUN_DIR = 'mount --bind "$1" /run/wireguard && shift && exec "$@"';

function main(): number {
  const [gatewayId, ...args] = process.argv.slice(2);
  const dataDir = resolve(localEnv.localDataDir());
  if (!gatewayId) {
    process.stderr.write('usage: npm run wg -- <gatewayId> [wg show arguments]\n');
    return 2;
  }
  let index: HostIndexEntry[];
  try {
    index = JSON.parse(readFileSync(join(dataDir, 'hosts', HOST_INDEX_FILE), 'utf8')) as HostIndexEntry[];
  } catch {
    process.stderr.write(
      `No running runtime's hosts under ${dataDir} (is npm start running with this DATA_DIR?)\n`,
    );
    return 1;
  }
  const host = index.find((entry) => entry.gatewayId === gatewayId);
  if (!host) {
    const known = index.map((entry) => entry.gatewayId).join(', ') || 'none';
    process.stderr.write(`No host for gateway ${gatewayId} (hosts: ${known})\n`);
    return 1;
  }
  if (!host.gatewayNamespace) {
    process.stdout.write(`${gatewayId} runs in files mode; what it applied: ${host.stateDir}\n`);
    return 0;
  }
  const argv = [
    'netns',
    'exec',
    host.gatewayNamespace,
    'sh',
    '-c',
    BIND_RUN_DIR,
    'sh',
    host.runDir,
    'wg',
    'show',
    'wg0',
    ...args,
  ];
  return spawnSync('ip', argv, { stdio: 'inherit' }).status ?? 1;
}

process.exitCode = main();
