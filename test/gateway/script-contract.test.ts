// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are bash, not templates
/**
 * The contract between lambdas/core/render.ts and the gateway script: every document the control
 * plane renders is in the layout the delta path reads line by line (gateway/lib/apply-delta.sh:
 * HEADER_RE, the header members, NFT_RE, ROUTE_RE, PEER_RE), and reads back as the same values;
 * it passes what the instance refuses otherwise (gateway/lib/checks.sh: the ruleset grammar,
 * routes, preshared key names); its ruleset differs from a gateway's without peerings by the
 * elements of its named set alone, as the awk pass reads them (gateway/awk/changed-lines.awk); and
 * the full path's jq pass (gateway/jq/render.jq) accepts it.
 * Runs on the parts, without root.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type GatewayDesiredState, renderGatewayState, serialiseState } from '../../lambdas/core/render';
import { hubRecord, peeringPeer, roadWarriorPeer } from '../support/core';
import { runParts } from '../support/gateway-parts';
import { tempDir } from '../support/gateway-script';

/** Reads a document as the delta path does; prints the header, interface, routes, one line per peer, and writes the ruleset. */
const READ_AS_DELTA = [
  'mapfile -t doc <"$1"',
  'canonical_header doc || { echo "header not canonical" >&2; exit 3; }',
  'canonical_document "$1" || { echo "document not canonical" >&2; exit 3; }',
  'read_header "$1" && echo "header $DOC_ID $DOC_GEN"',
  '[[ ${doc[1]} =~ $INTERFACE_NAME_RE ]] && echo "interface ${BASH_REMATCH[1]}"',
  // The routes line as the awk pass splits it (gateway/awk/changed-lines.awk), each element ROUTE_RE.
  `[[ \${doc[3]} == '"routes":['*'],' ]] && IFS=, read -r -a list <<<"\${doc[3]:10:-2}"`,
  'routes=(); for route in "${list[@]}"; do [[ $route =~ $ROUTE_RE ]] && routes+=("${BASH_REMATCH[1]}"); done',
  '(IFS=,; echo "routes ${routes[*]}")',
  `[[ \${doc[2]} =~ $NFT_RE ]] && ruleset=\${BASH_REMATCH[1]//\\\\n/$'\\n'}`,
  'printf "%s" "$ruleset" >"$STATE_DIR/nftables.out"',
  'for line in "${doc[@]:7:${#doc[@]}-8}"; do',
  '  peer_line "${line%,}" || { echo "not a peer line: $line" >&2; exit 4; }',
  '  echo "peer ${BASH_REMATCH[11]}|${BASH_REMATCH[1]//\\"/}|${BASH_REMATCH[5]}|${BASH_REMATCH[8]}|${BASH_REMATCH[10]}"',
  'done',
].join('\n');

const expectedReading = (state: GatewayDesiredState): string =>
  [
    `header ${state.gatewayId} ${state.generation}`,
    `interface ${state.interface.name}`,
    `routes ${state.routes.join(',')}`,
    ...state.peers.map(
      (peer) =>
        `peer ${peer.publicKey}|${peer.allowedIps.join(',')}|${peer.endpoint ?? ''}|${peer.persistentKeepalive ?? 'null'}|${peer.presharedKeyParam ?? ''}`,
    ),
    '',
  ].join('\n');

