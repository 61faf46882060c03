import { execFileSync, spawnSync } from 'node:child_process';
import { ValidationError } from '../../../lambdas/core/errors';
import { generatePresharedKey, isWireGuardKey, parseWireGuardKey } from '../../../lambdas/core/key-format';
import { generateKeyPair, publicKeyFromPrivateKey } from '../../../lambdas/core/keys';
import { KEY_PAIRS, PRESHARED_KEYS, thrown } from '../../support/core';
import { fixtureKeyPair } from '../../support/gateways';

/** `wg pubkey` from wireguard-tools, the reference implementation. */
function wgPubkey(privateKey: string): string {
  const probe = spawnSync('wg', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error(
      'wireguard-tools is missing: install it (`apt-get install wireguard-tools`) so `wg` is on PATH',
    );
  }
  return execFileSync('wg', ['pubkey'], { input: `${privateKey}\n`, encoding: 'utf8' }).trim();
}

describe('publicKeyFromPrivateKey', () => {
  it.each(KEY_PAIRS.map((pair) => [pair.privateKey, pair.publicKey]))(
    'matches `wg pubkey` for the wg-generated private key %s',
    (privateKey, publicKey) => {
      // Act
      const result = publicKeyFromPrivateKey(privateKey);
      // Assess
      expect(result).toBe(publicKey);
    },
  );

  it('refuses something that is not a key', () => {
    // Act / Assess
    expect(() => publicKeyFromPrivateKey('not-a-key')).toThrow(ValidationError);
  });
});

describe('generateKeyPair', () => {
  it('produces a private key whose `wg pubkey` is our public key', () => {
    // Prepare
    const pairs = [generateKeyPair(), generateKeyPair(), generateKeyPair()];
    // Act
    const theirs = pairs.map((pair) => wgPubkey(pair.privateKey));
    // Assess
    expect(theirs).toEqual(pairs.map((pair) => pair.publicKey));
  });

  it('produces clamped, canonical keys, different each time', () => {
    // Act
    const [first, second] = [generateKeyPair(), generateKeyPair()];
    // Assess
    const scalar = Buffer.from(first.privateKey, 'base64');
    expect((scalar[0] ?? 0) & 7).toBe(0);
    expect((scalar[31] ?? 0) & 0xc0).toBe(0x40);
    expect([first.privateKey, first.publicKey].every(isWireGuardKey)).toBe(true);
    expect(second.privateKey).not.toBe(first.privateKey);
  });
});

describe("the tests' fixture keys (test/support/gateways.ts, node:crypto)", () => {
  it('are clamped key pairs that `wg pubkey` and the product agree on', () => {
    // Act
    const pair = fixtureKeyPair();
    // Assess
    expect(wgPubkey(pair.privateKey)).toBe(pair.publicKey);
    expect(publicKeyFromPrivateKey(pair.privateKey)).toBe(pair.publicKey);
    const scalar = Buffer.from(pair.privateKey, 'base64');
    expect([(scalar[0] ?? 0) & 7, (scalar[31] ?? 0) & 0xc0]).toEqual([0, 0x40]);
  });
});

describe('generatePresharedKey', () => {
  it('produces a canonical 32-byte key, different each time', () => {
    // Act
    const [first, second] = [generatePresharedKey(), generatePresharedKey()];
    // Assess
    expect(isWireGuardKey(first)).toBe(true);
    expect(second).not.toBe(first);
  });
});

describe('isWireGuardKey', () => {
  it.each([...KEY_PAIRS.flatMap((pair) => [pair.privateKey, pair.publicKey]), ...PRESHARED_KEYS])(
    'accepts the wg-generated key %s',
    (key) => {
      // Act / Assess
      expect(isWireGuardKey(key)).toBe(true);
    },
  );

  const valid = KEY_PAIRS[0]?.publicKey ?? '';
  it.each([
    ['a number', 42],
    ['null', null],
    ['an empty string', ''],
    ['a key without padding', valid.slice(0, 43)],
    ['a key with a trailing newline', `${valid}\n`],
    ['a key followed by a directive', `${valid}\nEndpoint = 1.2.3.4:1`],
    ['a key with a leading space', ` ${valid.slice(1)}`],
    ['base64url characters', `${valid.slice(0, 10)}-_${valid.slice(12)}`],
    ['31 bytes', Buffer.alloc(31).toString('base64')],
    ['33 bytes', Buffer.alloc(33).toString('base64')],
    ['a non-canonical spelling (padding bits set)', `${valid.slice(0, 42)}B=`],
  ])('refuses %s', (_case, value) => {
    // Act / Assess
    expect(isWireGuardKey(value)).toBe(false);
  });
});

describe('parseWireGuardKey', () => {
  it('returns a valid key unchanged', () => {
    // Prepare
    const key = PRESHARED_KEYS[0] ?? '';
    // Act / Assess
    expect(parseWireGuardKey(key, 'publicKey')).toBe(key);
  });

  it('names the field when refusing', () => {
    // Act
    const error = thrown(() => parseWireGuardKey('[Peer]', 'publicKey'));
    // Assess
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('publicKey');
  });
});
