/**
 * A rerun answers what its first run committed (docs/DECISIONS.md, "A rerun answers what its first
 * run committed"): a retry with the same Idempotency-Key after the first run committed but lost
 * its answer (a 5xx after the commit, a request that died, a completion write that failed) gets
 * the first run's 201, never a 409 for its own success that would then be replayed for 24 h. Only
 * what the request's own derivation names is recognised: a stranger's name or key stays refused.
 * Through the API's handler, on the in-memory repository, with an injected clock.
 */
import { ConflictError, TransientError } from '../../lambdas/core/errors';
import { IDEMPOTENCY_LEASE_MS } from '../../lambdas/http/idempotency';
import { logger } from '../../lambdas/shared/logger';
import { fixtureKeyPair } from '../support/gateways';
import { ADMIN, ALICE, setUp, until } from '../support/idempotent-api';

type Api = ReturnType<typeof setUp>;

const THROTTLED = () => new TransientError('DynamoDB ThrottlingException');

/** Every secret-cleanup record still waiting, however recent. */
const cleanupsLeft = (s: Api) => s.repository.listSecretCleanups('9999', 100);

/** Makes `method` commit as usual, then fail as if its answer were lost on the way back, `times` times. */
function commitThenLose(s: Api, method: 'createGateway' | 'addRoadWarrior', lost: () => Error, times = 1) {
  const repository = s.repository as unknown as Record<typeof method, (input: unknown) => Promise<unknown>>;
  const commit = repository[method].bind(s.repository);
  let losses = times;
  return jest.spyOn(repository, method).mockImplementation(async (input) => {
    const committed = await commit(input);
    if (losses-- > 0) throw lost();
    return committed;
  });
}

// The refusals these tests cause are logged as warnings: expected, and kept out of the output.
beforeEach(() => jest.spyOn(logger, 'warn').mockImplementation(() => {}));
afterEach(() => jest.restoreAllMocks());

describe('a keyed rerun of a road-warrior add after its commit', () => {
  it('answers 201 with the committed peer after a 503 that came after the commit, and clears its cleanup', async () => {
    // Prepare: the peer is committed, then clearing its key's cleanup record is throttled.
    const s = setUp();
    const gatewayId = await s.aliceGateway();
    jest.spyOn(s.repository, 'clearSecretCleanup').mockRejectedValueOnce(THROTTLED());
    const first = await s.addLaptop(gatewayId, 'K');
    const keyName = await s.laptopKeyName(gatewayId);

    // Act
    const retry = await s.addLaptop(gatewayId, 'K');
    s.clock.now += 5_000;
    const again = await s.addLaptop(gatewayId, 'K');

    // Assess
    const stored = await s.repository.getPeer(gatewayId, 'laptop');
    expect(first.status).toBe(503);
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({
      name: 'laptop',
      publicKey: stored?.publicKey,
      tunnelIp: stored?.tunnelIp,
    });
    expect(again).toEqual(retry);
    expect(await s.laptopKeyName(gatewayId)).toBe(keyName);
    expect([...s.secrets.values.keys()].filter((name) => name.includes('/peers/laptop/'))).toEqual([keyName]);
    expect(await cleanupsLeft(s)).toEqual([]);
  });

  it('answers 201 past the lease when the first request died during its push wait', async () => {
    // Prepare: the first request committed the peer, then never returned.
    const s = setUp();
    const gatewayId = await s.aliceGateway();
    const clear = jest.spyOn(s.repository, 'clearSecretCleanup').mockReturnValueOnce(new Promise(() => {}));
    void s.addLaptop(gatewayId, 'K');
    await until(() => clear.mock.calls.length > 0);
    const keyName = await s.laptopKeyName(gatewayId);
    s.clock.now += IDEMPOTENCY_LEASE_MS + 1;

    // Act
    const rerun = await s.addLaptop(gatewayId, 'K');

    // Assess
    expect(keyName).toEqual(expect.stringContaining('/peers/laptop/k'));
    expect(rerun.status).toBe(201);
    expect(rerun.body.name).toBe('laptop');
    expect(await s.laptopKeyName(gatewayId)).toBe(keyName);
    expect(await cleanupsLeft(s)).toEqual([]);
  });

  it('answers 201 with its own public key after a 503 that came after the commit', async () => {
    // Prepare
    const s = setUp();
    const gatewayId = await s.aliceGateway();
    const { publicKey } = fixtureKeyPair();
    commitThenLose(s, 'addRoadWarrior', THROTTLED);
    const add = () =>
      s.call('POST', `/v1/gateways/${gatewayId}/peers`, ALICE, { name: 'laptop', publicKey }, 'K');
    const first = await add();

    // Act
    const retry = await add();

    // Assess
    expect(first.status).toBe(503);
    expect(retry.status).toBe(201);
    expect(retry.body).toMatchObject({ name: 'laptop', publicKey });
  });

  it("answers 201 when the commit's own retry met the peer it had just committed", async () => {
    // Prepare: as DynamoDB's retry of a transaction whose reply was lost, with no Idempotency-Key.
    const s = setUp();
    const gatewayId = await s.aliceGateway();
    commitThenLose(s, 'addRoadWarrior', () => new ConflictError('PEER_EXISTS'));

    // Act
    const add = await s.call('POST', `/v1/gateways/${gatewayId}/peers`, ALICE, { name: 'laptop' });

    // Assess
    expect(add.status).toBe(201);
    expect(add.body.publicKey).toBe((await s.repository.getPeer(gatewayId, 'laptop'))?.publicKey);
    expect(await cleanupsLeft(s)).toEqual([]);
  });
});

