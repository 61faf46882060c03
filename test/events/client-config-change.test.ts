/**
 * "VPN Gateway Updated" records when what its road-warriors' configs carry (public key, endpoint)
 * changed: only such a change moves `clientConfigChangedAt`, a redelivery or a rename keeps it.
 */
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import { gatewayUpdated } from '../../lambdas/app/gateway-lifecycle';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { MemoryPublications, MemorySecrets, PacedWorkflows, RecordingCommands } from '../support/fakes';
import { gatewayRecord } from '../support/gateways';
import { publicKeyOf, uniqueId } from '../support/records';

const state = new MemoryState();
const MOVED_AT = new Date('2026-12-05T10:00:00.000Z');
const LATER = new Date('2026-12-05T11:00:00.000Z');

/**
 * Delivers the Updated event carrying `gateway` at `now`; the gateway as stored after it.
 * `beforeWrite` runs between the update's read of the gateway and its write.
 */
async function deliver(
  gateway: GatewayRecord,
  now: Date,
  beforeWrite?: (repository: MemoryRepository) => Promise<void>,
): Promise<GatewayRecord | undefined> {
  const repository = new MemoryRepository({ clock: () => now }, state);
  if (beforeWrite) {
    const upsert = repository.upsertGateway.bind(repository);
    repository.upsertGateway = async (record) => {
      await beforeWrite(repository);
      return upsert(record);
    };
  }
  const publications = new MemoryPublications();
  await gatewayUpdated(
    {
      repository,
      clock: () => now,
      workflows: new PacedWorkflows(),
      configStore: publications,
      instanceSecrets: publications,
      secrets: new MemorySecrets(),
      commands: new RecordingCommands(),
    },
    toPublicGateway(gateway),
  );
  return repository.getGateway(gateway.id);
}

async function registered(): Promise<GatewayRecord> {
  const gateway = gatewayRecord({ id: uniqueId('gw') });
  await new MemoryRepository({}, state).createGateway(gateway);
  return gateway;
}

describe("an Updated event and its road-warriors' configs", () => {
  it.each([
    ['endpoint', { publicIp: '198.51.100.77' }],
    ['listenPort', { listenPort: 51999 }],
    ['public key', { publicKey: publicKeyOf('rekeyed') }],
  ])('a new %s records the change; a redelivery later keeps its time', async (_what, change) => {
    // Prepare
    const gateway = await registered();
    const changed = { ...gateway, ...change };

    // Act
    const first = await deliver(changed, MOVED_AT);
    const redelivered = await deliver(changed, LATER);

    // Assess
    expect(first?.clientConfigChangedAt).toBe(MOVED_AT.toISOString());
    expect(redelivered?.clientConfigChangedAt).toBe(MOVED_AT.toISOString());
  });

  it('a rename or a status change records nothing, and keeps an earlier change', async () => {
    // Prepare
    const gateway = await registered();

    // Act
    const renamed = await deliver({ ...gateway, name: 'renamed', status: 'ERROR' }, MOVED_AT);
    const moved = { ...gateway, publicIp: '198.51.100.78' };
    await deliver(moved, MOVED_AT);
    const renamedAgain = await deliver({ ...moved, name: 'renamed-again' }, LATER);

    // Assess
    expect(renamed).not.toHaveProperty('clientConfigChangedAt');
    expect(renamedAgain).toMatchObject({
      name: 'renamed-again',
      clientConfigChangedAt: MOVED_AT.toISOString(),
    });
  });

  it('a rename does not put back the change it read over a peering change marked meanwhile', async () => {
    // Prepare: an earlier endpoint change, read by the rename before a peering's activation marks one.
    const gateway = await registered();
    const moved = { ...gateway, publicIp: '198.51.100.79' };
    await deliver(moved, MOVED_AT);
    let marked: string | undefined;
    const peeringActivated = async (repository: MemoryRepository) => {
      await repository.markClientConfigChanged(gateway.id);
      marked = (await repository.getGateway(gateway.id))?.clientConfigChangedAt;
    };

    // Act
    const renamed = await deliver({ ...moved, name: 'renamed' }, LATER, peeringActivated);

    // Assess
    expect(marked).toMatch(/^2026-12-05T11:00:00\.000Z#/);
    expect(renamed).toMatchObject({ name: 'renamed', clientConfigChangedAt: marked });
  });
});
