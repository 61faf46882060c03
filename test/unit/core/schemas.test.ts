import { DEFAULT_ADDRESS_POLICY } from '../../../lambdas/core/address-rules';
import { ValidationError } from '../../../lambdas/core/errors';
import {
  isPeeringPeerName,
  isRoadWarriorName,
  parseCreatePeeringBody,
  parseCreateRoadWarriorBody,
  parseJsonBody,
  parsePeerName,
  parseRegisterGatewayBody,
  parseResourceId,
  peeringIdOfPeerName,
  peeringPeerName,
} from '../../../lambdas/core/schemas';
import { KEY_PAIRS, thrown } from '../../support/core';

/** Asserts a ValidationError on `field` whose message contains `text`. */
function expectValidationError(act: () => unknown, field: string | undefined, text: string): void {
  const error = thrown(act);
  expect(error).toBeInstanceOf(ValidationError);
  expect((error as ValidationError).field).toBe(field);
  expect((error as ValidationError).message).toContain(text);
}

const registration = (overrides: Record<string, unknown> = {}): Record<string, unknown> => ({
  ownerId: 'user-1',
  vpcId: 'vpc-a',
  vpcCidr: '10.10.0.0/16',
  tunnelSubnet: '100.64.0.0/24',
  publicIp: '203.0.113.1',
  instanceId: 'i-0123456789abcdef0',
  ...overrides,
});

describe('parseJsonBody', () => {
  it('parses JSON', () => {
    // Act / Assess
    expect(parseJsonBody('{"a":[1]}')).toEqual({ a: [1] });
  });

  it.each([[null], [undefined], [''], ['{'], ['{"a":1}x'], ["{'a':1}"]])('refuses %j as malformed', (raw) => {
    // Act / Assess
    expectValidationError(() => parseJsonBody(raw), undefined, 'Malformed JSON body');
  });

  it('refuses a body over the byte limit, counting UTF-8 bytes', () => {
    // Prepare: 6 characters, 12 bytes
    const raw = JSON.stringify('ééééé');
    // Act / Assess
    expect(parseJsonBody(raw, 12)).toBe('ééééé');
    expectValidationError(() => parseJsonBody(raw, 11), undefined, 'Body too large');
  });

  it('limits bodies to 16 KiB by default', () => {
    // Act / Assess
    expectValidationError(
      () => parseJsonBody(JSON.stringify('x'.repeat(16384))),
      undefined,
      'Body too large',
    );
  });
});

