// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are bash, not templates
/**
 * The delta path's lists, without root, run from the gateway script's parts
 * (test/support/gateway-parts.ts): the awk pass that diffs two documents by line, and the ruleset's
 * and routes' lines by element (gateway/awk/changed-lines.awk), and the route changes it yields
 * (gateway/lib/apply-delta.sh). The kernel-facing paths are in apply-delta and
 * apply-delta-peering tests.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderNftables, serialiseState } from '../../lambdas/core/render';
import type { PeerRecord } from '../../lambdas/core/types';
import { runParts } from '../support/gateway-parts';
import { desiredState, GATEWAY_A, numberedPeer as peer, tempDir } from '../support/gateway-script';

/** A peering whose routed prefixes are `allowedIps` (renderNftables reads nothing else of it). */
const peering = (allowedIps: string[]) =>
  ({ name: 'vpc-peering-p1', type: 'vpc-peering', allowedIps }) as unknown as PeerRecord;

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
        `+9 ${newLines[8]}`,
        `+10 ${newLines[9]}`,
        `-1 ${oldLines[0]}`,
        `-9 ${oldLines[8]}`,
        `-10 ${oldLines[9]}`,
        // The routes line's elements, diffed apart (and that line not listed whole).
        'R=',
        'R+"100.64.0.33/32"',
        'R+"100.64.0.4/32"',
        'R-"100.64.0.2/32"',
        'R-"100.64.0.3/32"',
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

  /** The ruleset line of a document whose named set holds `prefixes` (as core/render.ts writes it). */
  const rulesetLine = (...prefixes: string[]) =>
    `"nftables":${JSON.stringify(renderNftables(GATEWAY_A, prefixes.length === 0 ? [] : [peering(prefixes)]))},`;
  /** The same, in the layout render.ts wrote before the named set: the hub rules' anonymous sets. */
  const anonymousSetsLine = (prefixes: string) =>
    rulesetLine()
      .replace('  set peered { type ipv4_addr; flags interval; }\\n', '')
      .replaceAll('@peered', prefixes);
  const withLines = (ruleset: string, routes: string) => `a\nb\n${ruleset}\n${routes}\nc\n`;

  test.each([
    [
      'a peering added and one removed: the elements that changed',
      rulesetLine('10.1.0.0/16', '10.2.0.0/16'),
      rulesetLine('10.2.0.0/16', '10.3.0.0/16'),
      ['S+10.3.0.0/16', 'S-10.1.0.0/16', 'S='],
    ],
    ['the first peering', rulesetLine(), rulesetLine('10.1.0.0/16'), ['S+10.1.0.0/16', 'S=']],
    ['the last peering removed', rulesetLine('10.1.0.0/16'), rulesetLine(), ['S-10.1.0.0/16', 'S=']],
    [
      'text outside the set changed: no element list',
      rulesetLine('10.1.0.0/16'),
      rulesetLine('10.2.0.0/16').replace('drop;', 'accept;'),
      ['S!'],
    ],
    [
      'the hub rules of the anonymous sets before, the named set now',
      anonymousSetsLine('{ 10.1.0.0/16, 10.2.0.0/16 }'),
      rulesetLine('10.1.0.0/16', '10.2.0.0/16'),
      ['S!'],
    ],
    [
      'an escape other than \\n outside the set (the full path applied it: jq decodes escapes)',
      rulesetLine('10.1.0.0/16').replace('chain forward', 'chain\\tforward'),
      rulesetLine('10.3.0.0/16').replace('chain forward', 'chain\\tforward'),
      ['S!'],
    ],
    [
      'an empty elements clause',
      rulesetLine('10.1.0.0/16'),
      rulesetLine('10.1.0.0/16').replace('{ 10.1.0.0/16 }', '{  }'),
      ['S!'],
    ],
    [
      'the set declared twice',
      rulesetLine('10.1.0.0/16'),
      rulesetLine('10.2.0.0/16').replace(
        '\\n  chain input',
        '\\n  set peered { type ipv4_addr; flags interval; }\\n  chain input',
      ),
      ['S!'],
    ],
  ])('the awk pass diffs the ruleset line by its set: %s', (_label, oldRuleset, newRuleset, expected) => {
    // Prepare
    const dir = tempDir('parts');
    const routes = '"routes":[],';

    // Act
    const result = changedLines(dir, withLines(oldRuleset, routes), withLines(newRuleset, routes));

    // Assess
    expect(result.stdout.split('\n').filter((line) => /^S/.test(line))).toEqual(expected.sort());
  });

  test('the awk pass lists a routes line that is no list as such', () => {
    // Prepare
    const dir = tempDir('parts');
    const ruleset = rulesetLine('10.1.0.0/16');

    // Act
    const result = changedLines(
      dir,
      withLines(ruleset, '"routes":["10.1.0.0/16"],'),
      withLines(ruleset, '"routes":["10.1.0.0/16"]'),
    );

    // Assess
    expect(result.stdout.split('\n').filter((line) => /^R/.test(line))).toEqual(['R!']);
  });

  test('route changes replace what came, delete what is gone, and check only what came', () => {
    // Prepare: a gone route covers a protected address (it was applied before that address existed).
    const dir = tempDir('parts');

    // Act
    const result = runParts(
      ['checks', 'apply-delta'],
      dir,
      'PROTECTED_IPS+=,10.0.0.1; list=("$@"); route_changes wg0 list; printf "%s" "$REPLY" | sort',
      ['R-"10.0.0.0/16"', 'R+"10.2.0.0/16"'],
    );

    // Assess
    expect(result).toEqual({
      exitCode: 0,
      stdout: 'route del 10.0.0.0/16 dev wg0 proto static\nroute replace 10.2.0.0/16 dev wg0 proto static\n',
      stderr: '',
    });
  });

  test('a route that comes is checked', () => {
    // Prepare
    const dir = tempDir('parts');

    // Act
    const result = runParts(['checks', 'apply-delta'], dir, 'list=("$@"); route_changes wg0 list', [
      'R+"169.254.0.0/16"',
    ]);

    // Assess
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(
      /refused: route 169\.254\.0\.0\/16 covers protected address 169\.254\.169\.254/,
    );
  });

  test('a route element that is not a quoted prefix is no change the delta path can take', () => {
    // Prepare
    const dir = tempDir('parts');

    // Act
    const result = runParts(
      ['checks', 'apply-delta'],
      dir,
      'list=("$@"); if route_changes wg0 list; then echo yes; else echo no; fi',
      ['R+10.0.0.0/16'],
    );

    // Assess
    expect(result.stdout).toBe('no\n');
  });
});
