/**
 * Runs bash over parts of the gateway script (gateway/lib/*.sh), for the functions that need no
 * root: the parts only define functions and constants, and read their jq and awk programs from
 * $GATEWAY_SRC as the assembled script holds them inline (gateway/assemble.ts).
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_SOURCE_DIR } from '../../gateway/assemble';

export type Part =
  | 'common'
  | 'render'
  | 'secrets'
  | 'checks'
  | 'kernel'
  | 'apply-full'
  | 'apply-delta'
  | 'report'
  | 'restore';

export interface PartsResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * Sources `parts` (common first) with the script's globals pointing into `stateDir` (files mode,
 * secrets from `<stateDir>/store`), then runs `body`; `args` are its positional parameters.
 */
export function runParts(
  parts: readonly Part[],
  stateDir: string,
  body: string,
  args: readonly string[] = [],
): PartsResult {
  mkdirSync(join(stateDir, 'work'), { recursive: true });
  mkdirSync(join(stateDir, 'secrets'), { recursive: true });
  const sources = ['common', ...parts.filter((part) => part !== 'common')]
    .map((part) => `. "$GATEWAY_SRC/lib/${part}.sh"`)
    .join('\n');
  const prelude = `set -euo pipefail
GATEWAY_SRC=${JSON.stringify(GATEWAY_SOURCE_DIR)}
STATE_DIR=${JSON.stringify(stateDir)} MODE=files SECRET_SOURCE="dir:$STATE_DIR/store"
WORK=$STATE_DIR/work CACHE=$STATE_DIR/secrets VPC_IF=eth1 WAN_IF=eth0 BOOT_ID=boot
ACTION=apply GATEWAY_ID=gw-a GENERATION=1 STATE_URI='' STATE_SHA256='' STATE_BUCKET=''
PROTECTED_IPS=169.254.169.254,169.254.169.253 CACHE_SECONDS=3600
${sources}
`;
  const result = spawnSync('bash', ['-c', `${prelude}${body}`, 'parts', ...args], { encoding: 'utf8' });
  if (result.error) throw result.error;
  return { exitCode: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}