describe('parseRegisterGatewayBody', () => {
  it('applies the defaults of docs/CONTRACT.md#resources', () => {
    // Act
    const input = parseRegisterGatewayBody(registration());
    // Assess
    expect(input).toEqual({
      ownerId: 'user-1',
      vpcId: 'vpc-a',
      vpcCidr: '10.10.0.0/16',
      location: '',
      tunnelSubnet: '100.64.0.0/24',
      tunnelIp: '100.64.0.1',
      publicIp: '203.0.113.1',
      listenPort: 51820,
      instanceId: 'i-0123456789abcdef0',
      status: 'ACTIVE',
    });
  });

  it('names every bad field in one error, not only the first', () => {
    // Prepare
    const body = registration({ vpcCidr: '10.0.0.0/33', publicIp: 'nowhere', listenPort: 0 });
    delete body.instanceId;
    // Act
    const refusal = () => parseRegisterGatewayBody(body);
    // Assess
    expect(refusal).toThrow(ValidationError);
    expect(refusal).toThrow(/vpcCidr: .*; publicIp: .*; listenPort: .*; instanceId: is required/);
  });

  it('names every unknown field', () => {
    // Act
    const refusal = () => parseRegisterGatewayBody(registration({ colour: 'red', size: 3 }));
    // Assess
    expect(refusal).toThrow('unknown fields colour, size');
  });

  it('names an unknown field next to the bad known ones', () => {
    // Act
    const refusal = () => parseRegisterGatewayBody(registration({ colour: 'red', vpcCidr: 'nowhere' }));
    // Assess
    expect(refusal).toThrow(/colour: unknown field; vpcCidr: /);
  });

  it("checks the tunnel subnet's own rules even when publicIp is bad", () => {
    // Act
    const refusal = () =>
      parseRegisterGatewayBody(registration({ publicIp: 'nowhere', tunnelSubnet: '8.8.8.0/24' }));
    // Assess
    expect(refusal).toThrow(/publicIp: .*; tunnelSubnet: must be inside private/);
  });

  it('keeps every optional field given', () => {
    // Prepare
    const optionals = {
      id: 'gw-a',
      name: 'frankfurt-1',
      location: 'eu-central-1',
      tunnelIp: '100.64.0.254',
      listenPort: 443,
      publicKey: KEY_PAIRS[0]?.publicKey,
      status: 'PENDING',
    };
    // Act
    const input = parseRegisterGatewayBody(registration(optionals));
    // Assess
    expect(input).toMatchObject(optionals);
  });

  it('parses a registered Gateway re-sent whole (the "VPN Gateway Updated" event)', () => {
    // Prepare
    const registered = { id: 'gw-a', name: 'gw-a', ...parseRegisterGatewayBody(registration()) };
    registered.publicKey = KEY_PAIRS[0]?.publicKey ?? '';
    // Act
    const input = parseRegisterGatewayBody(registered);
    // Assess
    expect(input).toEqual(registered);
  });

  it('takes the first address of a /31 as its first host (where a deployment allows /31)', () => {
    // Prepare
    const policy = { ...DEFAULT_ADDRESS_POLICY, tunnelPrefixLengths: { min: 16, max: 31 } };
    // Act
    const input = parseRegisterGatewayBody(registration({ tunnelSubnet: '100.64.0.0/31' }), policy);
    // Assess
    expect(input.tunnelIp).toBe('100.64.0.0');
  });

  it.each<[string, unknown, string, string]>([
    ['an array body', [], undefined as unknown as string, 'Body must be a JSON object'],
    ['a null body', null, undefined as unknown as string, 'Body must be a JSON object'],
    ['an unknown field', registration({ admin: true }), 'admin', 'unknown field'],
    // Every other field is valid: the refusal names the one unknown field alone.
    [
      'a prototype key',
      { ...registration(), ...JSON.parse('{"__proto__": {"x": 1}}') },
      '__proto__',
      'unknown field',
    ],
    ['a missing ownerId', registration({ ownerId: undefined }), 'ownerId', 'is required'],
    ['a numeric ownerId', registration({ ownerId: 7 }), 'ownerId', 'must be a string'],
    ['an oversize ownerId', registration({ ownerId: 'u'.repeat(129) }), 'ownerId', 'at most 128 characters'],
    ['a missing vpcCidr', registration({ vpcCidr: undefined }), 'vpcCidr', 'is required'],
    [
      'a vpcCidr with host bits',
      registration({ vpcCidr: '10.10.0.1/16' }),
      'vpcCidr',
      'did you mean 10.10.0.0/16?',
    ],
    [
      'a tunnel subnet inside the VPC',
      registration({ tunnelSubnet: '10.10.9.0/24' }),
      'tunnelSubnet',
      'must not overlap vpcCidr',
    ],
    ['a tunnelIp outside the subnet', registration({ tunnelIp: '100.64.1.1' }), 'tunnelIp', 'usable host'],
    ['the network address as tunnelIp', registration({ tunnelIp: '100.64.0.0' }), 'tunnelIp', 'usable host'],
    [
      'the broadcast address as tunnelIp',
      registration({ tunnelIp: '100.64.0.255' }),
      'tunnelIp',
      'usable host',
    ],
    ['a malformed publicIp', registration({ publicIp: '203.0.113.1:51820' }), 'publicIp', 'dotted-quad'],
    ['a multicast publicIp', registration({ publicIp: '239.1.1.1' }), 'publicIp', 'unicast'],
    ['port 0', registration({ listenPort: 0 }), 'listenPort', 'between 1 and 65535'],
    ['port 65536', registration({ listenPort: 65536 }), 'listenPort', 'between 1 and 65535'],
    ['a string port', registration({ listenPort: '51820' }), 'listenPort', 'between 1 and 65535'],
    ['a fractional port', registration({ listenPort: 51820.5 }), 'listenPort', 'between 1 and 65535'],
    ['an invalid publicKey', registration({ publicKey: 'abc' }), 'publicKey', 'WireGuard key'],
    ['an unknown status', registration({ status: 'RUNNING' }), 'status', 'must be one of'],
    ['an id with a "#"', registration({ id: 'gw#1' }), 'id', 'must be letters'],
    ['an id with ":" (not allowed in secret names)', registration({ id: 'gw:1' }), 'id', 'must be letters'],
    ['a name with a newline', registration({ name: 'gw\n[Peer]' }), 'name', 'must be letters'],
    ['an instanceId with a slash', registration({ instanceId: 'i-1/../x' }), 'instanceId', 'must be letters'],
    ['a vpcId with "="', registration({ vpcId: 'vpc=a' }), 'vpcId', 'must be letters'],
    ['a location with a newline', registration({ location: 'eu\nwest' }), 'location', 'must be letters'],
  ])('refuses %s', (_case, body, field, text) => {
    // Act / Assess
    expectValidationError(() => parseRegisterGatewayBody(body), field, text);
  });
});

