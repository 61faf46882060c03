/** Address rules of docs/DECISIONS.md ("Address rules"): one row per rule, with the message it gives. */
import {
  type AddressPolicy,
  checkPublicIp,
  checkTunnelSubnet,
  checkVpcCidr,
  DEFAULT_ADDRESS_POLICY,
} from '../../../lambdas/core/address-rules';
import { ValidationError } from '../../../lambdas/core/errors';
import { parseRegisterGatewayBody } from '../../../lambdas/core/schemas';

const SHARED_VPCS: AddressPolicy = { ...DEFAULT_ADDRESS_POLICY, sharedVpcCidrs: true };
const PRIVATE_IPS: AddressPolicy = { ...DEFAULT_ADDRESS_POLICY, privatePublicIps: true };

/** The message of the ValidationError `act` throws, or undefined when it accepts. */
function refusal(act: () => unknown): string | undefined {
  try {
    act();
    return undefined;
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).message;
  }
}

const PRIVATE_ONLY =
  'vpcCidr: must be inside private address space (RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)';
const PRIVATE_OR_SHARED =
  'vpcCidr: must be inside private (RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) or shared (RFC 6598: 100.64.0.0/10) address space';
const NOT_PRIVATE_IP =
  'publicIp: must be a public address: private (RFC 1918) and shared (RFC 6598) addresses are not enabled in this deployment';

describe('vpcCidr', () => {
  it.each<[string, string, AddressPolicy, string | undefined]>([
    ['RFC 1918 10/8', '10.1.0.0/16', DEFAULT_ADDRESS_POLICY, undefined],
    ['RFC 1918 172.16/12', '172.31.0.0/16', DEFAULT_ADDRESS_POLICY, undefined],
    ['RFC 1918 192.168/16', '192.168.10.0/24', DEFAULT_ADDRESS_POLICY, undefined],
    ['the smallest VPC', '10.0.0.16/28', DEFAULT_ADDRESS_POLICY, undefined],
    ['half the internet', '128.0.0.0/1', DEFAULT_ADDRESS_POLICY, PRIVATE_ONLY],
    ['a public range', '8.8.0.0/16', DEFAULT_ADDRESS_POLICY, PRIVATE_ONLY],
    ['straddling 172.16/12', '172.0.0.0/10', DEFAULT_ADDRESS_POLICY, PRIVATE_ONLY],
    ['RFC 6598 when not enabled', '100.96.0.0/16', DEFAULT_ADDRESS_POLICY, PRIVATE_ONLY],
    ['RFC 6598 when enabled', '100.96.0.0/16', SHARED_VPCS, undefined],
    ['public when RFC 6598 is enabled', '8.8.0.0/16', SHARED_VPCS, PRIVATE_OR_SHARED],
    [
      'wider than /16',
      '10.0.0.0/8',
      DEFAULT_ADDRESS_POLICY,
      'vpcCidr: prefix length must be between /16 and /28',
    ],
    [
      'narrower than /28',
      '10.0.0.0/29',
      DEFAULT_ADDRESS_POLICY,
      'vpcCidr: prefix length must be between /16 and /28',
    ],
    [
      'a deployment range',
      '10.0.0.0/12',
      { ...DEFAULT_ADDRESS_POLICY, vpcPrefixLengths: { min: 12, max: 24 } },
      undefined,
    ],
  ])('%s (%s)', (_rule, cidr, policy, message) => {
    // Act / Assess
    expect(refusal(() => checkVpcCidr(cidr, policy))).toBe(message);
  });
});

describe('tunnelSubnet', () => {
  it.each<[string, string, string, string | undefined]>([
    ['shared space', '100.64.0.0/24', '203.0.113.1', undefined],
    ['private space', '172.16.9.0/24', '203.0.113.1', undefined],
    ['the smallest subnet', '100.64.0.0/30', '203.0.113.1', undefined],
    [
      'public space',
      '100.0.0.0/16',
      '203.0.113.1',
      'tunnelSubnet: must be inside private (RFC 1918) or shared (RFC 6598: 100.64.0.0/10) address space',
    ],
    [
      'wider than /16',
      '100.64.0.0/10',
      '203.0.113.1',
      'tunnelSubnet: prefix length must be between /16 and /30',
    ],
    ['a /31', '100.64.0.0/31', '203.0.113.1', 'tunnelSubnet: prefix length must be between /16 and /30'],
    [
      'holding the public IP',
      '10.9.0.0/24',
      '10.9.0.7',
      "tunnelSubnet: must not contain the gateway's own publicIp",
    ],
  ])('%s (%s, publicIp %s)', (_rule, subnet, publicIp, message) => {
    // Act / Assess
    expect(refusal(() => checkTunnelSubnet(subnet, publicIp, DEFAULT_ADDRESS_POLICY))).toBe(message);
  });
});

