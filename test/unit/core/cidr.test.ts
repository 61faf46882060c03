import fc from 'fast-check';
import {
  cidrContainsAddress,
  cidrPrefixLength,
  cidrsOverlap,
  intToIpv4,
  ipv4ToInt,
  parseCidr,
  parseIpAddress,
  usableHostRange,
} from '../../../lambdas/core/cidr';
import { ValidationError } from '../../../lambdas/core/errors';
import { thrown } from '../../support/core';

const arbitraryIpInt = fc.integer({ min: 0, max: 0xffffffff });
const arbitraryCidr = fc.tuple(arbitraryIpInt, fc.integer({ min: 0, max: 32 })).map(([address, length]) => {
  const mask = length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
  return `${intToIpv4((address & mask) >>> 0)}/${length}`;
});

describe('parseCidr', () => {
  it.each([
    ['10.0.0.0/16', '10.0.0.0/16'],
    ['0.0.0.0/0', '0.0.0.0/0'],
    ['192.168.1.7/32', '192.168.1.7/32'],
    ['100.64.0.0/31', '100.64.0.0/31'],
  ])('accepts the canonical %s', (input, expected) => {
    // Act
    const result = parseCidr(input, 'vpcCidr');
    // Assess
    expect(result).toBe(expected);
  });

  it('refuses host bits and suggests the network', () => {
    // Act
    const error = thrown(() => parseCidr('10.0.0.1/16', 'vpcCidr'));
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('vpcCidr');
    expect((error as ValidationError).message).toBe(
      'vpcCidr: 10.0.0.1/16 has host bits set; did you mean 10.0.0.0/16?',
    );
  });

  it.each([
    [42, 'must be a string'],
    [null, 'must be a string'],
    ['', 'must not be empty'],
    ['10.0.0.0', 'must be a CIDR'],
    ['10.0.0.0/', 'must be a CIDR'],
    ['10.0.0.0/16/8', 'must be a CIDR'],
    ['10.0.0/16', 'dotted-quad'],
    ['10.0.0.0.0/16', 'dotted-quad'],
    ['a.b.c.d/16', 'dotted-quad'],
    ['-1.0.0.0/8', 'dotted-quad'],
    ['256.0.0.0/8', 'between 0 and 255'],
    ['010.0.0.0/16', 'leading zeros'],
    ['10.0.0.0/016', 'leading zeros'],
    ['10.0.0.0/33', 'between 0 and 32'],
    ['10.0.0.0/-1', 'must be a CIDR'],
    [' 10.0.0.0/16', 'whitespace'],
    ['10.0.0.0/16\n', 'whitespace'],
    ['10.0.0.0/16\n[Peer]', 'whitespace'],
    ['10.0.0.0/16\tx', 'whitespace'],
    ['0x0a.0.0.0/8', 'dotted-quad'],
    ['1'.repeat(65), 'at most 64'],
    ['::/0', 'dotted-quad'],
  ])('refuses %j (%s)', (input, expected) => {
    // Act
    const error = thrown(() => parseCidr(input, 'tunnelSubnet'));
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('tunnelSubnet');
    expect((error as ValidationError).message).toContain(expected);
  });

  it('returns its own output unchanged (canonical form is a fixed point)', () => {
    fc.assert(
      fc.property(arbitraryCidr, (cidr) => {
        // Act / Assess
        expect(parseCidr(parseCidr(cidr, 'c'), 'c')).toBe(cidr);
      }),
    );
  });
});

describe('parseIpAddress', () => {
  it('accepts a canonical address', () => {
    // Act
    const result = parseIpAddress('203.0.113.1', 'publicIp');
    // Assess
    expect(result).toBe('203.0.113.1');
  });

  it.each([['203.0.113.01'], ['203.0.113.1/32'], ['203.0.113.1 '], ['203.0.113'], ['300.1.1.1'], [7]])(
    'refuses %j',
    (input) => {
      // Act
      const error = thrown(() => parseIpAddress(input, 'publicIp'));
      // Assess
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).field).toBe('publicIp');
    },
  );
});