describe('a keyed rerun of a registration after its commit', () => {
  it('answers 201 with the gateway the first run registered after a 503 that came after the commit', async () => {
    // Prepare
    const s = setUp();
    commitThenLose(s, 'createGateway', () => new TransientError('DynamoDB transaction: response lost'));
    const first = await s.register(1, 'K');
    const listed = await s.call('GET', '/v1/gateways', ADMIN);

    // Act
    const retry = await s.register(1, 'K');
    s.clock.now += 5_000;
    const again = await s.register(1, 'K');

    // Assess
    expect(first.status).toBe(503);
    expect(listed.body.items).toHaveLength(1);
    expect([retry.status, retry.body.id]).toEqual([201, listed.body.items[0].id]);
    expect(retry.body).toEqual(listed.body.items[0]);
    expect(again).toEqual(retry);
  });

  it("answers 201 when the commit's own retry met the gateway it had just committed", async () => {
    // Prepare: as DynamoDB's retry of a transaction whose reply was lost: with a derived id, a
    // random one (no key) and one the admin gave.
    const s = setUp();
    const create = commitThenLose(s, 'createGateway', () => new ConflictError('GATEWAY_EXISTS'), 3);

    // Act
    const derived = await s.register(1, 'K');
    const random = await s.register(2);
    const given = await s.call('POST', '/v1/gateways', ADMIN, {
      id: 'gw-given',
      ownerId: 'alice',
      vpcId: 'vpc-given',
      vpcCidr: '10.3.0.0/16',
      tunnelSubnet: '100.64.3.0/24',
      publicIp: '203.0.113.3',
      instanceId: 'i-given',
    });

    // Assess
    expect(create).toHaveBeenCalledTimes(3);
    expect([derived, random, given].map((answer) => answer.status)).toEqual([201, 201, 201]);
    expect(given.body.id).toBe('gw-given');
  });
});

describe('a completion write that failed', () => {
  it('leaves the rerun past the lease the first answer: the same 201 bodies', async () => {
    // Prepare: both requests succeed, but neither answer is recorded.
    const s = setUp();
    const gatewayId = await s.aliceGateway();
    jest
      .spyOn(s.repository, 'completeIdempotencyKey')
      .mockRejectedValueOnce(THROTTLED())
      .mockRejectedValueOnce(THROTTLED());
    const add = await s.addLaptop(gatewayId, 'K');
    const registration = await s.register(1, 'R');
    s.clock.now += IDEMPOTENCY_LEASE_MS + 1;

    // Act
    const addRerun = await s.addLaptop(gatewayId, 'K');
    const registrationRerun = await s.register(1, 'R');

    // Assess
    expect([add.status, registration.status]).toEqual([201, 201]);
    expect(addRerun).toEqual(add);
    expect(registrationRerun).toEqual(registration);
  });
});

describe('what is not the request’s own stays refused', () => {
  it('refuses a road-warrior name held by an earlier add, without a key or under another key', async () => {
    // Prepare
    const s = setUp();
    const gatewayId = await s.aliceGateway();
    const { publicKey } = fixtureKeyPair();
    const peers = `/v1/gateways/${gatewayId}/peers`;
    expect((await s.addLaptop(gatewayId, 'K')).status).toBe(201);

    // Act
    const answers = [
      await s.call('POST', peers, ALICE, { name: 'laptop' }),
      await s.addLaptop(gatewayId, 'K2'),
      await s.call('POST', peers, ADMIN, { name: 'laptop' }, 'K'),
      await s.call('POST', peers, ALICE, { name: 'laptop', publicKey }, 'K3'),
    ];

    // Assess
    expect(answers.map((answer) => [answer.status, answer.body.error.code])).toEqual([
      [409, 'PEER_EXISTS'],
      [409, 'PEER_EXISTS'],
      [409, 'PEER_EXISTS'],
      [409, 'PEER_EXISTS'],
    ]);
  });

  it('refuses a public key held by a peer of another name, and the same add without a key', async () => {
    // Prepare
    const s = setUp();
    const gatewayId = await s.aliceGateway();
    const { publicKey } = fixtureKeyPair();
    const peers = `/v1/gateways/${gatewayId}/peers`;
    expect((await s.call('POST', peers, ALICE, { name: 'phone', publicKey }, 'K')).status).toBe(201);

    // Act
    const otherName = await s.call('POST', peers, ALICE, { name: 'laptop', publicKey }, 'K2');
    const unkeyed = await s.call('POST', peers, ALICE, { name: 'phone', publicKey });

    // Assess
    expect([otherName.status, otherName.body.error.code]).toEqual([409, 'PUBLIC_KEY_IN_USE']);
    expect([unkeyed.status, unkeyed.body.error.code]).toEqual([409, 'PUBLIC_KEY_IN_USE']);
  });

  it('refuses a registration of a taken instance under another key, and an id the admin gave', async () => {
    // Prepare
    const s = setUp();
    const first = await s.register(1, 'K');
    const body = {
      id: first.body.id,
      ownerId: 'alice',
      vpcId: 'vpc-idem1',
      vpcCidr: '10.1.0.0/16',
      tunnelSubnet: '100.64.1.0/24',
      publicIp: '203.0.113.1',
      instanceId: 'i-idem1',
    };

    // Act
    const otherKey = await s.register(1, 'K2');
    const givenId = await s.call('POST', '/v1/gateways', ADMIN, body, 'K3');

    // Assess
    expect(first.status).toBe(201);
    expect([otherKey.status, otherKey.body.error.code]).toEqual([409, 'INSTANCE_IN_USE']);
    expect([givenId.status, givenId.body.error.code]).toEqual([409, 'GATEWAY_EXISTS']);
  });
});
