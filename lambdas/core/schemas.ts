/**
 * Input schemas of the request bodies and path parameters of docs/CONTRACT.md#resources, hand-written.
 *
 * Every parser refuses unknown fields, wrong types and oversize strings with a ValidationError
 * naming the field. Identifiers are restricted to charsets that are safe everywhere they travel:
 * DynamoDB keys (no '#'), secret-store names (SSM allows only [A-Za-z0-9_.-/], hence no ':' in ids
 * that name secrets) and rendered WireGuard configs (no whitespace, '=', '[' or newline).
 */
import {
  type AddressPolicy,
  checkPublicIp,
  checkTunnelSubnet,
  checkVpcCidr,
  DEFAULT_ADDRESS_POLICY,
} from './address-rules';
import { cidrsOverlap, intToIpv4, ipv4ToInt, parseCidr, parseIpAddress, usableHostRange } from './cidr';
import { ValidationError } from './errors';
import { parseWireGuardKey } from './key-format';
import type { Gateway, GatewayStatus, PeeringStatus } from './types';
import { GATEWAY_FIELDS } from './views';

/** A string input's shape: what the parsers match, and what the OpenAPI document states. */
export interface TextShape {
  readonly pattern: RegExp;
  readonly maxLength: number;
}

/**
 * The shapes of the string inputs, in one place: the parsers below match them, and the OpenAPI
 * document (lambdas/openapi/openapi.json) states each as its `pattern` and `maxLength`, which
 * test/api/openapi-shapes.test.ts keeps equal to these.
 */
export const INPUT_SHAPES = {
  /** Ids that may name a secret or a peer: gateway, peering and path ids. */
  resourceId: { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, maxLength: 128 },
  /** Display names and owner ids (Cognito identity ids contain ':'). */
  name: { pattern: /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, maxLength: 128 },
  instanceId: { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, maxLength: 64 },
  vpcId: { pattern: /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, maxLength: 64 },
  /** Empty allowed: it is the default, so a stored gateway re-sent as a body (update event) parses. */
  location: { pattern: /^(?:[A-Za-z0-9][A-Za-z0-9 ._:-]{0,63})?$/, maxLength: 64 },
  roadWarriorName: { pattern: /^[a-z0-9][a-z0-9-]{0,62}$/, maxLength: 63 },
} as const satisfies Record<string, TextShape>;

const RESOURCE_ID = INPUT_SHAPES.resourceId.pattern;
/** vpc-peering peers are named `vpc-peering-<peeringId>`; a road-warrior name never starts so. */
export const PEERING_PEER_PREFIX = 'vpc-peering-';
export const GATEWAY_STATUSES: readonly GatewayStatus[] = ['PENDING', 'ACTIVE', 'ERROR', 'DELETING'];
export const PEERING_STATUSES: readonly PeeringStatus[] = ['PROVISIONING', 'ACTIVE', 'FAILED', 'DELETING'];
const DEFAULT_LISTEN_PORT = 51820;

/**
 * Absent id: the use case generates one; absent name: it uses the id; absent publicKey: it generates
 * a key pair and keeps the private key in the secret store.
 */
type OptionalAtRegistration = 'id' | 'name' | 'publicKey';

export type RegisterGatewayInput = Omit<Gateway, OptionalAtRegistration> &
  Partial<Pick<Gateway, OptionalAtRegistration>>;

type Body = Record<string, unknown>;

export function parseJsonBody(raw: string | null | undefined, maxBytes = 16384): unknown {
  if (raw === null || raw === undefined || raw.length === 0) throw new ValidationError('Malformed JSON body');
  if (Buffer.byteLength(raw, 'utf8') > maxBytes) throw new ValidationError('Body too large');
  try {
    return JSON.parse(raw);
  } catch {
    throw new ValidationError('Malformed JSON body');
  }
}

/** Runs every field's parser and keeps every failure, so one 400 lists every bad field. */
class FieldErrors {
  private readonly errors: ValidationError[] = [];

  take<T>(parse: () => T): T | undefined {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
      this.errors.push(error);
      return undefined;
    }
  }

  add(error: ValidationError): void {
    this.errors.push(error);
  }

  throwIfAny(): void {
    const [first, ...more] = this.errors;
    if (!first) return;
    if (more.length === 0) throw first;
    throw new ValidationError(this.errors.map((error) => error.message).join('; '));
  }
}

/** The body's own fields; unknown ones are recorded in `errors`, next to the other fields' faults. */
function readObject(body: unknown, fields: readonly string[], errors: FieldErrors): Body {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new ValidationError('Body must be a JSON object');
  }
  const unknown = Object.keys(body).filter((key) => !fields.includes(key));
  if (unknown.length === 1)
    errors.add(new ValidationError('unknown field', (unknown[0] as string).slice(0, 64)));
  if (unknown.length > 1) {
    errors.add(
      new ValidationError(
        `unknown fields ${unknown
          .slice(0, 10)
          .map((key) => key.slice(0, 64))
          .join(', ')}`,
      ),
    );
  }
  return body as Body;
}

