// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are bash, not templates
/**
 * How the gateway script loads its nftables ruleset, run from its parts with `nft`, `wg` and `ip`
 * replaced by shims that log their calls (no root): the ruleset is loaded before any peer or
 * route on both paths, a full apply never skips loading it, and the report puts a table removed
 * from outside back (docs/DECISIONS.md "The gateway's firewall fails closed"). The same on real
 * WireGuard: test/e2e/gateway-firewall.test.ts.
 */
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderNftables, serialiseState } from '../../lambdas/core/render';
import { runParts } from '../support/gateway-parts';
import { type DocPeer, desiredState, GATEWAY_A, tempDir } from '../support/gateway-script';

/**
 * `nft`, `wg` and `ip` shims in `<dir>/bin`, each appending its argv to `<dir>/calls`. `nft -f`
 * exits with `nftExit`; `nft list tables inet` prints `tables`.
 */
function shims(dir: string, { nftExit = 0, tables = '' } = {}): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const calls = join(dir, 'calls');
  writeFileSync(calls, '');
  const log = (name: string) => `#!/bin/sh\necho "${name} $*" >>'${calls}'\n`;
  writeFileSync(
    join(bin, 'nft'),
    `${log('nft')}case "$1" in -f) exit ${nftExit} ;; list) printf '%s' '${tables}' ;; esac\n`,
  );
  writeFileSync(join(bin, 'wg'), log('wg'));
  writeFileSync(join(bin, 'ip'), log('ip'));
  for (const name of ['nft', 'wg', 'ip']) chmodSync(join(bin, name), 0o755);
  return bin;
}

/** The commands the shims saw, by name and first argument (`nft -f`, `wg syncconf`, …). */
const calls = (dir: string): string[] =>
  readFileSync(join(dir, 'calls'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ').slice(0, 2).join(' '));

const NFT_SCRIPT = 'table inet vpc_peering {\n}\n';

describe('loading the ruleset', () => {
  test('a full apply loads it again even when this boot already loaded the same one', () => {
    // Prepare: the table may have been flushed from outside since (the state directory cannot tell).
    const dir = tempDir('ruleset');
    const bin = shims(dir);

    // Act
    const result = runParts(
      ['kernel'],
      dir,
      `PATH=${bin}:$PATH; load_ruleset "$1"; persist_staged; STAGED=(); load_ruleset "$1"; persist_staged`,
      [NFT_SCRIPT],
    );

    // Assess
    expect(result).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(calls(dir)).toEqual(['nft -f', 'nft -f']);
    expect(readFileSync(join(dir, 'nftables.applied'), 'utf8')).toBe(`# boot boot\n${NFT_SCRIPT}`);
  });

  test('a full apply whose ruleset fails to load has set no peer and no route', () => {
    // Prepare: at boot there is no table yet, and the gateway product keeps ip_forward at 1.
    const dir = tempDir('ruleset');
    const bin = shims(dir, { nftExit: 1 });

    // Act
    const result = runParts(
      ['kernel', 'apply-delta', 'apply-full'],
      dir,
      [
        `PATH=${bin}:$PATH`,
        'FIELDS=(ok wg0 "route replace 172.16.0.0/16 dev wg0 proto static" "$1") CONF="[Interface]"',
        'apply_wireguard "$STATE_DIR/state.json"',
      ].join('\n'),
      [renderNftables(GATEWAY_A, [])],
    );

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/nft -f failed/);
    expect(calls(dir)).toEqual(['nft -f']);
  });

  test('a delta that changes the ruleset, the peers and the routes loads the ruleset first', () => {
    // Prepare: an interface the delta base names (lo, in any namespace), the applied generation 1.
    const dir = tempDir('ruleset');
    const bin = shims(dir);
    const peer = (n: number, allowedIp: string): DocPeer => ({
      name: `vpc-peering-p${n}`,
      publicKey: `${String(n).padStart(2, '0')}nz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=`,
      presharedKeyParam: null,
      allowedIps: [allowedIp],
      endpoint: null,
    });
    const before = desiredState(GATEWAY_A, 1, [peer(1, '172.16.0.0/16')]);
    const after = desiredState(GATEWAY_A, 2, [peer(1, '172.16.0.0/16'), peer(2, '10.20.0.0/16')]);
    const hub = 'iifname $wg_if oifname $wg_if ip saddr 100.64.0.0/24 ip daddr 10.20.0.0/16 accept';
    const document = serialiseState({
      ...after,
      nftables: after.nftables.replace(
        'ct state established,related accept',
        `ct state established,related accept\n    ${hub}`,
      ),
    });
    writeFileSync(join(dir, 'state.json'), serialiseState(before));
    writeFileSync(join(dir, 'applied.json'), '{"gatewayId":"gw-a","generation":1,"appliedAt":"x"}\n');
    writeFileSync(join(dir, 'delta.base'), 'boot:1\n');
    writeFileSync(join(dir, 'new.json'), document);
    const digest = createHash('sha256').update(document).digest('hex');

    // Act
    const result = runParts(
      ['secrets', 'checks', 'kernel', 'apply-delta'],
      dir,
      `PATH=${bin}:$PATH MODE=wireguard VPG_WG_IF=lo GENERATION=2 STATE_SHA256=$1; apply_delta "$STATE_DIR/new.json"`,
      [digest],
    );

    // Assess
    expect(result).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(calls(dir).filter((call) => call !== 'ip -4')).toEqual(['nft -f', 'wg set', 'ip -batch']);
    expect(readFileSync(join(dir, 'nftables.applied'), 'utf8')).toContain(hub);
  });
});

describe('the report', () => {
  const reload = (dir: string, applied: string, tables: string) => {
    const bin = shims(dir, { tables });
    writeFileSync(join(dir, 'nftables.applied'), applied);
    return runParts(['report'], dir, `PATH=${bin}:$PATH MODE=wireguard; reload_missing_ruleset`);
  };

  test('loads the ruleset again when the table this boot loaded is gone', () => {
    // Prepare
    const dir = tempDir('ruleset');

    // Act: `nft flush ruleset` from outside left another table of the instance's own.
    const result = reload(dir, `# boot boot\n${NFT_SCRIPT}`, 'table inet filter\n');

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/table inet vpc_peering was removed from outside; loading it again/);
    expect(readFileSync(join(dir, 'calls'), 'utf8')).toBe(
      `nft list tables inet\nnft -f ${join(dir, 'nftables.applied')}\n`,
    );
  });

  test.each([
    ['the table is there', '# boot boot', 'table inet filter\ntable inet vpc_peering\n', ['nft list']],
    ['the ruleset was loaded in an earlier boot (--restore loads it)', '# boot earlier', '', []],
  ])('loads nothing when %s', (_label, bootLine, tables, expected) => {
    // Prepare
    const dir = tempDir('ruleset');

    // Act
    const result = reload(dir, `${bootLine}\n${NFT_SCRIPT}`, tables);

    // Assess
    expect(result).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(calls(dir)).toEqual(expected);
  });
});
