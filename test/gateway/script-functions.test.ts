// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are bash, not templates
/**
 * The gateway script's functions that need no root, run from its parts (test/support/gateway-parts.ts):
 * the records it reads with builtins, the secret cache, the report and the document to restore (the
 * delta path's diff and route changes: delta-lists.test.ts). The kernel-facing paths are in
 * apply-delta and wireguard-hosts tests.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_SOURCE_DIR } from '../../gateway/assemble';
import { serialiseState } from '../../lambdas/core/render';
import { runParts } from '../support/gateway-parts';
import {
  desiredState,
  GATEWAY_A,
  NUMBERED_KEY,
  numberedPeer,
  tempDir,
  writeSecret,
} from '../support/gateway-script';

const KEY = NUMBERED_KEY;
const OTHER_KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const peer = numberedPeer;

describe('read_applied and read_header', () => {
  test('read the gateway and generation of applied.json and of a document header', () => {
    // Prepare
    const dir = tempDir('parts');
    writeFileSync(join(dir, 'applied.json'), '{"gatewayId":"gw-a","generation":0042,"appliedAt":"x"}\n');
    writeFileSync(join(dir, 'doc.json'), serialiseState(desiredState(GATEWAY_A, 7, [peer(1)])));

    // Act
    const result = runParts(
      [],
      dir,
      'read_applied; read_header "$1"; echo "$APPLIED_ID $APPLIED_GEN $DOC_ID $DOC_GEN"',
      [join(dir, 'doc.json')],
    );

    // Assess
    expect(result).toEqual({ exitCode: 0, stdout: 'gw-a 42 gw-a 7\n', stderr: '' });
  });

  test.each([
    ['a torn', '{"gatewayId":"gw-a","generation":4'],
    ['a garbage', 'not json'],
    ['an empty', ''],
  ])('a %s applied.json is no applied record', (_label, content) => {
    // Prepare
    const dir = tempDir('parts');
    writeFileSync(join(dir, 'applied.json'), content);

    // Act
    const result = runParts(
      [],
      dir,
      'if read_applied; then echo yes; else echo "no [$APPLIED_ID] [$APPLIED_GEN]"; fi',
    );

    // Assess
    expect(result.stdout).toBe('no [] []\n');
  });

  test('a compact document has no header the delta path can read', () => {
    // Prepare
    const dir = tempDir('parts');
    writeFileSync(join(dir, 'doc.json'), JSON.stringify(desiredState(GATEWAY_A, 7, [peer(1)])));

    // Act
    const result = runParts([], dir, 'if read_header "$1"; then echo yes; else echo no; fi', [
      join(dir, 'doc.json'),
    ]);

    // Assess
    expect(result.stdout).toBe('no\n');
  });
});

describe('the secret cache', () => {
  test('names flatten to one file each, long ones cut and suffixed with their length', () => {
    // Prepare
    const dir = tempDir('parts');
    const long = `/${'a'.repeat(249)}`;

    // Act
    const result = runParts(
      ['secrets'],
      dir,
      'cache_file "$1"; echo "${REPLY#"$CACHE"/}"; cache_file "$2"; echo "${REPLY#"$CACHE"/}"',
      ['/vpc-peering/peerings/p1/psk', long],
    );

    // Assess
    expect(result.stdout).toBe(`vpc-peering%peerings%p1%psk\n${'a'.repeat(190)}~249\n`);
  });

  test('a dir: secret is read from its file every time (the copy last delivered), its trailing newlines dropped', () => {
    // Prepare
    const dir = tempDir('parts');
    writeSecret(join(dir, 'store'), '/psk/one', `${KEY}\n\n`);
    const resolveTwice =
      'resolve_secret_names "$1"; echo "${SECRET[$1]}"; rm -r "$STATE_DIR/store"; SECRET=(); resolve_secret_names "$1"; echo "${SECRET[$1]}"';

    // Act
    const result = runParts(['secrets'], dir, resolveTwice, ['/psk/one']);

    // Assess: the second read finds no file; nothing was cached.
    expect(result).toMatchObject({
      exitCode: 1,
      stdout: `${KEY}\n`,
      stderr: 'apply-config: secret not found: /psk/one\n',
    });
    expect(existsSync(join(dir, 'secrets', 'psk%one'))).toBe(false);
  });

  test.each([
    ['younger than VPG_SECRET_CACHE_SECONDS is used', 10, 0],
    ['older is fetched again', 7200, 1],
    // A clock that was ahead when it was cached, then stepped back: not fresh for that long.
    ['stamped in the future is fetched again', -365 * 86_400, 1],
  ])('with an s3:// source, a cache entry %s', (_label, ageSeconds, exitCode) => {
    // Prepare: no AWS CLI is needed unless the entry must be fetched again.
    const dir = tempDir('parts');
    const fetchedAt = Math.floor(Date.now() / 1000) - ageSeconds;
    writeSecret(join(dir, 'secrets'), '/psk%one', `/psk/one\n${KEY}\n${fetchedAt}\n`);
    const body =
      'SECRET_SOURCE=s3://bucket; need() { die "would fetch"; }; resolve_secret_names "$1"; echo "${SECRET[$1]}"';

    // Act
    const result = runParts(['secrets'], dir, body, ['/psk/one']);

    // Assess
    expect(result.exitCode).toBe(exitCode);
    expect(result.stdout).toBe(exitCode === 0 ? `${KEY}\n` : '');
    if (exitCode !== 0) expect(result.stderr).toBe('apply-config: would fetch\n');
  });

  test('a torn cache file is read from the store again', () => {
    // Prepare
    const dir = tempDir('parts');
    writeSecret(join(dir, 'store'), '/psk/one', KEY);
    runParts([], dir, 'printf "/psk/one\\nyAnz5" >"$CACHE/psk%one"');

    // Act
    const result = runParts(['secrets'], dir, 'resolve_secret_names "$1"; echo "${SECRET[$1]}"', [
      '/psk/one',
    ]);

    // Assess
    expect(result.stdout).toBe(`${KEY}\n`);
  });

  test.each([
    ['/psk/../escape', 'apply-config: invalid secret name: /psk/../escape\n'],
    ['/psk/not-a-key', 'apply-config: secret /psk/not-a-key is not a WireGuard key\n'],
    ['/psk/absent', 'apply-config: secret not found: /psk/absent\n'],
  ])('%s is refused and nothing is cached', (name, message) => {
    // Prepare
    const dir = tempDir('parts');
    writeSecret(join(dir, 'store'), '/psk/not-a-key', 'PrivateKey = x');

    // Act
    const result = runParts(['secrets'], dir, 'resolve_secret_names "$1"', [name]);

    // Assess
    expect(result).toEqual({ exitCode: 1, stdout: '', stderr: message });
    expect(runParts([], dir, 'ls "$CACHE"').stdout).toBe('');
  });
});

describe('the report', () => {
  test('peers from a wg dump carry no key but the public ones', () => {
    // Prepare
    const dir = tempDir('parts');
    const dump = [
      `PRIVATEKEY\t${KEY}\t51820\toff`,
      `${KEY}\tPRESHAREDKEY\t198.51.100.1:51820\t10.0.0.0/16,100.64.0.2/32\t1700000000\t10\t20\t25`,
      `${OTHER_KEY}\t(none)\t(none)\t(none)\t0\t0\t0\toff`,
    ].join('\n');
    writeFileSync(join(dir, 'dump'), `${dump}\n`);

    // Act
    const result = runParts(['report'], dir, 'awk -F"\\t" "$PEERS_FROM_DUMP" "$STATE_DIR/dump"');

    // Assess
    expect(result.stdout).not.toMatch(/PRIVATEKEY|PRESHAREDKEY/);
    expect(JSON.parse(result.stdout)).toEqual([
      {
        publicKey: KEY,
        endpoint: '198.51.100.1:51820',
        allowedIps: ['10.0.0.0/16', '100.64.0.2/32'],
        latestHandshake: 1700000000,
        rxBytes: 10,
        txBytes: 20,
      },
      { publicKey: OTHER_KEY, endpoint: null, allowedIps: [], latestHandshake: 0, rxBytes: 0, txBytes: 0 },
    ]);
  });

  test("the report from the store names what applied.json and state.json say, and this host's clock", () => {
    // Prepare
    const dir = tempDir('parts');
    const before = Math.floor(Date.now() / 1000);
    writeFileSync(join(dir, 'applied.json'), '{"gatewayId":"gw-a","generation":3,"appliedAt":"x"}\n');
    writeFileSync(join(dir, 'state.json'), serialiseState(desiredState(GATEWAY_A, 3, [peer(1)])));

    // Act
    const result = runParts(
      ['report', 'restore', 'apply-delta'],
      dir,
      'report_from_store \',"skipped":"stale"\'',
    );

    // Assess
    const { now, ...report } = JSON.parse(result.stdout) as { now: number };
    expect(now).toBeGreaterThanOrEqual(before);
    expect(now).toBeLessThanOrEqual(Math.ceil(Date.now() / 1000));
    expect(report).toEqual({
      gatewayId: 'gw-a',
      appliedGeneration: 3,
      mode: 'files',
      skipped: 'stale',
      peers: [
        {
          publicKey: peer(1).publicKey,
          allowedIps: ['100.64.0.1/32'],
          endpoint: null,
          latestHandshake: 0,
          rxBytes: 0,
          txBytes: 0,
        },
      ],
    });
  });

  test.each([
    ['a full apply or --restore of this boot loaded', '# boot boot', 3],
    // A reboot emptied the interface, its routes and the table: the instance holds none of it.
    ["nothing completed in this boot (the ruleset is an earlier boot's)", '# boot earlier', 0],
    ['no ruleset was ever recorded', null, 0],
  ])(
    'in wireguard mode --report says the applied generation only when %s',
    (_label, bootLine, generation) => {
      // Prepare: `wg show wg0 dump` lists no peer.
      const dir = tempDir('parts');
      writeFileSync(join(dir, 'applied.json'), '{"gatewayId":"gw-a","generation":3,"appliedAt":"x"}\n');
      writeFileSync(join(dir, 'state.json'), serialiseState(desiredState(GATEWAY_A, 3, [peer(1)])));
      if (bootLine !== null)
        writeFileSync(join(dir, 'nftables.applied'), `${bootLine}\ntable inet vpc_peering {\n}\n`);
      const body = 'wg() { printf "PRIVATE\\n"; }; ACTION=report MODE=wireguard; report_from_store';

      // Act
      const result = runParts(['report', 'restore', 'apply-delta'], dir, body);

      // Assess
      expect(result.exitCode).toBe(0);
      expect(JSON.parse(result.stdout)).toMatchObject({
        gatewayId: 'gw-a',
        appliedGeneration: generation,
        mode: 'wireguard',
        peers: [],
      });
    },
  );

  test('with nothing applied the report says so', () => {
    // Prepare
    const dir = tempDir('parts');

    // Act
    const result = runParts(['report', 'restore', 'apply-delta'], dir, 'report_from_store');

    // Assess
    expect(JSON.parse(result.stdout)).toEqual({
      gatewayId: null,
      appliedGeneration: 0,
      mode: 'files',
      now: expect.any(Number),
      peers: [],
    });
  });
});

describe('the document to restore', () => {
  const applied = serialiseState(desiredState(GATEWAY_A, 3, [peer(1)]));
  const unverified = serialiseState(desiredState(GATEWAY_A, 3, [peer(1), peer(2)]));
  /** What restore_document picks, given state.json and state.previous.json (absent when null). */
  const restored = (previous: string | null, appliedGateway = GATEWAY_A.id) => {
    const dir = tempDir('parts');
    writeFileSync(
      join(dir, 'applied.json'),
      `{"gatewayId":"${appliedGateway}","generation":3,"appliedAt":"x"}\n`,
    );
    writeFileSync(join(dir, 'state.json'), unverified);
    if (previous !== null) writeFileSync(join(dir, 'state.previous.json'), previous);
    const result = runParts(['restore', 'apply-delta'], dir, 'restore_document; echo "${REPLY##*/}"');
    return result.stdout.trim();
  };

  test.each([
    [
      'a whole previous document of the applied generation wins over state.json',
      applied,
      GATEWAY_A.id,
      'state.previous.json',
    ],
    [
      'a torn one does not (awk had not opened state.json yet)',
      applied.slice(0, -4),
      GATEWAY_A.id,
      'state.json',
    ],
    [
      'nor one of an older generation (the delta completed)',
      serialiseState(desiredState(GATEWAY_A, 2, [])),
      GATEWAY_A.id,
      'state.json',
    ],
    ['nor one of another gateway', applied, 'gw-other', 'state.json'],
    ['without a previous document, state.json', null, GATEWAY_A.id, 'state.json'],
  ])('%s', (_label, previous, appliedGateway, expected) => {
    // Act
    const picked = restored(previous, appliedGateway);

    // Assess
    expect(picked).toBe(expected);
  });
});

