import {
  assertPeeringAllowed,
  findPeeringConflict,
  type PeeringCheckInput,
  peerEndpointHosts,
  remotePeerAllowedIps,
  routedPrefixes,
  routesOwnTransport,
} from '../../../lambdas/core/checks';
import { CONFLICT_MESSAGES, ConflictError } from '../../../lambdas/core/errors';
import { gateway, peeringPeer, remoteGateway } from '../../support/core';

function input(overrides: Partial<PeeringCheckInput> = {}): PeeringCheckInput {
  return {
    local: gateway(),
    remote: remoteGateway(),
    localRoutedPrefixes: [],
    remoteRoutedPrefixes: [],
    localPeerEndpointHosts: [],
    remotePeerEndpointHosts: [],
    pairAlreadyPeered: false,
    ...overrides,
  };
}

describe('findPeeringConflict', () => {
  it('allows two ACTIVE gateways of one owner with disjoint addresses', () => {
    // Act
    const conflict = findPeeringConflict(input());
    // Assess
    expect(conflict).toBeUndefined();
  });

  it.each<[string, Partial<PeeringCheckInput>, keyof typeof CONFLICT_MESSAGES, string]>([
    [
      'different owners',
      { remote: remoteGateway({ ownerId: 'user-2' }) },
      'OWNER_MISMATCH',
      'Both gateways must belong to the same user',
    ],
    [
      'a PENDING local gateway',
      { local: gateway({ status: 'PENDING' }) },
      'GATEWAY_NOT_ACTIVE',
      'Both gateways must be ACTIVE',
    ],
    [
      'a DELETING remote gateway',
      { remote: remoteGateway({ status: 'DELETING' }) },
      'GATEWAY_NOT_ACTIVE',
      'Both gateways must be ACTIVE',
    ],
    [
      'the same VPC',
      { remote: remoteGateway({ vpcId: 'vpc-a' }) },
      'SAME_VPC',
      'Cannot peer gateways in the same VPC',
    ],
    [
      'overlapping VPC CIDRs',
      { remote: remoteGateway({ vpcCidr: '10.10.128.0/17' }) },
      'VPC_CIDRS_OVERLAP',
      'The VPC CIDRs of the two gateways overlap',
    ],
    [
      'overlapping tunnel subnets',
      { remote: remoteGateway({ tunnelSubnet: '100.64.0.0/23' }) },
      'TUNNEL_SUBNETS_OVERLAP',
      'The tunnel subnets of the two gateways overlap',
    ],
    [
      'the local tunnel subnet inside the remote VPC',
      { local: gateway({ tunnelSubnet: '172.16.5.0/24' }) },
      'TUNNEL_SUBNET_OVERLAPS_REMOTE_VPC',
      'A tunnel subnet overlaps with the remote VPC CIDR',
    ],
    [
      'the remote tunnel subnet inside the local VPC',
      { remote: remoteGateway({ tunnelSubnet: '10.10.200.0/24' }) },
      'TUNNEL_SUBNET_OVERLAPS_REMOTE_VPC',
      'A tunnel subnet overlaps with the remote VPC CIDR',
    ],
    [
      "the local VPC CIDR covering the remote gateway's endpoint",
      { remote: remoteGateway({ publicIp: '10.10.3.4' }) },
      'ENDPOINT_INSIDE_PEERED_PREFIX',
      "A VPC CIDR or tunnel subnet of these gateways covers a gateway's public endpoint",
    ],
    [
      "the remote VPC CIDR covering the remote gateway's own endpoint (the local side routes it)",
      { remote: remoteGateway({ publicIp: '172.16.0.9' }) },
      'ENDPOINT_INSIDE_PEERED_PREFIX',
      "A VPC CIDR or tunnel subnet of these gateways covers a gateway's public endpoint",
    ],
    [
      "the remote tunnel subnet covering the local gateway's endpoint",
      { local: gateway({ publicIp: '100.64.1.9' }) },
      'ENDPOINT_INSIDE_PEERED_PREFIX',
      "A VPC CIDR or tunnel subnet of these gateways covers a gateway's public endpoint",
    ],
    [
      "the remote VPC covering the endpoint of another peer of the local gateway (a hub's)",
      { localPeerEndpointHosts: ['192.168.0.9', '172.16.4.4'] },
      'ENDPOINT_INSIDE_PEERED_PREFIX',
      CONFLICT_MESSAGES.ENDPOINT_INSIDE_PEERED_PREFIX,
    ],
    [
      'the local tunnel subnet covering the endpoint of another peer of the remote gateway',
      { remotePeerEndpointHosts: ['100.64.0.77'] },
      'ENDPOINT_INSIDE_PEERED_PREFIX',
      CONFLICT_MESSAGES.ENDPOINT_INSIDE_PEERED_PREFIX,
    ],
    [
      "the remote gateway's endpoint inside a prefix the local gateway routes to another peer",
      { remote: remoteGateway({ publicIp: '10.99.0.9' }), localRoutedPrefixes: ['10.99.0.0/16'] },
      'ENDPOINT_INSIDE_PEERED_PREFIX',
      CONFLICT_MESSAGES.ENDPOINT_INSIDE_PEERED_PREFIX,
    ],
    [
      "the local gateway's endpoint inside a prefix the remote gateway routes to another peer",
      { local: gateway({ publicIp: '192.168.3.3' }), remoteRoutedPrefixes: ['192.168.0.0/16'] },
      'ENDPOINT_INSIDE_PEERED_PREFIX',
      CONFLICT_MESSAGES.ENDPOINT_INSIDE_PEERED_PREFIX,
    ],
    [
      'an existing peering of the pair',
      { pairAlreadyPeered: true },
      'PEERING_ALREADY_EXISTS',
      'A peering already exists between these gateways',
    ],
    [
      'the remote VPC already routed by the local gateway',
      { localRoutedPrefixes: ['192.168.0.0/16', '172.16.0.0/12'] },
      'ROUTED_CIDR_CONFLICT',
      CONFLICT_MESSAGES.ROUTED_CIDR_CONFLICT,
    ],
    [
      'the remote tunnel subnet already routed by the local gateway',
      { localRoutedPrefixes: ['100.64.1.128/25'] },
      'ROUTED_CIDR_CONFLICT',
      CONFLICT_MESSAGES.ROUTED_CIDR_CONFLICT,
    ],
    [
      'the local VPC already routed by the remote gateway',
      { remoteRoutedPrefixes: ['10.10.0.0/16'] },
      'ROUTED_CIDR_CONFLICT',
      CONFLICT_MESSAGES.ROUTED_CIDR_CONFLICT,
    ],
    [
      'the local tunnel subnet already routed by the remote gateway',
      { remoteRoutedPrefixes: ['100.64.0.0/16'] },
      'ROUTED_CIDR_CONFLICT',
      CONFLICT_MESSAGES.ROUTED_CIDR_CONFLICT,
    ],
  ])('refuses %s', (_case, overrides, code, message) => {
    // Act
    const conflict = findPeeringConflict(input(overrides));
    // Assess
    expect(conflict).toBeInstanceOf(ConflictError);
    expect(conflict?.code).toBe(code);
    expect(conflict?.message).toBe(message);
  });

  it('ignores routed prefixes and peer endpoints that clash with nothing of the new pair', () => {
    // Act
    const conflict = findPeeringConflict(
      input({
        localRoutedPrefixes: ['192.168.0.0/16', '100.64.2.0/24'],
        remoteRoutedPrefixes: ['10.20.0.0/16'],
        localPeerEndpointHosts: ['203.0.113.9'],
        remotePeerEndpointHosts: ['10.30.0.9'],
      }),
    );
    // Assess
    expect(conflict).toBeUndefined();
  });

  describe('order', () => {
    it('reports SAME_VPC for two gateways of one VPC, although their CIDRs overlap', () => {
      // Prepare
      const remote = remoteGateway({
        vpcId: 'vpc-a',
        vpcCidr: '10.10.0.0/16',
        tunnelSubnet: '100.64.0.0/24',
      });
      // Act
      const conflict = findPeeringConflict(input({ remote, pairAlreadyPeered: true }));
      // Assess
      expect(conflict?.code).toBe('SAME_VPC');
    });

    it('reports VPC_CIDRS_OVERLAP before overlapping tunnel subnets', () => {
      // Prepare
      const remote = remoteGateway({ vpcCidr: '10.10.0.0/16', tunnelSubnet: '100.64.0.0/24' });
      // Act
      const conflict = findPeeringConflict(input({ remote }));
      // Assess
      expect(conflict?.code).toBe('VPC_CIDRS_OVERLAP');
    });

    it('reports TUNNEL_SUBNETS_OVERLAP before a tunnel subnet inside the remote VPC', () => {
      // Prepare: both tunnel subnets are 172.16.9.0/24, inside the remote VPC too
      const local = gateway({ tunnelSubnet: '172.16.9.0/24' });
      const remote = remoteGateway({ tunnelSubnet: '172.16.9.0/24' });
      // Act
      const conflict = findPeeringConflict(input({ local, remote }));
      // Assess
      expect(conflict?.code).toBe('TUNNEL_SUBNETS_OVERLAP');
    });

    it('reports TUNNEL_SUBNET_OVERLAPS_REMOTE_VPC before an existing peering', () => {
      // Act
      const conflict = findPeeringConflict(
        input({ local: gateway({ tunnelSubnet: '172.16.5.0/24' }), pairAlreadyPeered: true }),
      );
      // Assess
      expect(conflict?.code).toBe('TUNNEL_SUBNET_OVERLAPS_REMOTE_VPC');
    });

    it('reports PEERING_ALREADY_EXISTS, not a routing conflict, when the pair is peered (its prefixes are routed)', () => {
      // Prepare
      const remote = remoteGateway();
      // Act
      const conflict = findPeeringConflict(
        input({
          remote,
          pairAlreadyPeered: true,
          localRoutedPrefixes: remotePeerAllowedIps(remote),
          remoteRoutedPrefixes: remotePeerAllowedIps(gateway()),
        }),
      );
      // Assess
      expect(conflict?.code).toBe('PEERING_ALREADY_EXISTS');
    });

    it('reports OWNER_MISMATCH before an inactive gateway, and both before any address check', () => {
      // Prepare
      const remote = remoteGateway({ ownerId: 'user-2', status: 'ERROR', vpcId: 'vpc-a' });
      // Act
      const ownerConflict = findPeeringConflict(input({ remote }));
      const activeConflict = findPeeringConflict(input({ remote: { ...remote, ownerId: 'user-1' } }));
      // Assess
      expect(ownerConflict?.code).toBe('OWNER_MISMATCH');
      expect(activeConflict?.code).toBe('GATEWAY_NOT_ACTIVE');
    });
  });
});