describe('cidrsOverlap', () => {
  it.each([
    ['10.0.0.0/16', '10.0.128.0/17', true],
    ['10.0.0.0/16', '10.1.0.0/16', false],
    ['10.0.0.0/8', '10.200.3.0/24', true],
    ['0.0.0.0/0', '192.168.0.0/16', true],
    ['100.64.0.0/24', '100.64.0.255/32', true],
    ['100.64.0.0/24', '100.64.1.0/32', false],
  ])('%s and %s → %s', (a, b, expected) => {
    // Act
    const result = cidrsOverlap(a, b);
    // Assess
    expect(result).toBe(expected);
  });

  it('is symmetric and reflexive', () => {
    fc.assert(
      fc.property(arbitraryCidr, arbitraryCidr, (a, b) => {
        // Act / Assess
        expect(cidrsOverlap(a, b)).toBe(cidrsOverlap(b, a));
        expect(cidrsOverlap(a, a)).toBe(true);
      }),
    );
  });

  it('is true exactly when one prefix contains the other (CIDR prefixes nest or are disjoint)', () => {
    fc.assert(
      fc.property(arbitraryCidr, arbitraryCidr, (a, b) => {
        // Prepare
        const [networkA = '', networkB = ''] = [a.split('/')[0], b.split('/')[0]];
        const nested = cidrContainsAddress(a, networkB) || cidrContainsAddress(b, networkA);
        // Act / Assess
        expect(cidrsOverlap(a, b)).toBe(nested);
      }),
    );
  });

  it('refuses invalid input instead of guessing', () => {
    // Act / Assess
    expect(() => cidrsOverlap('10.0.0.1/16', '10.0.0.0/16')).toThrow(ValidationError);
  });
});

describe('cidrContainsAddress', () => {
  it.each([
    ['10.0.0.0/16', '10.0.255.255', true],
    ['10.0.0.0/16', '10.1.0.0', false],
    ['10.0.0.0/16', '9.255.255.255', false],
    ['0.0.0.0/0', '255.255.255.255', true],
    ['192.0.2.7/32', '192.0.2.7', true],
  ])('%s contains %s → %s', (cidr, ip, expected) => {
    // Act
    const result = cidrContainsAddress(cidr, ip);
    // Assess
    expect(result).toBe(expected);
  });

  it('contains exactly the addresses between its network and broadcast', () => {
    fc.assert(
      fc.property(arbitraryCidr, arbitraryIpInt, (cidr, n) => {
        // Prepare
        const length = cidrPrefixLength(cidr);
        const network = ipv4ToInt(cidr.split('/')[0] ?? '');
        const size = 2 ** (32 - length);
        // Act / Assess
        expect(cidrContainsAddress(cidr, intToIpv4(n))).toBe(n >= network && n < network + size);
      }),
    );
  });
});

describe('ipv4ToInt and intToIpv4', () => {
  it('convert known values', () => {
    // Act / Assess
    expect(ipv4ToInt('0.0.0.0')).toBe(0);
    expect(ipv4ToInt('255.255.255.255')).toBe(0xffffffff);
    expect(ipv4ToInt('10.1.2.3')).toBe(0x0a010203);
    expect(intToIpv4(0xc0000201)).toBe('192.0.2.1');
  });

  it('round-trip every integer', () => {
    fc.assert(
      fc.property(arbitraryIpInt, (n) => {
        // Act / Assess
        expect(ipv4ToInt(intToIpv4(n))).toBe(n);
      }),
    );
  });

  it.each([[-1], [2 ** 32], [1.5], [Number.NaN]])('intToIpv4 refuses %p', (n) => {
    // Act / Assess
    expect(() => intToIpv4(n)).toThrow(ValidationError);
  });
});

describe('usableHostRange', () => {
  it.each([
    ['100.64.0.0/24', '100.64.0.1', '100.64.0.254'],
    ['100.64.0.0/30', '100.64.0.1', '100.64.0.2'],
    ['100.64.0.0/31', '100.64.0.0', '100.64.0.1'],
    ['100.64.0.5/32', '100.64.0.5', '100.64.0.5'],
  ])('%s → %s..%s', (cidr, first, last) => {
    // Act
    const range = usableHostRange(cidr);
    // Assess
    expect([intToIpv4(range.first), intToIpv4(range.last)]).toEqual([first, last]);
  });
});
