/**
 * A group name never holds a comma (docs/SECURITY.md, "Who can do what"): the REST authorizer, and
 * the local front that plays it, pass a token's groups as one comma-joined string, so a group
 * `ops,admin` would reach the handler as `ops` and `admin`. The local token issuer refuses to mint
 * such a token and the front refuses one signed elsewhere with its secret, so neither tests nor
 * local users get an admin that way.
 */
import { SignJWT } from 'jose';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { HttpFront } from '../../runtime/http-front';
import { GroupNameError, LOCAL_ISSUER, mintToken } from '../../runtime/tokens';
import { callJson, memoryApiHandler, startApiFront } from '../support/api-front';

const SECRET = 'group-names-secret-of-at-least-32-bytes!';

/** A token as mintToken signs one, with any groups (mintToken itself refuses a comma now). */
const signed = (groups: string[]) =>
  new SignJWT({ 'cognito:groups': groups })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject('carol')
    .setIssuer(LOCAL_ISSUER)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(SECRET));

const repository = new MemoryRepository();
let front: HttpFront;

beforeAll(async () => {
  front = await startApiFront(memoryApiHandler({ deps: { repository } }), SECRET);
});

afterAll(async () => {
  await front.close();
});

const gatewayBody = {
  id: 'gw-comma',
  ownerId: 'dave',
  vpcId: 'vpc-comma',
  vpcCidr: '10.71.0.0/16',
  tunnelSubnet: '100.64.71.0/24',
  publicIp: '203.0.113.71',
  instanceId: 'i-comma',
};

describe('a group name with a comma', () => {
  it('is refused by the local token issuer', async () => {
    // Act
    const minting = mintToken(SECRET, { sub: 'carol', groups: ['ops,admin'] });

    // Assess
    await expect(minting).rejects.toThrow(GroupNameError);
  });

  it('makes the local front refuse the token (401) before the API reads it as admin', async () => {
    // Prepare
    const token = await signed(['ops,admin']);

    // Act
    const registered = await callJson(front, 'POST', '/v1/gateways', token, gatewayBody);
    const events = await callJson(front, 'POST', '/local/events', token, { Entries: [] });

    // Assess
    expect(registered.status).toBe(401);
    expect(registered.body.error).toEqual({ code: 'UNAUTHORIZED', message: expect.stringMatching(/comma/) });
    expect(events.status).toBe(401);
    expect(await repository.getGateway('gw-comma')).toBeUndefined();
  });

  // A guard, not a proof: it held before the refusal too, and must still hold with it.
  it('is the only thing refused: separate groups, admin among them, still make an admin', async () => {
    // Prepare
    const token = await signed(['ops', 'admin']);

    // Act
    const registered = await callJson(front, 'POST', '/v1/gateways', token, {
      ...gatewayBody,
      id: 'gw-groups',
      vpcId: 'vpc-groups',
      vpcCidr: '10.72.0.0/16',
      tunnelSubnet: '100.64.72.0/24',
      publicIp: '203.0.113.72',
      instanceId: 'i-groups',
    });

    // Assess
    expect(registered.status).toBe(201);
  });
});