function matchString(value: unknown, field: string, shape: TextShape, what: string): string {
  if (typeof value !== 'string') throw new ValidationError('must be a string', field);
  if (value.length > shape.maxLength)
    throw new ValidationError(`must be at most ${shape.maxLength} characters`, field);
  if (!shape.pattern.test(value)) throw new ValidationError(`must be ${what}`, field);
  return value;
}

const idText = 'letters, digits, ".", "_" or "-", starting with a letter or digit';
const nameText = 'letters, digits, ".", "_", ":" or "-", starting with a letter or digit';

/** Whether `value` is a gateway, peering or path id (what parseResourceId accepts). */
export const isResourceId = (value: string): boolean => RESOURCE_ID.test(value);

export function parseResourceId(value: unknown, field: string): string {
  return matchString(value, field, INPUT_SHAPES.resourceId, idText);
}

/** An owner id (a Cognito `sub` or identity id, which may contain ':'). */
export function parseOwnerId(value: unknown, field: string): string {
  return matchString(value, field, INPUT_SHAPES.name, nameText);
}

function required(body: Body, field: string): unknown {
  if (body[field] === undefined) throw new ValidationError('is required', field);
  return body[field];
}

/** Applies `parse` when the field is present; null counts as absent. */
function optional<T>(body: Body, field: string, parse: (value: unknown, field: string) => T): T | undefined {
  const value = body[field];
  return value === undefined || value === null ? undefined : parse(value, field);
}

function parsePort(value: unknown, field: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 65535) {
    throw new ValidationError('must be an integer between 1 and 65535', field);
  }
  return value;
}

function parseStatus(value: unknown, field: string): GatewayStatus {
  const status = GATEWAY_STATUSES.find((candidate) => candidate === value);
  if (!status) throw new ValidationError(`must be one of ${GATEWAY_STATUSES.join(', ')}`, field);
  return status;
}

/** The gateway's own tunnel address: a usable host of its tunnel subnet, by default the first. */
function gatewayTunnelIp(value: unknown, tunnelSubnet: string): string {
  const hosts = usableHostRange(tunnelSubnet);
  if (value === undefined || value === null) return intToIpv4(hosts.first);
  const tunnelIp = parseIpAddress(value, 'tunnelIp');
  const host = ipv4ToInt(tunnelIp);
  if (host < hosts.first || host > hosts.last) {
    throw new ValidationError(
      `must be a usable host address inside tunnelSubnet ${tunnelSubnet}`,
      'tunnelIp',
    );
  }
  return tunnelIp;
}

/** Syntax first, then what the addresses mean under the deployment's policy (core/address-rules). */
export function parseRegisterGatewayBody(
  body: unknown,
  policy: AddressPolicy = DEFAULT_ADDRESS_POLICY,
): RegisterGatewayInput {
  const errors = new FieldErrors();
  const input = readObject(body, GATEWAY_FIELDS, errors);
  const vpcCidr = errors.take(() => {
    const cidr = parseCidr(required(input, 'vpcCidr'), 'vpcCidr');
    checkVpcCidr(cidr, policy);
    return cidr;
  });
  const publicIp = errors.take(() => {
    const ip = parseIpAddress(required(input, 'publicIp'), 'publicIp');
    checkPublicIp(ip, policy);
    return ip;
  });
  const tunnelSubnet = errors.take(() => {
    const cidr = parseCidr(required(input, 'tunnelSubnet'), 'tunnelSubnet');
    checkTunnelSubnet(cidr, publicIp, policy);
    return cidr;
  });
  // The gateway could not tell tunnel traffic from VPC traffic.
  if (vpcCidr && tunnelSubnet && cidrsOverlap(vpcCidr, tunnelSubnet)) {
    errors.take(() => {
      throw new ValidationError('must not overlap vpcCidr', 'tunnelSubnet');
    });
  }
  const fields = {
    ownerId: errors.take(() => parseOwnerId(required(input, 'ownerId'), 'ownerId')),
    vpcId: errors.take(() => matchString(required(input, 'vpcId'), 'vpcId', INPUT_SHAPES.vpcId, idText)),
    location: errors.take(
      () =>
        optional(input, 'location', (v, f) =>
          matchString(v, f, INPUT_SHAPES.location, `${nameText} or spaces`),
        ) ?? '',
    ),
    tunnelIp: tunnelSubnet ? errors.take(() => gatewayTunnelIp(input.tunnelIp, tunnelSubnet)) : undefined,
    publicIp,
    listenPort: errors.take(() => optional(input, 'listenPort', parsePort) ?? DEFAULT_LISTEN_PORT),
    instanceId: errors.take(() =>
      matchString(required(input, 'instanceId'), 'instanceId', INPUT_SHAPES.instanceId, idText),
    ),
    status: errors.take(() => optional(input, 'status', parseStatus) ?? 'ACTIVE'),
  };
  const id = errors.take(() => optional(input, 'id', parseResourceId));
  const name = errors.take(() =>
    optional(input, 'name', (v, f) => matchString(v, f, INPUT_SHAPES.name, nameText)),
  );
  const publicKey = errors.take(() => optional(input, 'publicKey', parseWireGuardKey));
  errors.throwIfAny();
  // Every field parsed: none of them is undefined past throwIfAny.
  const parsed = { ...fields, vpcCidr, tunnelSubnet } as RegisterGatewayInput;
  return {
    ...(id === undefined ? {} : { id }),
    ...(name === undefined ? {} : { name }),
    ownerId: parsed.ownerId,
    vpcId: parsed.vpcId,
    vpcCidr: parsed.vpcCidr,
    location: parsed.location,
    tunnelSubnet: parsed.tunnelSubnet,
    tunnelIp: parsed.tunnelIp,
    publicIp: parsed.publicIp,
    listenPort: parsed.listenPort,
    instanceId: parsed.instanceId,
    status: parsed.status,
    ...(publicKey === undefined ? {} : { publicKey }),
  };
}

