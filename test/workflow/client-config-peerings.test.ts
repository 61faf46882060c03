/**
 * A road-warrior's config reaches the VPCs of its gateway's ACTIVE peerings (its AllowedIPs): when
 * a peering becomes ACTIVE or is deleted, configs downloaded before are outdated, and those
 * downloaded after are not (docs/DECISIONS.md, "Road-warrior configs after a peering change").
 * Also at every point in between: a download made between any two storage calls of the step either
 * holds what a download afterwards holds, or is flagged.
 */
import { MemoryAudit } from '../../lambdas/adapters/local/memory-audit';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import { clientConfig } from '../../lambdas/app/api/peers';
import { compensatePeering, detachForDeletion } from '../../lambdas/app/peering-teardown';
import { activatePeering } from '../../lambdas/app/peering-workflow';
import type { Repository } from '../../lambdas/app/ports';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicPeer } from '../../lambdas/core/views';
import { MemorySecrets } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { newPeering, roadWarrior } from '../support/records';

/** Road-warriors made up front: one per download, each recording its own (the hooked runs use ~10). */
const LAPTOPS = 24;

/** A gateway with road-warriors `laptop-0…`, and a peer gateway. */
async function gatewayWithLaptops() {
  const repository = new MemoryRepository();
  const gateway = gatewayRecord();
  const remote = gatewayRecord();
  await repository.createGateway(gateway);
  await repository.createGateway(remote);
  for (let i = 0; i < LAPTOPS; i++) await repository.addRoadWarrior(roadWarrior(gateway.id, `laptop-${i}`));
  return { repository, gateway, remote, ...laptopsOf(repository, gateway) };
}

/** Downloads (the config GET's use case) and the road-warrior's view of each. */
function laptopsOf(repository: Repository, gateway: GatewayRecord) {
  const d = { repository, secrets: new MemorySecrets(), clock: () => new Date() };
  const owner = { userId: gateway.ownerId, isAdmin: false };
  const allowedIps = (config: string) => config.split('\n').find((line) => line.startsWith('AllowedIPs'));
  return {
    /** The AllowedIPs line of the config `name` downloads now. */
    download: async (name: string) => allowedIps(await clientConfig(d, owner, gateway.id, name)),
    outdated: async (name: string) => {
      const [peer, stored] = await Promise.all([
        repository.getPeer(gateway.id, name),
        repository.getGateway(gateway.id),
      ]);
      if (!peer || !stored) throw new Error(`${name} or its gateway is gone`);
      return toPublicPeer(peer, stored).configOutdated;
    },
  };
}

/** A PROVISIONING peering of the two whose sides both applied it: Activate will activate it. */
async function peeringReadyToActivate(repository: Repository, gateway: GatewayRecord, remote: GatewayRecord) {
  const peering = await repository.createPeering(newPeering(gateway, remote));
  for (const side of peering.sides) {
    await repository.recordApplied({
      gatewayId: side.gatewayId,
      appliedGeneration: side.generation,
      appliedAt: new Date().toISOString(),
    });
  }
  return peering;
}

/** `repository`, but every call ends with `after()`: a download between any two of a step's calls. */
function callingAfterEach(repository: Repository, after: () => Promise<void>): Repository {
  return new Proxy(repository, {
    get(target, property, receiver) {
      const member = Reflect.get(target, property, receiver);
      if (typeof member !== 'function') return member;
      return async (...args: unknown[]) => {
        const result = await member.apply(target, args);
        await after();
        return result;
      };
    },
  });
}

