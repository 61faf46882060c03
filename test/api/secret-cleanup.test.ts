/**
 * A revoked road-warrior's private key (docs/DECISIONS.md, "Hardening", Revocation): its deletion is
 * recorded before the removal, so a delete that fails never blocks the push and is retried by the
 * sweep once the grace has passed; logged by name, never by value. In-memory repository, a secret
 * store whose deletes can fail, workflows that succeed.
 */
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { ApiDeps } from '../../lambdas/app/api/context';
import { addRoadWarrior, deletePeer } from '../../lambdas/app/api/peers';
import { CLEANUP_GRACE_MS, cleanLeftoverSecrets } from '../../lambdas/app/secret-cleanup';
import { logger } from '../../lambdas/shared/logger';
import { MemorySecrets } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { newPeering } from '../support/records';

class FlakySecrets extends MemorySecrets {
  failDeletes = false;
  override async delete(name: string): Promise<void> {
    if (this.failDeletes) throw Object.assign(new Error('SlowDown'), { name: 'TransientError' });
    await super.delete(name);
  }
}

const caller = { userId: 'alice', isAdmin: false };
const timing = { waitMs: 50, pollMs: 5 };

function setUp() {
  let now = Date.parse('2026-12-01T00:00:00Z');
  const secrets = new FlakySecrets();
  const repository = new MemoryRepository({ clock: () => new Date(now) });
  const d: ApiDeps = {
    repository,
    secrets,
    clock: () => new Date(now),
    workflows: {
      start: async (_workflow, name) => ({ executionId: name, mayHaveEnded: true }),
      describe: async () => ({ status: 'SUCCEEDED' }),
      find: async () => undefined,
    },
    configStore: { get: async () => undefined },
  };
  return { d, secrets, repository, later: (ms: number) => (now += ms) };
}

async function gatewayWithLaptop(s: ReturnType<typeof setUp>) {
  const gateway = gatewayRecord({ ownerId: 'alice' });
  await s.repository.createGateway(gateway);
  await addRoadWarrior(s.d, caller, gateway.id, { name: 'laptop' }, timing);
  const secretName = (await s.repository.getPeer(gateway.id, 'laptop'))?.privateKeyParam;
  if (!secretName) throw new Error('the road-warrior got no generated key');
  return { gatewayId: gateway.id, secretName, privateKey: s.secrets.values.get(secretName) };
}

afterEach(() => jest.restoreAllMocks());

describe('the secret of a revoked road-warrior', () => {
  it('is deleted with the revocation, leaving no record', async () => {
    // Prepare
    const s = setUp();
    const { gatewayId, secretName } = await gatewayWithLaptop(s);
    // Act
    const deleted = await deletePeer(s.d, caller, gatewayId, 'laptop', timing);
    // Assess
    expect(deleted.state).toBe('done');
    expect(s.secrets.values.has(secretName)).toBe(false);
    expect(await s.repository.listSecretCleanups('9999', 10)).toEqual([]);
  });

  it('is left for the sweep when its delete fails, logged by name only, and never blocks the push', async () => {
    // Prepare
    const s = setUp();
    const { gatewayId, secretName, privateKey } = await gatewayWithLaptop(s);
    const warn = jest.spyOn(logger, 'warn');
    s.secrets.failDeletes = true;
    // Act
    const deleted = await deletePeer(s.d, caller, gatewayId, 'laptop', timing);
    // Assess
    expect(deleted.state).toBe('done');
    expect(s.secrets.values.has(secretName)).toBe(true);
    expect(await s.repository.listSecretCleanups('9999', 10)).toEqual([
      expect.objectContaining({ secretName, gatewayId, peerName: 'laptop' }),
    ]);
    expect(warn).toHaveBeenCalledWith(
      'Secret of a removed road-warrior left for cleanup',
      expect.objectContaining({ secretName, errorName: 'TransientError' }),
    );
    expect(JSON.stringify(warn.mock.calls)).not.toContain(privateKey);
  });

  it('is deleted by the sweep once the grace has passed, and kept while its delete still fails', async () => {
    // Prepare
    const s = setUp();
    const { gatewayId, secretName } = await gatewayWithLaptop(s);
    s.secrets.failDeletes = true;
    await deletePeer(s.d, caller, gatewayId, 'laptop', timing);
    const error = jest.spyOn(logger, 'error').mockImplementation(() => undefined);
    // Act
    const early = await cleanLeftoverSecrets(s.d);
    s.later(CLEANUP_GRACE_MS + 1);
    const failing = await cleanLeftoverSecrets(s.d);
    s.secrets.failDeletes = false;
    const swept = await cleanLeftoverSecrets(s.d);
    // Assess
    expect(early).toEqual({ deleted: 0, kept: 0, failed: 0 });
    expect(failing).toEqual({ deleted: 0, kept: 0, failed: 1 });
    expect(swept).toEqual({ deleted: 1, kept: 0, failed: 0 });
    // The sweep's failure is an ERROR line (its alarm counts them), naming the secret, never its value.
    expect(error).toHaveBeenCalledTimes(1);
    expect(error).toHaveBeenCalledWith(
      'Leftover road-warrior secret not deleted: the next sweep tries again',
      expect.objectContaining({ secretName, gatewayId }),
    );
    expect(s.secrets.values.has(secretName)).toBe(false);
    expect(await s.repository.listSecretCleanups('9999', 10)).toEqual([]);
  });

  it('stays when the removal never happened (the request died between the record and the removal)', async () => {
    // Prepare: a cleanup recorded, the peer still there
    const s = setUp();
    const { gatewayId, secretName } = await gatewayWithLaptop(s);
    await s.repository.recordSecretCleanup({
      secretName,
      gatewayId,
      peerName: 'laptop',
      recordedAt: s.d.clock().toISOString(),
    });
    s.later(CLEANUP_GRACE_MS + 1);
    // Act
    const swept = await cleanLeftoverSecrets(s.d);
    // Assess
    expect(swept).toEqual({ deleted: 0, kept: 1, failed: 0 });
    expect(s.secrets.values.has(secretName)).toBe(true);
    expect(await s.repository.listSecretCleanups('9999', 10)).toEqual([]);
  });
});