describe('assertPeeringAllowed', () => {
  it('throws the conflict it finds', () => {
    // Act / Assess
    expect(() => assertPeeringAllowed(input({ pairAlreadyPeered: true }))).toThrow(
      new ConflictError('PEERING_ALREADY_EXISTS'),
    );
  });

  it('returns quietly when the peering is allowed', () => {
    // Act / Assess
    expect(() => assertPeeringAllowed(input())).not.toThrow();
  });
});

describe('routesOwnTransport', () => {
  const held = { endpointHosts: ['203.0.113.1', '10.1.0.9'], routedPrefixes: ['10.2.0.0/16'] };

  it.each([
    ['an added prefix covering a held endpoint', { endpointHosts: [], routedPrefixes: ['10.1.0.0/16'] }],
    [
      'an added prefix covering an added endpoint',
      { endpointHosts: ['10.3.0.9'], routedPrefixes: ['10.3.0.0/16'] },
    ],
    ['an added endpoint inside a held prefix', { endpointHosts: ['10.2.4.4'], routedPrefixes: [] }],
  ])('is true for %s', (_case, added) => {
    // Act / Assess
    expect(routesOwnTransport(held, added)).toBe(true);
  });

  it('is false when the change adds nothing that meets, whatever the held ones hold', () => {
    // Prepare: a held host inside a held prefix is not this change's doing
    const legacy = { endpointHosts: ['10.2.0.9'], routedPrefixes: ['10.2.0.0/16'] };
    // Act / Assess
    expect(
      routesOwnTransport(legacy, { endpointHosts: ['198.51.100.1'], routedPrefixes: ['10.4.0.0/16'] }),
    ).toBe(false);
  });
});

describe('routedPrefixes and peerEndpointHosts', () => {
  it("read a gateway's vpc-peering entries only", () => {
    // Prepare
    const peers = [
      peeringPeer({ allowedIps: ['172.16.0.0/16', '100.64.1.0/24'], endpoint: '10.1.0.9:51820' }),
      peeringPeer({ name: 'laptop', type: 'road-warrior', allowedIps: ['100.64.0.9/32'], endpoint: null }),
    ];
    // Act / Assess
    expect(routedPrefixes(peers)).toEqual(['172.16.0.0/16', '100.64.1.0/24']);
    expect(peerEndpointHosts(peers)).toEqual(['10.1.0.9']);
  });
});

describe('remotePeerAllowedIps', () => {
  it('is the remote VPC CIDR then its tunnel subnet', () => {
    // Act
    const allowedIps = remotePeerAllowedIps(remoteGateway());
    // Assess
    expect(allowedIps).toEqual(['172.16.0.0/16', '100.64.1.0/24']);
  });
});
