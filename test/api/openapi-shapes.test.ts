/**
 * The OpenAPI document states each string input's shape as the code checks it: every `pattern` and
 * `maxLength` of an id, name, location, instance id, key, page token or Idempotency-Key equals the
 * code's own (core/schemas.ts INPUT_SHAPES, core/key-format.ts, core/pagination.ts,
 * http/idempotency.ts), so a client that validates against the document sends what the API takes.
 */
import { WIREGUARD_KEY_SHAPE } from '../../lambdas/core/key-format';
import { NEXT_TOKEN_SHAPE } from '../../lambdas/core/pagination';
import {
  INPUT_SHAPES,
  parseCreateRoadWarriorBody,
  parseRegisterGatewayBody,
  type TextShape,
} from '../../lambdas/core/schemas';
import { IDEMPOTENCY_KEY_SHAPE } from '../../lambdas/http/idempotency';
import { deref, type Json, resolvePointer, schemaValidator } from '../support/openapi-document';

/** Where the document states a shape, and the code's shape it must equal. */
const STATED: [string, TextShape][] = [
  ['#/components/schemas/ResourceId', INPUT_SHAPES.resourceId],
  ['#/components/schemas/Name', INPUT_SHAPES.name],
  ['#/components/schemas/InstanceId', INPUT_SHAPES.instanceId],
  ['#/components/schemas/VpcId', INPUT_SHAPES.vpcId],
  ['#/components/schemas/Location', INPUT_SHAPES.location],
  ['#/components/schemas/RoadWarriorName', INPUT_SHAPES.roadWarriorName],
  ['#/components/schemas/WireGuardKey', WIREGUARD_KEY_SHAPE],
  ['#/components/parameters/PeerName/schema', INPUT_SHAPES.resourceId],
  ['#/components/parameters/NextToken/schema', NEXT_TOKEN_SHAPE],
  ['#/components/parameters/IdempotencyKey/schema', IDEMPOTENCY_KEY_SHAPE],
];

const KEY = 'xTIBA5rboUvnH4htodjb6e697QjLERt1NAB4mZqp8Dg=';
const GATEWAY = {
  ownerId: 'alice',
  vpcId: 'vpc-1',
  vpcCidr: '10.1.0.0/16',
  tunnelSubnet: '100.64.1.0/24',
  publicIp: '203.0.113.1',
  instanceId: 'i-1',
};

/** Whether the code's parser takes `body`. */
const takes = (parse: (body: unknown) => unknown, body: unknown): boolean => {
  try {
    parse(body);
    return true;
  } catch {
    return false;
  }
};

describe('the document states the code’s input shapes', () => {
  test.each(STATED)('%s', (pointer, shape) => {
    // Act
    const stated = deref(resolvePointer(pointer) as Json);
    // Assess
    expect([stated.pattern, stated.maxLength]).toEqual([shape.pattern.source, shape.maxLength]);
  });

  test.each([
    ['GatewayId', '#/components/parameters/GatewayId/schema'],
    ['PeeringId', '#/components/parameters/PeeringId/schema'],
    ['OwnerIdFilter', '#/components/parameters/OwnerIdFilter/schema'],
    ['remoteGatewayId', '#/components/schemas/CreatePeeringRequest/properties/remoteGatewayId'],
  ])('%s refers to a stated shape', (_what, pointer) => {
    const stated = deref(resolvePointer(pointer) as Json);
    expect(stated.pattern).toEqual(expect.any(String));
  });

  const validate = schemaValidator();
  const register = { $ref: '#/components/schemas/RegisterGatewayRequest' };
  const roadWarrior = { $ref: '#/components/schemas/AddRoadWarriorRequest' };
  test.each([
    ['a name of 128 characters', register, { ...GATEWAY, name: 'n'.repeat(128) }, true],
    ['a name of 129 characters', register, { ...GATEWAY, name: 'n'.repeat(129) }, false],
    ['a name with a space', register, { ...GATEWAY, name: 'my gateway' }, false],
    ['an owner id with ":"', register, { ...GATEWAY, ownerId: 'eu-west-1:abc' }, true],
    ['an owner id with "@"', register, { ...GATEWAY, ownerId: 'alice@example.com' }, false],
    ['a vpcId of 65 characters', register, { ...GATEWAY, vpcId: 'v'.repeat(65) }, false],
    ['an empty location', register, { ...GATEWAY, location: '' }, true],
    ['a location with a space', register, { ...GATEWAY, location: 'eu west' }, true],
    ['a location with "/"', register, { ...GATEWAY, location: 'eu/west' }, false],
    ['an instance id with "/"', register, { ...GATEWAY, instanceId: 'i/x' }, false],
    ['an id starting with "-"', register, { ...GATEWAY, id: '-gw' }, false],
    ['a WireGuard key', register, { ...GATEWAY, publicKey: KEY }, true],
    ['a key of text', register, { ...GATEWAY, publicKey: 'not-a-key' }, false],
    ['a key with padding bits set', register, { ...GATEWAY, publicKey: `${KEY.slice(0, 42)}h=` }, false],
    ['a road-warrior name', roadWarrior, { name: 'laptop-2' }, true],
    ['a road-warrior name of 64 characters', roadWarrior, { name: 'a'.repeat(64) }, false],
    ['a road-warrior name in capitals', roadWarrior, { name: 'Laptop' }, false],
    ['a road-warrior name with the peering prefix', roadWarrior, { name: 'vpc-peering-x' }, false],
    ['a road-warrior with a short key', roadWarrior, { name: 'ok', publicKey: 'short' }, false],
  ])('%s: the document and the code agree', (_what, schema, body, accepted) => {
    // Act
    const documentTakes = validate(schema, body) === undefined;
    const parse = schema === register ? parseRegisterGatewayBody : parseCreateRoadWarriorBody;
    // Assess
    expect([documentTakes, takes(parse, body)]).toEqual([accepted, accepted]);
  });

  test.each([
    ['a key of 255 visible characters', '!'.repeat(255), true],
    ['a key of 256', 'k'.repeat(256), false],
    ['a key with a space', 'a b', false],
  ])('Idempotency-Key, %s: the document and the code agree', (_what, key, accepted) => {
    // Act
    const documentTakes =
      validate({ $ref: '#/components/parameters/IdempotencyKey/schema' }, key) === undefined;
    // Assess
    expect([documentTakes, IDEMPOTENCY_KEY_SHAPE.pattern.test(key)]).toEqual([accepted, accepted]);
  });
});