describe("a peering's activation or deletion and its gateways' road-warrior configs", () => {
  it('flags a config downloaded before the activation, not one downloaded after', async () => {
    // Prepare
    const { repository, gateway, remote, download, outdated } = await gatewayWithLaptops();
    const peering = await peeringReadyToActivate(repository, gateway, remote);
    const before = await download('laptop-0');

    // Act
    await activatePeering({ repository, audit: new MemoryAudit() }, { peeringId: peering.id });
    const after = await download('laptop-1');

    // Assess
    expect(before).not.toContain(remote.vpcCidr);
    expect(after).toContain(remote.vpcCidr);
    expect(await outdated('laptop-0')).toBe(true);
    expect(await outdated('laptop-1')).toBe(false);
  });

  it('flags a config downloaded before the deletion of an ACTIVE peering; a FAILED one flags none', async () => {
    // Prepare: an ACTIVE peering, and one whose create failed (never ACTIVE).
    const { repository, gateway, remote, download, outdated } = await gatewayWithLaptops();
    const audit = new MemoryAudit();
    const active = await peeringReadyToActivate(repository, gateway, remote);
    await activatePeering({ repository, audit }, { peeringId: active.id });
    const third = gatewayRecord();
    await repository.createGateway(third);
    const failed = await repository.createPeering(newPeering(gateway, third));
    await compensatePeering({ repository, audit }, { peeringId: failed.id });
    const beforeEither = await download('laptop-0');

    // Act
    await detachForDeletion({ repository }, { peeringId: failed.id });
    const afterFailed = await outdated('laptop-0');
    await detachForDeletion({ repository }, { peeringId: active.id });
    const after = await download('laptop-1');

    // Assess
    expect(beforeEither).toContain(remote.vpcCidr);
    expect(beforeEither).not.toContain(third.vpcCidr);
    expect(afterFailed).toBe(false);
    expect(after).not.toContain(remote.vpcCidr);
    expect(await outdated('laptop-0')).toBe(true);
    expect(await outdated('laptop-1')).toBe(false);
  });

  describe('a download between any two storage calls of the step is current or flagged', () => {
    /** Runs `step` with a download by the next laptop after each of its calls; what each got. */
    async function downloadingThroughout(
      setup: Awaited<ReturnType<typeof gatewayWithLaptops>>,
      step: (repository: Repository) => Promise<unknown>,
    ) {
      const got = new Map<string, string | undefined>();
      const next = async () => {
        const name = `laptop-${got.size}`;
        got.set(name, await setup.download(name));
      };
      await next();
      await step(callingAfterEach(setup.repository, next));
      return got;
    }

    /** Every laptop whose config is not what a download now gets is flagged. */
    async function expectStaleOnesFlagged(
      setup: Awaited<ReturnType<typeof gatewayWithLaptops>>,
      got: Map<string, string | undefined>,
    ) {
      const now = await setup.download(`laptop-${LAPTOPS - 1}`);
      const unflaggedStale = [];
      for (const [name, allowedIps] of got) {
        if (allowedIps !== now && !(await setup.outdated(name))) unflaggedStale.push({ name, allowedIps });
      }
      expect(got.size).toBeLessThan(LAPTOPS);
      expect([...got.values()]).toContain(now);
      expect(unflaggedStale).toEqual([]);
    }

    it('through an activation', async () => {
      // Prepare
      const setup = await gatewayWithLaptops();
      const peering = await peeringReadyToActivate(setup.repository, setup.gateway, setup.remote);

      // Act
      const got = await downloadingThroughout(setup, (repository) =>
        activatePeering({ repository, audit: new MemoryAudit() }, { peeringId: peering.id }),
      );

      // Assess
      await expectStaleOnesFlagged(setup, got);
    });

    it('through a deletion', async () => {
      // Prepare
      const setup = await gatewayWithLaptops();
      const peering = await peeringReadyToActivate(setup.repository, setup.gateway, setup.remote);
      await activatePeering(
        { repository: setup.repository, audit: new MemoryAudit() },
        { peeringId: peering.id },
      );

      // Act
      const got = await downloadingThroughout(setup, (repository) =>
        detachForDeletion({ repository }, { peeringId: peering.id }),
      );

      // Assess
      await expectStaleOnesFlagged(setup, got);
    });
  });
});
