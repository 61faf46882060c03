import { peeringCandidates } from '../../../lambdas/core/candidates';
import { CONFLICT_MESSAGES } from '../../../lambdas/core/errors';
import { gateway, remoteGateway } from '../../support/core';

const noRoutes = { routedPrefixesOf: () => [], isPeeredWith: () => false };

describe('peeringCandidates', () => {
  it("lists only the owner's other ACTIVE gateways in other VPCs", () => {
    // Prepare
    const self = gateway();
    const others = [
      self,
      remoteGateway({ id: 'gw-other-owner', ownerId: 'user-2' }),
      remoteGateway({ id: 'gw-pending', status: 'PENDING' }),
      remoteGateway({ id: 'gw-same-vpc', vpcId: 'vpc-a' }),
      remoteGateway({ id: 'gw-b' }),
    ];
    // Act
    const candidates = peeringCandidates(self, others, noRoutes);
    // Assess
    expect(candidates.map((candidate) => candidate.gateway.id)).toEqual(['gw-b']);
    expect(candidates[0]).toMatchObject({ eligible: true, reason: null });
  });

  it('gives the message the create call would give for each ineligible gateway', () => {
    // Prepare
    const self = gateway();
    const overlapping = remoteGateway({ id: 'gw-c', name: 'c', vpcCidr: '10.10.0.0/20' });
    const peered = remoteGateway({
      id: 'gw-d',
      name: 'd',
      vpcCidr: '172.17.0.0/16',
      tunnelSubnet: '100.64.3.0/24',
    });
    const routed = remoteGateway({
      id: 'gw-e',
      name: 'e',
      vpcCidr: '192.168.0.0/16',
      tunnelSubnet: '100.64.4.0/24',
    });
    const context = {
      routedPrefixesOf: (id: string) => (id === self.id ? ['192.168.0.0/24'] : []),
      isPeeredWith: (id: string) => id === 'gw-d',
    };
    // Act
    const candidates = peeringCandidates(self, [routed, peered, overlapping], context);
    // Assess
    expect(candidates.map(({ gateway: g, eligible, reason }) => [g.id, eligible, reason])).toEqual([
      ['gw-c', false, CONFLICT_MESSAGES.VPC_CIDRS_OVERLAP],
      ['gw-d', false, CONFLICT_MESSAGES.PEERING_ALREADY_EXISTS],
      ['gw-e', false, CONFLICT_MESSAGES.ROUTED_CIDR_CONFLICT],
    ]);
  });

  it("checks the candidate's own routed prefixes too", () => {
    // Prepare
    const self = gateway();
    const context = {
      routedPrefixesOf: (id: string) => (id === 'gw-b' ? ['10.0.0.0/8'] : []),
      isPeeredWith: () => false,
    };
    // Act
    const [candidate] = peeringCandidates(self, [remoteGateway()], context);
    // Assess
    expect(candidate?.reason).toBe(CONFLICT_MESSAGES.ROUTED_CIDR_CONFLICT);
  });

  it('orders by id, the order of every list page, whatever the input order', () => {
    // Prepare
    const self = gateway();
    const b2 = remoteGateway({
      id: 'gw-2',
      name: 'beta',
      vpcId: 'v2',
      vpcCidr: '172.17.0.0/16',
      tunnelSubnet: '100.64.2.0/24',
    });
    const b1 = remoteGateway({
      id: 'gw-1',
      name: 'beta',
      vpcId: 'v1',
      vpcCidr: '172.18.0.0/16',
      tunnelSubnet: '100.64.3.0/24',
    });
    const a9 = remoteGateway({
      id: 'gw-9',
      name: 'alpha',
      vpcId: 'v9',
      vpcCidr: '172.19.0.0/16',
      tunnelSubnet: '100.64.4.0/24',
    });
    // Act
    const candidates = peeringCandidates(self, [b2, a9, b1], noRoutes);
    // Assess
    expect(candidates.map((candidate) => candidate.gateway.id)).toEqual(['gw-1', 'gw-2', 'gw-9']);
  });
});
