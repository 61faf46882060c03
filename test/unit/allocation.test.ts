/** Allocation maths of a tunnel subnet (lambdas/core/allocation.ts). */
import fc from 'fast-check';
import { defaultGatewayTunnelIp, firstFreeIndex, tunnelAddressSpace } from '../../lambdas/core/allocation';
import { intToIpv4, ipv4ToInt } from '../../lambdas/core/cidr';
import { ConflictError } from '../../lambdas/core/errors';

/** Any IPv4 subnet from /8 to /30 with a gateway address somewhere in its usable range. */
const subnetWithGateway = fc
  .record({ base: fc.integer({ min: 0, max: 0xffffffff }), length: fc.integer({ min: 8, max: 30 }) })
  .chain(({ base, length }) => {
    const size = 2 ** (32 - length);
    const network = base - (base % size);
    return fc.record({
      subnet: fc.constant(`${intToIpv4(network)}/${length}`),
      network: fc.constant(network),
      broadcast: fc.constant(network + size - 1),
      gateway: fc.integer({ min: network + 1, max: network + size - 2 }).map(intToIpv4),
    });
  });

describe('tunnelAddressSpace', () => {
  it('proposes only usable hosts: never the network, the broadcast or the gateway address', () => {
    fc.assert(
      fc.property(subnetWithGateway, fc.double({ min: 0, max: 1, noNaN: true }), (s, draw) => {
        // Prepare
        const space = tunnelAddressSpace(s.subnet, s.gateway);

        // Act
        const candidate = ipv4ToInt(space.candidate(() => draw));

        // Assess
        expect(candidate).toBeGreaterThan(s.network);
        expect(candidate).toBeLessThan(s.broadcast);
        expect(intToIpv4(candidate)).not.toBe(s.gateway);
        expect(space.contains(intToIpv4(candidate))).toBe(true);
      }),
    );
  });

  it('numbers the allocatable addresses densely: addressAt and indexOf are inverse', () => {
    fc.assert(
      fc.property(subnetWithGateway, fc.nat(), (s, n) => {
        // Prepare
        const space = tunnelAddressSpace(s.subnet, s.gateway);
        const index = n % space.capacity;

        // Act
        const address = space.addressAt(index);

        // Assess
        expect(space.capacity).toBe(s.broadcast - s.network - 2);
        expect(space.indexOf(address)).toBe(index);
        expect(space.indexOf(s.gateway)).toBe(-1);
      }),
    );
  });

  it.each([
    ['/30', '100.64.0.0/30', '100.64.0.1', ['100.64.0.2']],
    ['/31', '100.64.0.0/31', '100.64.0.0', ['100.64.0.1']],
    ['/32', '100.64.0.7/32', '100.64.0.7', []],
    [
      '/29',
      '100.64.0.0/29',
      '100.64.0.3',
      ['100.64.0.1', '100.64.0.2', '100.64.0.4', '100.64.0.5', '100.64.0.6'],
    ],
  ])('lists the allocatable addresses of a %s', (_label, subnet, gateway, expected) => {
    // Prepare
    const space = tunnelAddressSpace(subnet, gateway);

    // Act
    const addresses = Array.from({ length: space.capacity }, (_, i) => space.addressAt(i));

    // Assess
    expect(addresses).toEqual(expected);
  });

  it('refuses to propose anything in a subnet with no room', () => {
    // Prepare
    const space = tunnelAddressSpace('100.64.0.7/32', '100.64.0.7');

    // Act
    const propose = () => space.candidate(() => 0.5);

    // Assess
    expect(propose).toThrow(new ConflictError('TUNNEL_SUBNET_EXHAUSTED'));
  });

  it('does not count the network or broadcast address as allocatable', () => {
    // Prepare
    const space = tunnelAddressSpace('100.64.0.0/24', '100.64.0.1');

    // Act
    const contained = ['100.64.0.0', '100.64.0.255', '100.64.0.1', '100.64.1.2'].map(space.contains);

    // Assess
    expect(contained).toEqual([false, false, false, false]);
  });
});

describe('defaultGatewayTunnelIp', () => {
  it.each([
    ['100.64.0.0/24', '100.64.0.1'],
    ['100.64.0.0/31', '100.64.0.0'],
    ['100.64.0.9/32', '100.64.0.9'],
  ])('takes the first usable host of %s', (subnet, expected) => {
    expect(defaultGatewayTunnelIp(subnet)).toBe(expected);
  });
});

describe('firstFreeIndex', () => {
  it('finds the first gap inside a window, or past it only when the window reached the end', () => {
    // Prepare
    const cases: Array<[number, number[], boolean]> = [
      [3, [3, 4, 6], false],
      [3, [3, 4, 5], false],
      [3, [3, 4, 5], true],
      [7, [7, 8, 9], true],
    ];

    // Act
    const found = cases.map(([from, taken, reachedEnd]) => firstFreeIndex(from, taken, reachedEnd, 10));

    // Assess
    expect(found).toEqual([5, undefined, 6, undefined]);
  });

  it('never returns a taken index or one outside the space', () => {
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat(99)), fc.nat(99), fc.boolean(), (raw, from, reachedEnd) => {
        // Prepare
        const taken = raw.filter((index) => index >= from).sort((a, b) => a - b);

        // Act
        const free = firstFreeIndex(from, taken, reachedEnd, 100);

        // Assess
        if (free !== undefined) {
          expect(taken).not.toContain(free);
          expect(free).toBeGreaterThanOrEqual(from);
          expect(free).toBeLessThan(100);
        }
      }),
    );
  });
});
