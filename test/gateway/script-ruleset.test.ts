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
import { type GatewayDesiredState, renderNftables, serialiseState } from '../../lambdas/core/render';
import type { PeerRecord } from '../../lambdas/core/types';
import { runParts } from '../support/gateway-parts';
import { type DocPeer, desiredState, GATEWAY_A, tempDir } from '../support/gateway-script';

/**
 * `nft`, `wg`, `ip` and `mv` shims in `<dir>/bin`, each appending its argv to `<dir>/calls` (`mv`
 * then moves). `nft -f` exits with `nftExit` (and copies the file it loads to `<dir>/loaded`); `nft
 * list tables inet` prints `tables`.
 */
function shims(dir: string, { nftExit = 0, tables = '' } = {}): string {
  const bin = join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  const calls = join(dir, 'calls');
  writeFileSync(calls, '');
  const log = (name: string) => `#!/bin/sh\necho "${name} $*" >>'${calls}'\n`;
  writeFileSync(
    join(bin, 'nft'),
    `${log('nft')}case "$1" in -f) cat "$2" >>'${join(dir, 'loaded')}'; exit ${nftExit} ;; list) printf '%s' '${tables}' ;; esac\n`,
  );
  writeFileSync(join(bin, 'wg'), log('wg'));
  writeFileSync(join(bin, 'ip'), log('ip'));
  writeFileSync(join(bin, 'mv'), `${log('mv')}exec /bin/mv "$@"\n`);
  for (const name of ['nft', 'wg', 'ip', 'mv']) chmodSync(join(bin, name), 0o755);
  return bin;
}

/** The commands the shims saw, by name and first argument (`nft -f`, `wg syncconf`, …). */
const calls = (dir: string): string[] =>
  readFileSync(join(dir, 'calls'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' ').slice(0, 2).join(' '));

const NFT_SCRIPT = 'table inet vpc_peering {\n}\n';
/** nftables.applied for NFT_SCRIPT: the boot it was loaded in, the script, the line a reload requires. */
const APPLIED = `# boot boot\n${NFT_SCRIPT}# end of the ruleset\n`;

/** A peering routing `allowedIp`, without preshared key (no secret to read). */
const peer = (n: number, allowedIp: string): DocPeer => ({
  name: `vpc-peering-p${n}`,
  publicKey: `${String(n).padStart(2, '0')}nz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=`,
  presharedKeyParam: null,
  allowedIps: [allowedIp],
  endpoint: null,
});
const [p1, p2, p3] = [peer(1, '172.16.0.0/16'), peer(2, '10.20.0.0/16'), peer(3, '10.30.0.0/16')];

/** The state the control plane renders for `peers`: its set holds their prefixes. */
const peeringState = (generation: number, peers: DocPeer[]): GatewayDesiredState => {
  const state = desiredState(GATEWAY_A, generation, peers);
  return { ...state, nftables: renderNftables(GATEWAY_A, state.peers as unknown as PeerRecord[]) };
};

/**
 * Runs apply_delta from `before` (applied, generation 1) to `after` (generation 2) with the shims
 * of `bin`, on an interface the delta base names (lo, in any namespace); prints which path runs.
 */
function runDelta(dir: string, bin: string, before: GatewayDesiredState, after: GatewayDesiredState) {
  const document = serialiseState(after);
  writeFileSync(join(dir, 'state.json'), serialiseState(before));
  writeFileSync(join(dir, 'applied.json'), '{"gatewayId":"gw-a","generation":1,"appliedAt":"x"}\n');
  writeFileSync(join(dir, 'delta.base'), 'boot:1\n');
  writeFileSync(join(dir, 'new.json'), document);
  return runParts(
    ['secrets', 'checks', 'kernel', 'apply-delta'],
    dir,
    `PATH=${bin}:$PATH MODE=wireguard VPG_WG_IF=lo GENERATION=2 STATE_SHA256=$1
if apply_delta "$STATE_DIR/new.json"; then echo delta; else echo full; fi`,
    [createHash('sha256').update(document).digest('hex')],
  );
}

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
    expect(calls(dir)).toEqual(['nft -f', 'mv -f', 'nft -f', 'mv -f']);
    expect(readFileSync(join(dir, 'nftables.applied'), 'utf8')).toBe(APPLIED);
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
    // Prepare: a rule more than the control plane writes, so the whole table is loaded.
    const dir = tempDir('ruleset');
    const bin = shims(dir);
    const after = desiredState(GATEWAY_A, 2, [peer(1, '172.16.0.0/16'), peer(2, '10.20.0.0/16')]);
    const hub = 'iifname $wg_if oifname $wg_if ip saddr 100.64.0.0/24 ip daddr 10.20.0.0/16 accept';
    after.nftables = after.nftables.replace(
      'ct state established,related accept',
      `ct state established,related accept\n    ${hub}`,
    );

    // Act
    const result = runDelta(dir, bin, desiredState(GATEWAY_A, 1, [peer(1, '172.16.0.0/16')]), after);

    // Assess
    expect(result).toEqual({ exitCode: 0, stdout: 'delta\n', stderr: '' });
    expect(calls(dir).filter((call) => call !== 'ip -4')).toEqual(['nft -f', 'wg set', 'ip -batch']);
    expect(readFileSync(join(dir, 'nftables.applied'), 'utf8')).toContain(hub);
  });
});