const documents: [string, GatewayDesiredState][] = [
  ['a peering and a road-warrior', renderGatewayState(hubRecord(), [peeringPeer(), roadWarriorPeer()], 7)],
  ['no peer', renderGatewayState(hubRecord(), [], 1)],
  [
    'a peering whose preshared key a move rotated (app/preshared-key-rotation.ts)',
    renderGatewayState(
      hubRecord(),
      [peeringPeer({ presharedKeyParam: '/vpc-peering/peerings/p1/psk-0123456789abcdef' })],
      9,
    ),
  ],
  [
    'a gateway whose key the control plane does not hold, a peering without endpoint',
    renderGatewayState(hubRecord({ privateKeyParam: null }), [peeringPeer({ endpoint: null })], 123456789012),
  ],
  [
    'several peerings with several prefixes',
    renderGatewayState(
      hubRecord(),
      [
        peeringPeer(),
        peeringPeer({
          name: 'vpc-peering-p2',
          peeringId: 'p2',
          allowedIps: ['192.168.0.0/24', '10.20.0.0/16', '100.64.2.0/24'],
          presharedKeyParam: '/vpc-peering/peerings/p2/psk',
          endpoint: '198.51.100.20:443',
        }),
      ],
      3,
    ),
  ],
];

describe.each(documents)('a rendered document with %s', (_label, state) => {
  test('is in the layout the delta path reads, and reads back as the same values', () => {
    // Prepare
    const dir = tempDir('contract');
    const file = join(dir, 'document.json');
    writeFileSync(file, serialiseState(state));

    // Act
    const result = runParts(['apply-delta'], dir, READ_AS_DELTA, [file]);

    // Assess
    expect(result).toEqual({ exitCode: 0, stdout: expectedReading(state), stderr: '' });
    expect(runParts([], dir, 'cat "$STATE_DIR/nftables.out"').stdout).toBe(state.nftables);
  });

  test('passes what the instance refuses otherwise: ruleset grammar, routes, preshared key names', () => {
    // Prepare
    const dir = tempDir('contract');
    const psks = state.peers.flatMap((peer) => [peer.name, peer.presharedKeyParam ?? '']);

    // Act: $1 the ruleset, $2 the number of routes, then the routes, then name/key pairs.
    const result = runParts(
      ['checks'],
      dir,
      [
        'check_ruleset "$1"',
        'check_routes "${@:3:$2}"',
        'set -- "${@:3+$2}"',
        'while (($#)); do own_psk "$1" "$2" || { echo "not own: $2" >&2; exit 5; }; shift 2; done',
        'echo ok',
      ].join('\n'),
      [state.nftables, String(state.routes.length), ...state.routes, ...psks],
    );

    // Assess
    expect(result).toEqual({ exitCode: 0, stdout: 'ok\n', stderr: '' });
  });

  test("changes only its set's elements against the ruleset of no peering, which are its routes", () => {
    // Prepare: the hub rules read the named set of the peered prefixes, the routes (core/render.ts).
    const dir = tempDir('contract');
    writeFileSync(join(dir, 'state.json'), serialiseState(renderGatewayState(hubRecord(), [], 1)));
    writeFileSync(join(dir, 'new.json'), serialiseState(state));

    // Act: the delta path's awk pass (gateway/awk/changed-lines.awk), its ruleset marks.
    const result = runParts(
      ['apply-delta'],
      dir,
      ': >"$STATE_DIR/changes"; awk -v copy="$STATE_DIR/copy.json" -v previous="$STATE_DIR/previous.json" -v changes="$STATE_DIR/changes" "$CHANGED_LINES" "$STATE_DIR/state.json" "$STATE_DIR/new.json" >/dev/null && grep "^S" "$STATE_DIR/changes" | sort || true',
    );

    // Assess
    const expected = state.routes.length === 0 ? [] : ['S=', ...state.routes.map((route) => `S+${route}`)];
    expect(result.stdout.split('\n').filter(Boolean)).toEqual(expected.sort());
  });

  test('is accepted whole by the full path', () => {
    // Prepare
    const dir = tempDir('contract');
    const file = join(dir, 'document.json');
    writeFileSync(file, serialiseState(state));

    // Act
    const result = runParts(
      ['render'],
      dir,
      'GENERATION=$2; render_document "$1"; echo "${FIELDS[0]} ${FIELDS[1]}"',
      [file, String(state.generation)],
    );

    // Assess
    expect(result).toEqual({ exitCode: 0, stdout: `apply ${state.interface.name}\n`, stderr: '' });
  });
});
