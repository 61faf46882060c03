// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are bash, not templates
/**
 * The gateway script's functions that need no root, run from its parts (test/support/gateway-parts.ts):
 * the records it reads with builtins, the secret cache, the delta path's diff and route changes,
 * and the report. The kernel-facing paths are in apply-delta and wireguard-hosts tests.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { GATEWAY_SOURCE_DIR } from '../../gateway/assemble';
import { serialiseState } from '../../lambdas/core/render';
import { runParts } from '../support/gateway-parts';
import { desiredState, GATEWAY_A, tempDir, writeSecret } from '../support/gateway-script';

const KEY = 'yAnz5TF+lXXJte14tji3zlMNq+hd2rYUIgJBgB3fBmk=';
const OTHER_KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const peer = (n: number, allowedIp = `100.64.0.${n}/32`) => ({
  name: `peer-${n}`,
  publicKey: `${String(n).padStart(2, '0')}${KEY.slice(2)}`,
  presharedKeyParam: null,
  allowedIps: [allowedIp],
  endpoint: null,
});

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

describe('the delta path', () => {
  /** The awk pass over state.json and new.json (absent when `newDoc` is null). */
  const changedLines = (dir: string, oldDoc: string, newDoc: string | null) => {
    writeFileSync(join(dir, 'state.json'), oldDoc);
    if (newDoc !== null) writeFileSync(join(dir, 'new.json'), newDoc);
    return runParts(
      ['apply-delta'],
      dir,
      ': >"$STATE_DIR/changes" && awk -v copy="$STATE_DIR/state.json" -v previous="$STATE_DIR/state.previous.json" -v changes="$STATE_DIR/changes" "$CHANGED_LINES" "$STATE_DIR/state.json" "$STATE_DIR/new.json" >"$STATE_DIR/stdout" && cmp "$STATE_DIR/stdout" "$STATE_DIR/new.json" && sort "$STATE_DIR/changes"',
    );
  };

  test('the awk pass lists the changed peer lines, writes the new document over the old and keeps the old', () => {
    // Prepare
    const dir = tempDir('parts');
    const oldDoc = serialiseState(desiredState(GATEWAY_A, 1, [peer(1), peer(2), peer(3)]));
    const newDoc = serialiseState(desiredState(GATEWAY_A, 2, [peer(1), peer(3, '100.64.0.33/32'), peer(4)]));

    // Act
    const result = changedLines(dir, oldDoc, newDoc);

    // Assess
    const lines = (doc: string) => doc.split('\n');
    const [oldLines, newLines] = [lines(oldDoc), lines(newDoc)];
    expect(result.exitCode).toBe(0);
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(
      [
        `+1 ${newLines[0]}`,
        `+4 ${newLines[3]}`,
        `+9 ${newLines[8]}`,
        `+10 ${newLines[9]}`,
        `-1 ${oldLines[0]}`,
        `-4 ${oldLines[3]}`,
        `-9 ${oldLines[8]}`,
        `-10 ${oldLines[9]}`,
      ].sort(),
    );
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(newDoc);
    expect(readFileSync(join(dir, 'state.previous.json'), 'utf8')).toBe(oldDoc);
  });

  test('leaves the old document as it was when the new one cannot be opened', () => {
    // Prepare
    const dir = tempDir('parts');
    const oldDoc = serialiseState(desiredState(GATEWAY_A, 1, [peer(1)]));

    // Act
    const result = changedLines(dir, oldDoc, null);

    // Assess
    expect(result.exitCode).not.toBe(0);
    expect(readFileSync(join(dir, 'state.json'), 'utf8')).toBe(oldDoc);
  });

  test.each([
    ['a line removed and one added', 'a\nb\nc\nd\n', 'a\nc\nd\ne\n', ['+4 e', '-2 b']],
    ['lines moved', 'a\nb\nc\n', 'c\na\nb\n', []],
    ['the same file', 'a\nb\n', 'a\nb\n', []],
    ['everything new', 'a\n', 'b\nc\n', ['+1 b', '+2 c', '-1 a']],
  ])('the diff of %s is the difference of the two sets of lines', (_label, oldText, newText, expected) => {
    // Prepare
    const dir = tempDir('parts');

    // Act
    const result = changedLines(dir, oldText, newText);

    // Assess
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(expected);
  });

  test('route changes replace what is new and delete what is gone', () => {
    // Prepare
    const dir = tempDir('parts');

    // Act
    const result = runParts(
      ['checks', 'apply-delta'],
      dir,
      'route_changes wg0 "$1" "$2"; printf "%s" "$REPLY" | sort',
      ['"routes":["10.0.0.0/16","10.1.0.0/16"],', '"routes":["10.1.0.0/16","10.2.0.0/16"],'],
    );

    // Assess
    expect(result.stdout).toBe(
      'route del 10.0.0.0/16 dev wg0 proto static\nroute replace 10.2.0.0/16 dev wg0 proto static\n',
    );
  });

  test('a routes line in another layout is refused', () => {
    // Prepare
    const dir = tempDir('parts');

    // Act
    const result = runParts(
      ['apply-delta'],
      dir,
      'if route_changes wg0 "$1" "$2"; then echo yes; else echo no; fi',
      ['"routes": ["10.0.0.0/16"],', '"routes":[],'],
    );

    // Assess
    expect(result.stdout).toBe('no\n');
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

test('the parts are where the runner looks for them', () => {
  // Assess
  expect(readFileSync(join(GATEWAY_SOURCE_DIR, 'lib', 'common.sh'), 'utf8')).toContain('read_applied()');
});