describe('a peering delta', () => {
  test.each([
    ['added', [p1], [p1, p2], 'add element inet vpc_peering peered { 10.20.0.0/16 }\n'],
    ['added to none', [], [p2], 'add element inet vpc_peering peered { 10.20.0.0/16 }\n'],
    ['removed', [p1, p2], [p1], 'delete element inet vpc_peering peered { 10.20.0.0/16 }\n'],
    [
      'replaced (deleted first: an interval set refuses overlaps)',
      [p1, p2],
      [p1, p3],
      'delete element inet vpc_peering peered { 10.20.0.0/16 }\nadd element inet vpc_peering peered { 10.30.0.0/16 }\n',
    ],
  ])(
    '%s changes the set elements alone, then the peers, and writes nftables.applied in place',
    (_label, was, now, loaded) => {
      // Prepare
      const dir = tempDir('ruleset');
      const bin = shims(dir);
      const after = peeringState(2, now);

      // Act
      const result = runDelta(dir, bin, peeringState(1, was), after);

      // Assess: one nft -f of the element changes, no mv.
      expect(result).toEqual({ exitCode: 0, stdout: 'delta\n', stderr: '' });
      expect(calls(dir).filter((call) => call !== 'ip -4')).toEqual(['nft -f', 'wg set', 'ip -batch']);
      expect(readFileSync(join(dir, 'loaded'), 'utf8')).toBe(loaded);
      expect(readFileSync(join(dir, 'nftables.applied'), 'utf8')).toBe(
        `# boot boot, written in place\ndefine wg_if = "lo"\ndefine vpc_if = "eth1"\ndefine wan_if = "eth0"\n` +
          `table inet vpc_peering {}\ndelete table inet vpc_peering\n${after.nftables}\n# end of the ruleset\n`,
      );
    },
  );

  test('whose elements do not apply (the table flushed from outside) changes nothing and takes the full path', () => {
    // Prepare: `add element` fails without the table.
    const dir = tempDir('ruleset');
    const bin = shims(dir, { nftExit: 1 });
    writeFileSync(join(dir, 'nftables.applied'), APPLIED);

    // Act
    const result = runDelta(dir, bin, peeringState(1, [p1]), peeringState(2, [p1, p2]));

    // Assess
    expect(result.stdout).toBe('full\n');
    expect(result.stderr).toMatch(/the set elements did not apply to table inet vpc_peering/);
    expect(calls(dir).filter((call) => call !== 'ip -4')).toEqual(['nft -f']);
    expect(readFileSync(join(dir, 'nftables.applied'), 'utf8')).toBe(APPLIED);
    expect(readFileSync(join(dir, 'delta.base'), 'utf8')).toBe('');
  });
});

describe('the report', () => {
  const reload = (dir: string, applied: string, tables: string) => {
    const bin = shims(dir, { tables });
    writeFileSync(join(dir, 'nftables.applied'), applied);
    return runParts(['kernel', 'report'], dir, `PATH=${bin}:$PATH MODE=wireguard; reload_missing_ruleset`);
  };

  test('loads the ruleset again when the table this boot loaded is gone', () => {
    // Prepare
    const dir = tempDir('ruleset');

    // Act: `nft flush ruleset` from outside left another table of the instance's own.
    const result = reload(dir, APPLIED, 'table inet filter\n');

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/table inet vpc_peering was removed from outside; loading it again/);
    expect(readFileSync(join(dir, 'calls'), 'utf8')).toBe(
      `nft list tables inet\nnft -f ${join(dir, 'nftables.applied')}\n`,
    );
  });

  test.each([
    ['the table is there', APPLIED, 'table inet filter\ntable inet vpc_peering\n', ['nft list']],
    [
      'the ruleset was loaded in an earlier boot (--restore loads it)',
      APPLIED.replace('boot', 'earlier'),
      '',
      [],
    ],
  ])('loads nothing when %s', (_label, applied, tables, expected) => {
    // Prepare
    const dir = tempDir('ruleset');

    // Act
    const result = reload(dir, applied, tables);

    // Assess
    expect(result).toEqual({ exitCode: 0, stdout: '', stderr: '' });
    expect(calls(dir)).toEqual(expected);
  });

  test('loads a file renamed into place without the end line, as an older script wrote it', () => {
    // Prepare: what the script before the end line persisted (a full apply's rename: never torn)
    const dir = tempDir('ruleset');
    const older = `# boot boot\n${NFT_SCRIPT}`;

    // Act
    const result = reload(dir, older, 'table inet filter\n');

    // Assess: the table flushed from outside comes back (review s19i)
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(/table inet vpc_peering was removed from outside; loading it again/);
    expect(calls(dir)).toEqual(['nft list', 'nft -f']);
  });

  test('never loads a file torn while a delta wrote it in place (a prefix may delete the table)', () => {
    // Prepare: the file ends after `delete table inet vpc_peering`, a valid nft script.
    const dir = tempDir('ruleset');
    const torn = '# boot boot, written in place\ntable inet vpc_peering {}\ndelete table inet vpc_peering\n';

    // Act
    const result = reload(dir, torn, 'table inet filter\n');

    // Assess
    expect(result.exitCode).toBe(0);
    expect(result.stderr).toMatch(
      /table inet vpc_peering was removed from outside, and .* is torn: not loaded/,
    );
    expect(calls(dir)).toEqual(['nft list']);
  });
});
