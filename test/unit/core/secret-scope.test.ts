/** Which secrets a gateway's instance may receive (core/secret-scope.ts, docs/SECURITY.md). */
import { ValidationError } from '../../../lambdas/core/errors';
import type { DesiredPeer, GatewayDesiredState } from '../../../lambdas/core/render';
import { instanceSecretNames, isGatewayKeyName, isPeeringKeyName } from '../../../lambdas/core/secret-scope';

const peer = (name: string, presharedKeyParam: string | null): DesiredPeer => ({
  name,
  type: presharedKeyParam === null ? 'road-warrior' : 'vpc-peering',
  publicKey: 'k',
  presharedKeyParam,
  allowedIps: [],
  endpoint: null,
  persistentKeepalive: null,
});

const state = (privateKeyParam: string | null, peers: DesiredPeer[]): GatewayDesiredState => ({
  schema: 1,
  gatewayId: 'gw.a',
  generation: 1,
  interface: { name: 'wg0', address: '100.64.0.1/24', listenPort: 51820, mtu: 1420, privateKeyParam },
  vpcCidr: '10.0.0.0/16',
  tunnelSubnet: '100.64.0.0/24',
  peers,
  routes: [],
  nftables: '',
});

describe('instanceSecretNames', () => {
  it('lists the gateway own key and the keys of its own peerings, never a road-warrior key', () => {
    // Act
    const names = instanceSecretNames(
      state('/vpc-peering/gateways/gw.a/private-key', [
        peer('vpc-peering-p1', '/vpc-peering/peerings/p1/psk'),
        peer('laptop', null),
      ]),
    );

    // Assess
    expect(names).toEqual(['/vpc-peering/gateways/gw.a/private-key', '/vpc-peering/peerings/p1/psk']);
  });

  it("lists a peering's key a move rotated", () => {
    // Act
    const names = instanceSecretNames(
      state(null, [peer('vpc-peering-p1', '/vpc-peering/peerings/p1/psk-0123456789abcdef')]),
    );

    // Assess
    expect(names).toEqual(['/vpc-peering/peerings/p1/psk-0123456789abcdef']);
  });

  it('lists nothing for a gateway registered with its own key and no peering', () => {
    // Act / Assess
    expect(instanceSecretNames(state(null, [peer('laptop', null)]))).toEqual([]);
  });

  it.each([
    ['another gateway key', state('/vpc-peering/gateways/gw-b/private-key', [])],
    ['a key of a gateway whose id only looks alike', state('/vpc-peering/gateways/gwxa/private-key', [])],
    [
      'a road-warrior key as the gateway key',
      state('/vpc-peering/gateways/gw.a/peers/laptop/private-key', []),
    ],
    ['another peering key', state(null, [peer('vpc-peering-p1', '/vpc-peering/peerings/p2/psk')])],
    [
      "another peering's rotated key",
      state(null, [peer('vpc-peering-p1', '/vpc-peering/peerings/p2/psk-0123456789abcdef')]),
    ],
    [
      'a road-warrior key as a preshared key',
      state(null, [peer('vpc-peering-p1', '/vpc-peering/gateways/gw.a/peers/laptop/private-key')]),
    ],
  ])('refuses %s', (_label, refused) => {
    // Act / Assess
    expect(() => instanceSecretNames(refused)).toThrow(ValidationError);
  });
});

describe('name rules', () => {
  it.each([
    ['/vpc-peering/gateways/gw-a/private-key', 'gw-a', true],
    ['/other-prefix/gateways/gw-a/private-key', 'gw-a', true],
    ['/a/b/gateways/gw-a/private-key', 'gw-a', false],
    ['/vpc-peering/gateways/gw-a/private-key/x', 'gw-a', false],
  ])('isGatewayKeyName(%s, %s) is %s', (name, gatewayId, expected) => {
    // Act / Assess
    expect(isGatewayKeyName(name, gatewayId)).toBe(expected);
  });

  it.each([
    ['/vpc-peering/peerings/p1/psk', 'vpc-peering-p1', true],
    ['/vpc-peering/peerings/p1/psk', 'laptop', false],
    ['/vpc-peering/peerings/p10/psk', 'vpc-peering-p1', false],
    // A move's new key (app/preshared-key-rotation.ts): `psk-` and 16 lowercase hex characters.
    ['/vpc-peering/peerings/p1/psk-0123456789abcdef', 'vpc-peering-p1', true],
    ['/vpc-peering/peerings/p2/psk-0123456789abcdef', 'vpc-peering-p1', false],
    ['/vpc-peering/peerings/p1/psk-0123456789ABCDEF', 'vpc-peering-p1', false],
    ['/vpc-peering/peerings/p1/psk-0123456789abcde', 'vpc-peering-p1', false],
    ['/vpc-peering/peerings/p1/psk-0123456789abcdef0', 'vpc-peering-p1', false],
    ['/vpc-peering/peerings/p1/psk-', 'vpc-peering-p1', false],
    ['/vpc-peering/peerings/p1/pskx', 'vpc-peering-p1', false],
    ['/vpc-peering/peerings/p1/psk-0123456789abcdef/x', 'vpc-peering-p1', false],
  ])('isPeeringKeyName(%s, %s) is %s', (name, peerName, expected) => {
    // Act / Assess
    expect(isPeeringKeyName(name, peerName)).toBe(expected);
  });
});
