/** Route locks (docs/DECISIONS.md "Busy hub: route locks"): which blocks a prefix claims, and why overlaps always meet. */
import { cidrsOverlap, intToIpv4 } from '../../../lambdas/core/cidr';
import { routeLockClaims, routeLockClaimsOf } from '../../../lambdas/core/route-blocks';

describe('routeLockClaimsOf', () => {
  it.each([
    ['10.1.0.0/16', [{ block: '16:10.1', exclusive: true }]],
    ['10.1.2.0/23', [{ block: '16:10.1', exclusive: true }]],
    [
      '100.64.7.0/24',
      [
        { block: '24:100.64.7', exclusive: true },
        { block: '16:100.64', exclusive: false },
      ],
    ],
    [
      '100.64.7.4/30',
      [
        { block: '24:100.64.7', exclusive: true },
        { block: '16:100.64', exclusive: false },
      ],
    ],
    [
      '10.2.0.0/15',
      [
        { block: '16:10.2', exclusive: true },
        { block: '16:10.3', exclusive: true },
      ],
    ],
  ])('%s claims %j', (prefix, claims) => {
    expect(routeLockClaimsOf(prefix)).toEqual(claims);
  });

  it('a /12 claims its 16 blocks; anything wider is refused', () => {
    expect(routeLockClaimsOf('172.16.0.0/12')).toHaveLength(16);
    expect(() => routeLockClaimsOf('10.0.0.0/11')).toThrow(/wider than a \/12/);
  });
});

describe('routeLockClaims', () => {
  it('merges claims on one block, exclusive when any claim is', () => {
    // A /16 and a /24 inside it: the /16 block is claimed exclusively (by the /16) and shared (by the /24).
    expect(routeLockClaims(['10.1.0.0/16', '10.1.5.0/24'])).toEqual([
      { block: '16:10.1', prefixes: ['10.1.0.0/16', '10.1.5.0/24'], exclusive: true },
      { block: '24:10.1.5', prefixes: ['10.1.5.0/24'], exclusive: true },
    ]);
  });
});

describe('overlapping prefixes always meet on a block with an exclusive claim', () => {
  // Deterministic pseudo-random prefixes of /12 to /30 inside 10.0.0.0/11 (so that many overlap).
  let seed = 7;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed;
  };
  const prefix = (): string => {
    const length = 12 + (next() % 19);
    const size = 2 ** (32 - length);
    const base = 0x0a000000 + (next() % 2 ** 21) * 2 ** 0;
    return `${intToIpv4(Math.floor(base / size) * size)}/${length}`;
  };

  it('holds for 3,000 random pairs (and disjoint /24s in one /16 share only shared claims)', () => {
    let overlapping = 0;
    for (let i = 0; i < 3000; i++) {
      // Prepare
      const a = prefix();
      const b = prefix();
      if (!cidrsOverlap(a, b)) continue;
      overlapping += 1;
      // Act
      const claimsA = new Map(routeLockClaimsOf(a).map((claim) => [claim.block, claim.exclusive]));
      const meet = routeLockClaimsOf(b).some(
        (claim) => claimsA.has(claim.block) && (claim.exclusive || claimsA.get(claim.block) === true),
      );
      // Assess
      expect({ a, b, meet }).toEqual({ a, b, meet: true });
    }
    expect(overlapping).toBeGreaterThan(100);
    const first = new Map(routeLockClaimsOf('100.65.1.0/24').map((claim) => [claim.block, claim.exclusive]));
    const second = routeLockClaimsOf('100.65.2.0/24');
    expect(second.filter((claim) => first.has(claim.block))).toEqual([
      { block: '16:100.65', exclusive: false },
    ]);
    expect(first.get('16:100.65')).toBe(false);
  });
});