describe('canonical_prefix (a set element of the firewall)', () => {
  test.each([
    ['10.0.0.0/8', true],
    ['0.0.0.0/0', true],
    ['100.64.1.0/24', true],
    ['203.0.113.7/32', true],
    // nft reads each of these as another spelling of an interval (review s19i)
    ['172.20.0.1/16', false],
    ['010.0.0.0/8', false],
    ['10.0.0.00/8', false],
    ['10.0.0.0/08', false],
    ['256.0.0.0/8', false],
    ['10.0.0.0/33', false],
    ['10.0.0.0', false],
  ])('%s is canonical: %s', (element, canonical) => {
    // Act
    const result = runParts(
      ['checks'],
      tempDir('parts'),
      `canonical_prefix ${element} && echo yes || echo no`,
    );
    // Assess
    expect(result.stdout.trim()).toBe(canonical ? 'yes' : 'no');
  });
});

describe("own_psk (the delta path's check of a peer's preshared key name)", () => {
  test.each([
    ['vpc-peering-p1', '/vpc-peering/peerings/p1/psk', true],
    // A move's new key (app/preshared-key-rotation.ts): `psk-` and 16 lowercase hex characters.
    ['vpc-peering-p1', '/vpc-peering/peerings/p1/psk-0123456789abcdef', true],
    ['vpc-peering-p1', '/vpc-peering/peerings/p2/psk-0123456789abcdef', false],
    ['vpc-peering-p1', '/vpc-peering/peerings/p1/psk-0123456789ABCDEF', false],
    ['vpc-peering-p1', '/vpc-peering/peerings/p1/psk-0123456789abcde', false],
    ['vpc-peering-p1', '/vpc-peering/peerings/p1/psk-0123456789abcdef0', false],
    ['vpc-peering-p1', '/vpc-peering/peerings/p1/pskx', false],
    ['laptop', '/vpc-peering/peerings/p1/psk-0123456789abcdef', false],
    ['laptop', '', true],
  ])('peer %s naming %s is its own: %s', (peerName, keyName, own) => {
    // Act
    const result = runParts(['checks'], tempDir('parts'), 'own_psk "$1" "$2" && echo yes || echo no', [
      peerName,
      keyName,
    ]);

    // Assess
    expect(result.stdout.trim()).toBe(own ? 'yes' : 'no');
  });
});