export function parseCreatePeeringBody(body: unknown): { remoteGatewayId: string } {
  const errors = new FieldErrors();
  const input = readObject(body, ['remoteGatewayId'], errors);
  const remoteGatewayId = errors.take(() =>
    parseResourceId(required(input, 'remoteGatewayId'), 'remoteGatewayId'),
  );
  errors.throwIfAny();
  return { remoteGatewayId: remoteGatewayId as string };
}

export function isRoadWarriorName(name: string): boolean {
  return INPUT_SHAPES.roadWarriorName.pattern.test(name) && !name.startsWith(PEERING_PEER_PREFIX);
}

export function isPeeringPeerName(name: string): boolean {
  return name.startsWith(PEERING_PEER_PREFIX) && RESOURCE_ID.test(name.slice(PEERING_PEER_PREFIX.length));
}

export function peeringPeerName(peeringId: string): string {
  return `${PEERING_PEER_PREFIX}${parseResourceId(peeringId, 'peeringId')}`;
}

/** The peering a `vpc-peering-<id>` peer name stands for; undefined for road-warrior names. */
export const peeringIdOfPeerName = (name: string): string | undefined =>
  isPeeringPeerName(name) ? name.slice(PEERING_PEER_PREFIX.length) : undefined;

function parseRoadWarriorName(value: unknown, field: string): string {
  const name = matchString(
    value,
    field,
    INPUT_SHAPES.roadWarriorName,
    'lowercase letters, digits or "-", starting with a letter or digit',
  );
  if (name.startsWith(PEERING_PEER_PREFIX)) {
    throw new ValidationError(
      `must not start with "${PEERING_PEER_PREFIX}" (reserved for VPC peerings)`,
      field,
    );
  }
  return name;
}

export function parseCreateRoadWarriorBody(body: unknown): { name: string; publicKey?: string } {
  const errors = new FieldErrors();
  const input = readObject(body, ['name', 'publicKey'], errors);
  const name = errors.take(() => parseRoadWarriorName(required(input, 'name'), 'name'));
  const publicKey = errors.take(() => optional(input, 'publicKey', parseWireGuardKey));
  errors.throwIfAny();
  // Every field parsed: name is defined past throwIfAny.
  return publicKey === undefined ? { name: name as string } : { name: name as string, publicKey };
}

/** A peer name from a path: a road-warrior name or `vpc-peering-<peeringId>`. */
export function parsePeerName(value: unknown, field: string): string {
  const name = parseResourceId(value, field);
  if (!isRoadWarriorName(name) && !isPeeringPeerName(name)) {
    throw new ValidationError('must be a road-warrior name or vpc-peering-<peeringId>', field);
  }
  return name;
}

/**
 * A road-warrior's name from a path whose resource only road-warriors have (its client config): a
 * `vpc-peering-…` name is refused by its shape, before anything is read (docs/DECISIONS.md, "The
 * API's contract says what the API does, on AWS too").
 */
export function parseRoadWarriorPeerName(value: unknown, field: string): string {
  const name = parsePeerName(value, field);
  if (!isRoadWarriorName(name)) {
    throw new ValidationError('only a road-warrior has a client config, not a vpc-peering peer', field);
  }
  return name;
}
