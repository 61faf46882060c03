/** Address arithmetic of the local topology (IPv4: VPC CIDRs of the product are IPv4). */
import ipaddr from 'ipaddr.js';

/** The n-th address of an IPv4 CIDR (n = 1 is the first host), as `a.b.c.d`. */
export function nthHost(cidr: string, n: number): string {
  const [, prefixLength] = ipaddr.IPv4.parseCIDR(cidr);
  const size = 2 ** (32 - prefixLength);
  if (n <= 0 || n >= size - 1) throw new Error(`${cidr} has no host number ${n}`);
  const network = ipaddr.IPv4.networkAddressFromCIDR(cidr).toByteArray();
  const value = network.reduce((acc, byte) => acc * 256 + byte, 0) + n;
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

export function prefixLength(cidr: string): number {
  return ipaddr.IPv4.parseCIDR(cidr)[1];
}
