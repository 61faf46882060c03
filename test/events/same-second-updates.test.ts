/**
 * Two "VPN Gateway Updated" of one gateway stamped in the same second cannot be ordered (EventBridge
 * stamps whole seconds and orders nothing): one that would set the instance or the public key back
 * to a value an update of that second replaced is refused, thrown for the dead-letter queue and its
 * alarm, before anything changes (lambdas/app/gateway-lifecycle.ts; docs/DECISIONS.md, "Same-second
 * updates never bring back a replaced instance or key").
 */
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import { gatewayUpdated } from '../../lambdas/app/gateway-lifecycle';
import { ValidationError } from '../../lambdas/core/errors';
import type { GatewayRecord } from '../../lambdas/core/types';
import { toPublicGateway } from '../../lambdas/core/views';
import { MemoryPublications, MemorySecrets, RecordingCommands, RecordingWorkflows } from '../support/fakes';
import { fixtureKeyPair, gatewayRecord } from '../support/gateways';
import { newPeering } from '../support/records';

const NOW = new Date('2026-12-05T12:00:30.000Z');
const SECOND = '2026-12-05T12:00:10Z';
const NEXT_SECOND = '2026-12-05T12:00:11Z';
let repository: MemoryRepository;
let workflows: RecordingWorkflows;
let commands: RecordingCommands;
let publications: MemoryPublications;
const deps = () => ({
  repository,
  clock: () => NOW,
  workflows,
  commands,
  configStore: publications,
  instanceSecrets: publications,
  secrets: new MemorySecrets(),
});

beforeEach(() => {
  repository = new MemoryRepository();
  workflows = new RecordingWorkflows();
  commands = new RecordingCommands();
  publications = new MemoryPublications();
});

/** A product-keyed gateway on its instance, peered with another gateway. */
async function peeredGateway() {
  const gateway = gatewayRecord({ desiredGeneration: 3 });
  const other = gatewayRecord();
  for (const g of [gateway, other]) {
    await repository.createGateway(g);
    await repository.claimInstance(g.instanceId, g.id);
  }
  const peering = newPeering(gateway, other);
  await repository.createPeering(peering);
  const keyOnOther = async () => (await repository.getPeer(other.id, peering.sides[1].peer.name))?.publicKey;
  return { gateway, keyOnOther };
}

const replaced = (gateway: GatewayRecord, instanceId: string) => ({
  ...toPublicGateway(gateway),
  instanceId,
  publicKey: fixtureKeyPair().publicKey,
});

it('refuses a late event of the same second that would bring back the replaced instance and key, changing nothing', async () => {
  // Prepare: the newer event (new instance, new key) applied first.
  const { gateway, keyOnOther } = await peeredGateway();
  const newer = replaced(gateway, 'i-0new');
  await gatewayUpdated(deps(), newer, undefined, SECOND);
  const before = await repository.getGateway(gateway.id);
  const [pushes, teardowns] = [workflows.starts.length, commands.teardowns.length];

  // Act: the older one of the same second ("status ERROR, old instance") delivered last.
  const late = gatewayUpdated(deps(), { ...toPublicGateway(gateway), status: 'ERROR' }, undefined, SECOND);

  // Assess: thrown (the rule's retries, then its dead-letter queue and alarm); nothing moved back.
  await expect(late).rejects.toBeInstanceOf(ValidationError);
  await expect(late).rejects.toThrow(
    'instanceId: goes back to a value an update of the same second replaced',
  );
  expect(await repository.getGateway(gateway.id)).toEqual(before);
  expect(await keyOnOther()).toBe(newer.publicKey);
  expect(workflows.starts).toHaveLength(pushes);
  expect(commands.teardowns).toHaveLength(teardowns);
});

it('refuses one of the same second that brings back only the replaced key', async () => {
  // Prepare: a re-key, same instance.
  const { gateway, keyOnOther } = await peeredGateway();
  const rekeyed = replaced(gateway, gateway.instanceId);
  await gatewayUpdated(deps(), rekeyed, undefined, SECOND);

  // Act
  const late = gatewayUpdated(deps(), toPublicGateway(gateway), undefined, SECOND);

  // Assess
  await expect(late).rejects.toThrow('publicKey: goes back to a value an update of the same second replaced');
  expect((await repository.getGateway(gateway.id))?.publicKey).toBe(rekeyed.publicKey);
  expect(await keyOnOther()).toBe(rekeyed.publicKey);
});

it('remembers every instance replaced within the second, not only the last', async () => {
  // Prepare: two moves in one second, i-old → i-0b → i-0c.
  const { gateway } = await peeredGateway();
  await gatewayUpdated(deps(), { ...toPublicGateway(gateway), instanceId: 'i-0b' }, undefined, SECOND);
  await gatewayUpdated(deps(), { ...toPublicGateway(gateway), instanceId: 'i-0c' }, undefined, SECOND);

  // Act: the first event of that second, delivered last.
  const late = gatewayUpdated(deps(), toPublicGateway(gateway), undefined, SECOND);

  // Assess
  await expect(late).rejects.toThrow('instanceId: goes back');
  expect((await repository.getGateway(gateway.id))?.instanceId).toBe('i-0c');
});

it('applies a same-second event that brings nothing back, and a later second going back', async () => {
  // Prepare
  const { gateway } = await peeredGateway();
  const newer = replaced(gateway, 'i-0new');
  await gatewayUpdated(deps(), newer, undefined, SECOND);

  // Act: a rename of the same second, then the product moving back a second later.
  const renamed = await gatewayUpdated(deps(), { ...newer, name: 'renamed' }, undefined, SECOND);
  const back = await gatewayUpdated(deps(), toPublicGateway(gateway), undefined, NEXT_SECOND);

  // Assess: an event of a later second is ordered, and the product's to decide.
  expect(renamed.gateway.name).toBe('renamed');
  expect(back.gateway).toMatchObject({ instanceId: gateway.instanceId, publicKey: gateway.publicKey });
});