describe('parseCreatePeeringBody', () => {
  it('returns the remote gateway id', () => {
    // Act / Assess
    expect(parseCreatePeeringBody({ remoteGatewayId: 'gw-b' })).toEqual({ remoteGatewayId: 'gw-b' });
  });

  it.each<[unknown, string, string]>([
    [{}, 'remoteGatewayId', 'is required'],
    [{ remoteGatewayId: 5 }, 'remoteGatewayId', 'must be a string'],
    [{ remoteGatewayId: 'gw b' }, 'remoteGatewayId', 'must be letters'],
    [{ remoteGatewayId: 'gw-b', force: true }, 'force', 'unknown field'],
  ])('refuses %j', (body, field, text) => {
    // Act / Assess
    expectValidationError(() => parseCreatePeeringBody(body), field, text);
  });

  it('names an unknown field and a bad remoteGatewayId in one error', () => {
    // Act / Assess
    expect(() => parseCreatePeeringBody({ remoteGatewayId: 'gw b', force: true })).toThrow(
      /force: unknown field; remoteGatewayId: must be letters/,
    );
  });
});

describe('parseCreateRoadWarriorBody', () => {
  it('accepts a name alone, or with a public key', () => {
    // Prepare
    const publicKey = KEY_PAIRS[2]?.publicKey;
    // Act / Assess
    expect(parseCreateRoadWarriorBody({ name: 'alice-laptop' })).toEqual({ name: 'alice-laptop' });
    expect(parseCreateRoadWarriorBody({ name: 'a', publicKey })).toEqual({ name: 'a', publicKey });
  });

  it.each<[unknown, string, string]>([
    [{ name: 'laptop\n[Peer]' }, 'name', 'lowercase letters'],
    [{ name: 'laptop\nAllowedIPs = 0.0.0.0/0' }, 'name', 'lowercase letters'],
    [{ name: '[Peer]' }, 'name', 'lowercase letters'],
    [{ name: 'a=b' }, 'name', 'lowercase letters'],
    [{ name: 'Laptop' }, 'name', 'lowercase letters'],
    [{ name: '-laptop' }, 'name', 'lowercase letters'],
    [{ name: 'a'.repeat(64) }, 'name', 'at most 63 characters'],
    [{ name: 'vpc-peering-p1' }, 'name', 'must not start with "vpc-peering-"'],
    [{ name: 'ok', publicKey: `${KEY_PAIRS[0]?.publicKey}\n[Peer]` }, 'publicKey', 'WireGuard key'],
    [{ name: 'ok', privateKey: 'x' }, 'privateKey', 'unknown field'],
  ])('refuses %j', (body, field, text) => {
    // Act / Assess
    expectValidationError(() => parseCreateRoadWarriorBody(body), field, text);
  });

  it('names every bad field in one error, not only the first', () => {
    // Act
    const refusal = () => parseCreateRoadWarriorBody({ name: 'Bad Name', publicKey: 'zzz', colour: 'red' });
    // Assess
    expect(refusal).toThrow(ValidationError);
    expect(refusal).toThrow(/colour: unknown field; name: .*; publicKey: /);
  });
});

describe('peer names', () => {
  it.each([
    ['laptop', true, false],
    ['a', true, false],
    ['vpc-peering-p1', false, true],
    ['vpc-peering-3f2c1a7e-0b4d-4c1e-9a51-2b7c9d0e8f10', false, true],
    ['vpc-peering-', false, false],
    ['vpc-peering-a#b', false, false],
    ['Laptop', false, false],
    ['lap top', false, false],
  ])('%j: road-warrior %s, peering %s', (name, roadWarrior, peering) => {
    // Act / Assess
    expect([isRoadWarriorName(name), isPeeringPeerName(name)]).toEqual([roadWarrior, peering]);
  });

  it('builds vpc-peering-<id> names that parse back', () => {
    // Act
    const name = peeringPeerName('p1');
    // Assess
    expect(name).toBe('vpc-peering-p1');
    expect(isPeeringPeerName(name)).toBe(true);
    expect(peeringIdOfPeerName(name)).toBe('p1');
    expect(peeringIdOfPeerName('laptop')).toBeUndefined();
  });

  it('refuses to build a name from an unsafe peering id', () => {
    // Act / Assess
    expectValidationError(() => peeringPeerName('p1\n[Peer]'), 'peeringId', 'must be letters');
  });

  it('parses path peer names of both kinds and refuses others', () => {
    // Act / Assess
    expect(parsePeerName('laptop', 'name')).toBe('laptop');
    expect(parsePeerName('vpc-peering-p1', 'name')).toBe('vpc-peering-p1');
    expectValidationError(() => parsePeerName('Laptop', 'name'), 'name', 'road-warrior name or vpc-peering');
  });
});

describe('parseResourceId', () => {
  it.each([['gw-a'], ['3f2c1a7e-0b4d-4c1e-9a51-2b7c9d0e8f10'], ['A.b_c-1']])('accepts %j', (id) => {
    // Act / Assess
    expect(parseResourceId(id, 'id')).toBe(id);
  });

  it.each([[''], ['-a'], ['a/b'], ['a b'], ['a\n'], ['x'.repeat(129)], [null]])('refuses %j', (id) => {
    // Act / Assess
    expect(() => parseResourceId(id, 'id')).toThrow(ValidationError);
  });
});