describe('minimum versions (gateway/README.md "Requirements")', () => {
  test.each([
    ['4.3', 2, 'apply-config: bash 4.4 or later is required, this is 4.3; usage:'],
    ['3.9', 2, 'apply-config: bash 4.4 or later is required, this is 3.9; usage:'],
    ['4.4', 0, ''],
    ['5.0', 0, ''],
  ])('bash %s', (version, exitCode, message) => {
    // Act
    const result = runParts([], tempDir('parts'), 'need_bash "$1" "$2"', version.split('.'));

    // Assess
    expect(result.exitCode).toBe(exitCode);
    expect(result.stderr.slice(0, message.length)).toBe(message);
  });

  test('a jq that cannot compile the render program (older than 1.6) is named, not the document', () => {
    // Prepare: what jq 1.5 meets in render.jq, a builtin it does not have.
    const dir = tempDir('parts');
    writeFileSync(join(dir, 'state.json'), serialiseState(desiredState(GATEWAY_A, 3, [peer(1)])));
    const body =
      'JQ_PROGRAM="$JQ_PROGRAM | not_a_builtin_of_this_jq(1)"; render_document "$STATE_DIR/state.json"';

    // Act
    const result = runParts(['render'], dir, body);

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /^apply-config: jq 1\.6 or later is required \(jq-[0-9.]+ cannot compile the render program: error: not_a_builtin_of_this_jq\/1 is not defined/,
    );
  });
});

test('the parts are where the runner looks for them', () => {
  // Assess
  expect(readFileSync(join(GATEWAY_SOURCE_DIR, 'lib', 'common.sh'), 'utf8')).toContain('read_applied()');
});