describe('the key generated for a road-warrior whose add fails', () => {
  it('is found by the sweep and deleted, while a key its peer holds stays', async () => {
    // Prepare: the store refuses the add (the gateway is gone) after the key was generated
    const s = setUp();
    const { secretName: held } = await gatewayWithLaptop(s);
    const gone = gatewayRecord({ ownerId: 'alice' });
    await s.repository.createGateway(gone);
    const refusing = Object.assign(Object.create(s.repository), {
      addRoadWarrior: async () => {
        throw new Error('the gateway went away');
      },
    });
    // Act
    const added = addRoadWarrior(
      { ...s.d, repository: refusing },
      caller,
      gone.id,
      { name: 'phone' },
      timing,
    );
    await expect(added).rejects.toThrow('the gateway went away');
    const orphan = [...s.secrets.values.keys()].find((name) => name.includes(`/${gone.id}/peers/phone/`));
    s.later(CLEANUP_GRACE_MS + 1);
    const swept = await cleanLeftoverSecrets(s.d);
    // Assess
    expect(orphan).toBeDefined();
    expect(swept).toEqual({ deleted: 1, kept: 0, failed: 0 });
    expect(s.secrets.values.has(orphan as string)).toBe(false);
    expect(s.secrets.values.has(held)).toBe(true);
  });
});

describe('a road-warrior add on a full tunnel subnet', () => {
  it('answers TUNNEL_SUBNET_EXHAUSTED before a key is generated: no secret, no cleanup item', async () => {
    // Prepare: a /30 gives out one address, which a first road-warrior holds.
    const s = setUp();
    const gateway = gatewayRecord({
      ownerId: 'alice',
      tunnelSubnet: '100.64.9.0/30',
      tunnelIp: '100.64.9.1',
    });
    await s.repository.createGateway(gateway);
    await addRoadWarrior(s.d, caller, gateway.id, { name: 'first' }, timing);
    const secrets = new Map(s.secrets.values);
    const cleanups = await s.repository.listSecretCleanups('9999', 10);

    // Act
    const added = addRoadWarrior(s.d, caller, gateway.id, { name: 'second' }, timing);

    // Assess
    await expect(added).rejects.toMatchObject({ name: 'ConflictError', code: 'TUNNEL_SUBNET_EXHAUSTED' });
    expect(s.secrets.values).toEqual(secrets);
    expect(await s.repository.listSecretCleanups('9999', 10)).toEqual(cleanups);
    expect(await s.repository.getPeer(gateway.id, 'second')).toBeUndefined();
  });
});

// docs/DECISIONS.md, "A move rotates the moved gateway's preshared keys".
describe("a peering's preshared key a move replaced", () => {
  it('is kept while an entry still names it (the switch never happened), deleted once none does', async () => {
    // Prepare: a peering whose key a move recorded for deletion, the run stopped before its switch;
    // and another whose switch happened.
    const s = setUp();
    const [a, b, c] = [
      gatewayRecord({ ownerId: 'alice' }),
      gatewayRecord({ ownerId: 'alice' }),
      gatewayRecord({ ownerId: 'alice' }),
    ];
    for (const gateway of [a, b, c]) await s.repository.createGateway(gateway);
    const unswitched = newPeering(a, b);
    const switched = newPeering(a, c);
    for (const peering of [unswitched, switched]) {
      await s.repository.createPeering(peering);
      await s.secrets.putIfAbsent(peering.presharedKeyParam, 'old');
      await s.repository.recordSecretCleanup({
        secretName: peering.presharedKeyParam,
        gatewayId: a.id,
        peerName: `vpc-peering-${peering.id}`,
        recordedAt: s.d.clock().toISOString(),
      });
    }
    const rotated = s.secrets.names.presharedKey(switched.id, '0123456789abcdef');
    await s.repository.switchPresharedKey(a.id, a.createdAt, c.id, `vpc-peering-${switched.id}`, {
      from: switched.presharedKeyParam,
      to: rotated,
      rotation: 'fedcba9876543210',
    });
    s.later(CLEANUP_GRACE_MS + 1);

    // Act
    const swept = await cleanLeftoverSecrets(s.d);

    // Assess
    expect(swept).toEqual({ deleted: 1, kept: 1, failed: 0 });
    expect(s.secrets.values.has(unswitched.presharedKeyParam)).toBe(true);
    expect(s.secrets.values.has(switched.presharedKeyParam)).toBe(false);
    expect(await s.repository.listSecretCleanups('9999', 10)).toEqual([]);
  });
});
