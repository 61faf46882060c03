/**
 * Ids derived from an Idempotency-Key live no longer than its record (docs/DECISIONS.md, "Derived
 * ids live no longer than their Idempotency-Key"): a retry while the record lives (a rerun after a
 * 5xx, a take-over of a dead claim) names what the first run named; the same key once the record
 * expired names a new gateway and a new road-warrior key pair, never a revoked one. Through the
 * API's handler, on the in-memory repository, with an injected clock.
 */
import { derivedHex } from '../../lambdas/app/derived-hex';
import { TransientError } from '../../lambdas/core/errors';
import { IDEMPOTENCY_LEASE_MS } from '../../lambdas/http/idempotency';
import { logger } from '../../lambdas/shared/logger';
import { ALICE, PAST_THE_RECORD_MS, setUp, until } from '../support/idempotent-api';

// The refusals these tests cause are logged as warnings: expected, and kept out of the output.
beforeEach(() => jest.spyOn(logger, 'warn').mockImplementation(() => {}));
afterEach(() => jest.restoreAllMocks());

describe('ids derived from an Idempotency-Key', () => {
  it('a road-warrior re-added with the key after its record expired gets a new pair, not the revoked one whose secret stayed', async () => {
    // Prepare: added with key K, then deleted while the secret store refuses deletes (the sweep
    // would delete the secret later; it has not run).
    const s = setUp();
    const gatewayId = await s.aliceGateway();
    expect((await s.addLaptop(gatewayId, 'K')).status).toBe(201);
    const revokedName = await s.laptopKeyName(gatewayId);
    const revokedKey = revokedName && s.secrets.values.get(revokedName);
    s.secrets.failDeletes = true;
    expect((await s.call('DELETE', `/v1/gateways/${gatewayId}/peers/laptop`, ALICE)).status).toBeLessThan(
      300,
    );
    s.secrets.failDeletes = false;
    s.clock.now += PAST_THE_RECORD_MS;

    // Act
    const again = await s.addLaptop(gatewayId, 'K');
    const config = await s.call('GET', `/v1/gateways/${gatewayId}/peers/laptop/config`, ALICE);

    // Assess
    expect(revokedKey).toEqual(expect.any(String));
    expect(revokedName && s.secrets.values.has(revokedName)).toBe(true);
    expect(again.status).toBe(201);
    const newName = await s.laptopKeyName(gatewayId);
    expect(newName).toEqual(expect.any(String));
    expect(newName).not.toBe(revokedName);
    expect(newName && s.secrets.values.get(newName)).not.toBe(revokedKey);
    expect(config.status).toBe(200);
    expect(config.body).toContain('PrivateKey');
    expect(config.body).not.toContain(String(revokedKey));
  });

  it('a registration with the key after its record expired names a new gateway', async () => {
    // Prepare
    const s = setUp();
    const first = await s.register(1, 'K');
    const repeat = await s.register(1, 'K');
    s.clock.now += PAST_THE_RECORD_MS;

    // Act: a new request (another instance) that reuses the key.
    const later = await s.register(2, 'K');

    // Assess
    expect(first.status).toBe(201);
    expect(repeat).toEqual(first);
    expect(later.status).toBe(201);
    expect(later.body.id).toMatch(/^gw-[0-9a-f]{16}$/);
    expect(later.body.id).not.toBe(first.body.id);
  });

  it('a registration rerun after 5xx answers names the gateway the first run named', async () => {
    // Prepare: the first run derived its id, stored its key, and failed on the registry's write;
    // so did its first rerun (the claim then taken over once already).
    const s = setUp();
    const throttled = new TransientError('DynamoDB ThrottlingException');
    const create = jest
      .spyOn(s.repository, 'createGateway')
      .mockRejectedValueOnce(throttled)
      .mockRejectedValueOnce(throttled);
    const failed = [await s.register(1, 'K'), await s.register(1, 'K')];
    s.clock.now += 5_000;

    // Act
    const rerun = await s.register(1, 'K');

    // Assess
    const [firstId, secondId] = create.mock.calls.map(([gateway]) => gateway.id);
    expect(failed.map((answer) => answer.status)).toEqual([503, 503]);
    expect(firstId).toMatch(/^gw-[0-9a-f]{16}$/);
    expect(secondId).toBe(firstId);
    expect([rerun.status, rerun.body.id]).toEqual([201, firstId]);
  });

  it('a road-warrior add whose request died is taken over past the lease under the same key id', async () => {
    // Prepare: the first request stored the generated key, then never got past the peer's write.
    const s = setUp();
    const gatewayId = await s.aliceGateway();
    const add = jest.spyOn(s.repository, 'addRoadWarrior').mockReturnValueOnce(new Promise(() => {}));
    void s.addLaptop(gatewayId, 'K');
    await until(() => add.mock.calls.length > 0);
    const firstKeyName = add.mock.calls[0]?.[0].privateKeyParam;
    s.clock.now += IDEMPOTENCY_LEASE_MS + 1;

    // Act
    const rerun = await s.addLaptop(gatewayId, 'K');

    // Assess
    expect(firstKeyName).toEqual(expect.stringContaining('/peers/laptop/k'));
    expect(rerun.status).toBe(201);
    expect(await s.laptopKeyName(gatewayId)).toBe(firstKeyName);
    expect([...s.secrets.values.keys()].filter((name) => name.includes('/peers/laptop/'))).toEqual([
      firstKeyName,
    ]);
  });

  it('a record claimed before nonces existed still derives from the key alone, as its first run did', async () => {
    // Prepare: the first run's claim written without a nonce (the code before the deploy), and
    // answered 503.
    const s = setUp();
    const claim = s.repository.claimIdempotencyKey;
    jest
      .spyOn(s.repository, 'claimIdempotencyKey')
      .mockImplementationOnce(async ({ nonce: _nonce, ...before }) => claim(before));
    jest
      .spyOn(s.repository, 'createGateway')
      .mockRejectedValueOnce(new TransientError('DynamoDB ThrottlingException'));
    const failed = await s.register(1, 'K');

    // Act: the retry after the deploy.
    const rerun = await s.register(1, 'K');

    // Assess: the id the code before the change derived (caller, key).
    expect(failed.status).toBe(503);
    expect([rerun.status, rerun.body.id]).toEqual([201, `gw-${derivedHex(['gateway', 'ops', 'K'])}`]);
  });
});
