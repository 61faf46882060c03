/**
 * What a gateway's addresses must mean, beyond their syntax (docs/DECISIONS.md, "Address rules"):
 * a VPC CIDR is private space of a VPC's size, a tunnel subnet private or shared space that never
 * holds the gateway's own public IP, and a public IP is a unicast address a peer can reach.
 * Every refusal is a ValidationError naming the field and the rule it broke.
 */
import { cidrContainsAddress, cidrPrefixLength, cidrsOverlap } from './cidr';
import { ValidationError } from './errors';

export interface PrefixLengthRange {
  min: number;
  max: number;
}

/** Per deployment (env, lambdas/shared/env.ts); DEFAULT_ADDRESS_POLICY otherwise. */
export interface AddressPolicy {
  /** RFC 6598 shared address space (100.64.0.0/10) accepted as a VPC CIDR. */
  sharedVpcCidrs: boolean;
  /** RFC 1918 and RFC 6598 addresses accepted as a gateway's public IP (private transport). */
  privatePublicIps: boolean;
  vpcPrefixLengths: PrefixLengthRange;
  tunnelPrefixLengths: PrefixLengthRange;
}

/** AWS VPCs are /16 to /28; a tunnel subnet needs at least the gateway and one peer (/30). */
export const DEFAULT_ADDRESS_POLICY: AddressPolicy = {
  sharedVpcCidrs: false,
  privatePublicIps: false,
  vpcPrefixLengths: { min: 16, max: 28 },
  tunnelPrefixLengths: { min: 16, max: 30 },
};

const RFC1918 = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'];
const RFC6598 = '100.64.0.0/10';

/** Never a unicast destination a peer could send to, in the order they are reported. */
const NOT_REACHABLE: ReadonlyArray<readonly [string, string]> = [
  ['0.0.0.0/8', 'an unspecified address (0.0.0.0/8)'],
  ['127.0.0.0/8', 'a loopback address (127.0.0.0/8)'],
  ['169.254.0.0/16', 'a link-local address (169.254.0.0/16)'],
  ['224.0.0.0/4', 'a multicast address (224.0.0.0/4)'],
  ['255.255.255.255/32', 'the broadcast address'],
  ['240.0.0.0/4', 'a reserved address (240.0.0.0/4)'],
];

/** True when `cidr` lies entirely inside one of `ranges`. */
const insideOneOf = (cidr: string, ranges: string[]): boolean =>
  ranges.some((range) => cidrsOverlap(range, cidr) && cidrPrefixLength(cidr) >= cidrPrefixLength(range));

function checkPrefixLength(cidr: string, range: PrefixLengthRange, field: string): void {
  const length = cidrPrefixLength(cidr);
  if (length < range.min || length > range.max) {
    throw new ValidationError(`prefix length must be between /${range.min} and /${range.max}`, field);
  }
}

export function checkVpcCidr(vpcCidr: string, policy: AddressPolicy, field = 'vpcCidr'): void {
  const allowed = policy.sharedVpcCidrs ? [...RFC1918, RFC6598] : RFC1918;
  if (!insideOneOf(vpcCidr, allowed)) {
    const spaces = policy.sharedVpcCidrs
      ? 'private (RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16) or shared (RFC 6598: 100.64.0.0/10) address space'
      : 'private address space (RFC 1918: 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16)';
    throw new ValidationError(`must be inside ${spaces}`, field);
  }
  checkPrefixLength(vpcCidr, policy.vpcPrefixLengths, field);
}

/** `publicIp` undefined: it is itself invalid (reported apart), so only the other rules apply. */
export function checkTunnelSubnet(
  tunnelSubnet: string,
  publicIp: string | undefined,
  policy: AddressPolicy,
  field = 'tunnelSubnet',
): void {
  if (!insideOneOf(tunnelSubnet, [...RFC1918, RFC6598])) {
    throw new ValidationError(
      'must be inside private (RFC 1918) or shared (RFC 6598: 100.64.0.0/10) address space',
      field,
    );
  }
  checkPrefixLength(tunnelSubnet, policy.tunnelPrefixLengths, field);
  if (publicIp !== undefined && cidrContainsAddress(tunnelSubnet, publicIp)) {
    throw new ValidationError("must not contain the gateway's own publicIp", field);
  }
}

export function checkPublicIp(publicIp: string, policy: AddressPolicy, field = 'publicIp'): void {
  const refused = NOT_REACHABLE.find(([range]) => cidrContainsAddress(range, publicIp));
  if (refused) throw new ValidationError(`must be a unicast address, not ${refused[1]}`, field);
  if (
    !policy.privatePublicIps &&
    [...RFC1918, RFC6598].some((range) => cidrContainsAddress(range, publicIp))
  ) {
    throw new ValidationError(
      'must be a public address: private (RFC 1918) and shared (RFC 6598) addresses are not enabled in this deployment',
      field,
    );
  }
}