describe('publicIp', () => {
  it.each<[string, string, AddressPolicy, string | undefined]>([
    ['a public address', '52.1.2.3', DEFAULT_ADDRESS_POLICY, undefined],
    ['a documentation range (the local runtime)', '203.0.113.1', DEFAULT_ADDRESS_POLICY, undefined],
    ['another documentation range', '198.51.100.7', DEFAULT_ADDRESS_POLICY, undefined],
    [
      'unspecified',
      '0.0.0.0',
      DEFAULT_ADDRESS_POLICY,
      'publicIp: must be a unicast address, not an unspecified address (0.0.0.0/8)',
    ],
    [
      'loopback',
      '127.0.0.1',
      DEFAULT_ADDRESS_POLICY,
      'publicIp: must be a unicast address, not a loopback address (127.0.0.0/8)',
    ],
    [
      'link-local',
      '169.254.169.254',
      DEFAULT_ADDRESS_POLICY,
      'publicIp: must be a unicast address, not a link-local address (169.254.0.0/16)',
    ],
    [
      'multicast',
      '239.1.1.1',
      DEFAULT_ADDRESS_POLICY,
      'publicIp: must be a unicast address, not a multicast address (224.0.0.0/4)',
    ],
    [
      'broadcast',
      '255.255.255.255',
      DEFAULT_ADDRESS_POLICY,
      'publicIp: must be a unicast address, not the broadcast address',
    ],
    [
      'reserved',
      '240.0.0.1',
      DEFAULT_ADDRESS_POLICY,
      'publicIp: must be a unicast address, not a reserved address (240.0.0.0/4)',
    ],
    ['private, not allowed', '10.0.0.5', DEFAULT_ADDRESS_POLICY, NOT_PRIVATE_IP],
    ['shared, not allowed', '100.64.0.1', DEFAULT_ADDRESS_POLICY, NOT_PRIVATE_IP],
    ['private, allowed', '10.0.0.5', PRIVATE_IPS, undefined],
    [
      'loopback, even with private allowed',
      '127.0.0.1',
      PRIVATE_IPS,
      'publicIp: must be a unicast address, not a loopback address (127.0.0.0/8)',
    ],
  ])('%s (%s)', (_rule, ip, policy, message) => {
    // Act / Assess
    expect(refusal(() => checkPublicIp(ip, policy))).toBe(message);
  });
});

describe('registration applies the rules', () => {
  const body = (overrides: Record<string, unknown>) => ({
    ownerId: 'user-1',
    vpcId: 'vpc-a',
    vpcCidr: '10.10.0.0/16',
    tunnelSubnet: '100.64.0.0/24',
    publicIp: '203.0.113.1',
    instanceId: 'i-1',
    ...overrides,
  });

  it.each<[string, Record<string, unknown>, AddressPolicy, string]>([
    ['128.0.0.0/1 as a VPC', { vpcCidr: '128.0.0.0/1' }, DEFAULT_ADDRESS_POLICY, PRIVATE_ONLY],
    ['a loopback public IP', { publicIp: '127.0.0.1' }, DEFAULT_ADDRESS_POLICY, 'loopback'],
    [
      'a 100.0.0.0/8 tunnel subnet',
      { tunnelSubnet: '100.0.0.0/8' },
      DEFAULT_ADDRESS_POLICY,
      'tunnelSubnet: must be inside',
    ],
    [
      'a tunnel subnet holding an allowed private public IP',
      { publicIp: '172.16.9.9', tunnelSubnet: '172.16.9.0/24' },
      PRIVATE_IPS,
      'own publicIp',
    ],
  ])('refuses %s', (_case, overrides, policy, text) => {
    // Act / Assess
    expect(refusal(() => parseRegisterGatewayBody(body(overrides), policy))).toContain(text);
  });

  it('accepts the README example', () => {
    // Act / Assess
    expect(refusal(() => parseRegisterGatewayBody(body({})))).toBeUndefined();
  });
});
