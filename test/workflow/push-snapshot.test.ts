/**
 * A push renders a gateway's peers as they were at one generation (lambdas/app/push.ts): when a
 * change lands while the peers are read, it reads again, so a document's generation names exactly
 * its peer set and two pushes of one generation publish the same bytes. Read once, a busy hub's
 * concurrent pushes published different documents under one generation's name, and the instance
 * refused the first one's digest (docs/DECISIONS.md "Busy hub: the hub item"). A push that would
 * render nothing new joins the command of one already sent (docs/DECISIONS.md "Joining a push").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileConfigStore } from '../../lambdas/adapters/local/file-config-store';
import { MemoryRepository } from '../../lambdas/adapters/memory/repository';
import type { ApplyCommand, CommandBus, CommandStatus, Repository } from '../../lambdas/app/ports';
import { checkPush, JOIN_WINDOW_MS, pushGatewayConfig } from '../../lambdas/app/push';
import {
  CommandFailedError,
  InvocationNotReadyError,
  SecretMissingError,
  TransientError,
} from '../../lambdas/core/errors';
import { gatewayRecord } from '../support/gateways';
import { roadWarrior } from '../support/records';

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'push-snapshot-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Records every command sent; each is reported `status` (by default Failed, so none is joined), or
 * unknown to its instance when `status` is 'unknown'.
 */
function recordingCommands(
  status: CommandStatus | 'unknown' = 'Failed',
): CommandBus & { sent: ApplyCommand[] } {
  const sent: ApplyCommand[] = [];
  return {
    sent,
    send: async (command) => {
      sent.push(command);
      return `cmd-${sent.length}`;
    },
    teardown: async () => undefined,
    requestReports: async () => 'reports',
    get: async (commandId, instanceId) => {
      if (status === 'unknown') throw new InvocationNotReadyError(`${commandId} on ${instanceId}`);
      return { status, output: '' };
    },
  };
}

/** The repository, with `during` run inside each of the first `times` peer reads (a concurrent change). */
function changingWhilePeersAreRead(
  repository: Repository,
  times: number,
  during: (n: number) => Promise<unknown>,
) {
  let reads = 0;
  return Object.assign(Object.create(repository) as Repository, {
    listPeers: async (gatewayId: string) => {
      const peers = await repository.listPeers(gatewayId);
      reads += 1;
      if (reads <= times) await during(reads);
      return peers;
    },
  });
}

const MAX_POLLS = 10;

const deps = (repository: Repository, commands: CommandBus, clock = () => new Date()) => ({
  repository,
  commands,
  configStore: new FileConfigStore(join(dir, 'config')),
  instanceSecrets: { deliver: async () => {}, withdraw: async () => {} },
  clock,
});

it('reads again when a change lands while the peers are read, and labels the document with its generation', async () => {
  // Prepare: a road-warrior is added right after the first peer read returned.
  const repository = new MemoryRepository();
  const gateway = gatewayRecord();
  await repository.createGateway(gateway);
  const racing = changingWhilePeersAreRead(repository, 1, () =>
    repository.addRoadWarrior(roadWarrior(gateway.id, 'laptop')),
  );
  const commands = recordingCommands();

  // Act: the first push's command has failed, so the second one renders and sends its own.
  const raced = await pushGatewayConfig(deps(racing, commands), gateway.id);
  const quiet = await pushGatewayConfig(deps(repository, commands), gateway.id);

  // Assess: both pushes name generation 1, which holds the road-warrior, with the same digest.
  expect([raced?.generation, quiet?.generation]).toEqual([1, 1]);
  const [first, second] = commands.sent;
  expect(first?.stateSha256).toBe(second?.stateSha256);
  const document = await new FileConfigStore(join(dir, 'config')).get(gateway.id, 1);
  expect(document).toContain('"name":"laptop"');
});

it('gives up with a TransientError when the gateway keeps changing, and sends nothing', async () => {
  // Prepare: every peer read meets another road-warrior.
  const repository = new MemoryRepository();
  const gateway = gatewayRecord();
  await repository.createGateway(gateway);
  const racing = changingWhilePeersAreRead(repository, 100, (n) =>
    repository.addRoadWarrior(roadWarrior(gateway.id, `rw-${n}`)),
  );
  const commands = recordingCommands();

  // Act
  const push = await pushGatewayConfig(deps(racing, commands), gateway.id).catch((error) => error);

  // Assess
  expect(push).toBeInstanceOf(TransientError);
  expect(commands.sent).toEqual([]);
});

it('reads again when a secret the document names was deleted meanwhile (a peering deleted during the push)', async () => {
  // Prepare: the first delivery finds a secret gone, as a concurrent delete leaves it, and the
  // change that deleted it has moved the gateway's generation.
  const repository = new MemoryRepository();
  const gateway = gatewayRecord();
  await repository.createGateway(gateway);
  const deliveries: number[] = [];
  const instanceSecrets = {
    deliver: async () => {
      deliveries.push(deliveries.length + 1);
      if (deliveries.length === 1) {
        await repository.addRoadWarrior(roadWarrior(gateway.id, 'after-the-delete'));
        throw new SecretMissingError('/vpc-peering/peerings/pcx-gone/psk');
      }
    },
    withdraw: async () => {},
  };
  const commands = recordingCommands();

  // Act
  const ticket = await pushGatewayConfig({ ...deps(repository, commands), instanceSecrets }, gateway.id);

  // Assess: one command, for the generation read after the change.
  expect(deliveries).toEqual([1, 2]);
  expect(ticket?.generation).toBe(1);
  expect(commands.sent.map((command) => command.generation)).toEqual([1]);
});

it('gives up with a TransientError naming the secret when it stays missing though nothing moved, and sends nothing', async () => {
  // Prepare
  const repository = new MemoryRepository();
  const gateway = gatewayRecord();
  await repository.createGateway(gateway);
  const instanceSecrets = {
    deliver: async () => {
      throw new SecretMissingError('/vpc-peering/peerings/pcx-lost/psk');
    },
    withdraw: async () => {},
  };
  const commands = recordingCommands();

  // Act
  const push = await pushGatewayConfig({ ...deps(repository, commands), instanceSecrets }, gateway.id).catch(
    (error: unknown) => error,
  );

  // Assess
  expect(push).toEqual(new TransientError('Secret /vpc-peering/peerings/pcx-lost/psk does not exist'));
  expect(commands.sent).toEqual([]);
});

describe('joining a push already sent', () => {
  /**
   * A gateway pushed once and its command polled once, which records the push sent (CheckCommand);
   * `commands` reports that push's command as the test says.
   */
  async function pushedOnce(commands: CommandBus & { sent: ApplyCommand[] }) {
    const repository = new MemoryRepository();
    const gateway = gatewayRecord();
    await repository.createGateway(gateway);
    const first = await pushGatewayConfig(deps(repository, commands), gateway.id);
    if (!first) throw new Error('the gateway was not pushed');
    await checkPush(deps(repository, commands), first, MAX_POLLS).catch((error: unknown) => {
      // The poll's own outcome (not ready, failed, no report) is not what these tests are about.
      if (!(error instanceof InvocationNotReadyError || error instanceof CommandFailedError)) throw error;
    });
    return { repository, gateway, first };
  }

  it('is recorded by the first poll, before the invocation is known; push-config and later polls write nothing', async () => {
    // Prepare: SSM does not know the command yet.
    const commands = recordingCommands('unknown');
    const repository = new MemoryRepository();
    const gateway = gatewayRecord();
    await repository.createGateway(gateway);
    const sentAt = new Date('2026-12-05T10:00:00.000Z');

    // Act
    const ticket = await pushGatewayConfig(deps(repository, commands), gateway.id);
    if (!ticket) throw new Error('the gateway was not pushed');
    const beforePoll = await repository.getPushSent(gateway.id);
    const laterPoll = checkPush(
      deps(repository, commands, () => sentAt),
      { ...ticket, polls: 1 },
      MAX_POLLS,
    );
    await expect(laterPoll).rejects.toBeInstanceOf(InvocationNotReadyError);
    const afterLaterPoll = await repository.getPushSent(gateway.id);
    const firstPoll = checkPush(
      deps(repository, commands, () => sentAt),
      ticket,
      MAX_POLLS,
    );
    await expect(firstPoll).rejects.toBeInstanceOf(InvocationNotReadyError);

    // Assess
    expect(beforePoll).toBeUndefined();
    expect(afterLaterPoll).toBeUndefined();
    expect(await repository.getPushSent(gateway.id)).toEqual({
      gatewayId: gateway.id,
      instanceId: gateway.instanceId,
      commandId: ticket.commandId,
      generation: ticket.generation,
      sentAt: sentAt.toISOString(),
    });
  });

  it.each(['Pending', 'InProgress', 'Delayed', 'Success'] as const)(
    'joins a command that is %s for the same generation: nothing is delivered, published or sent again',
    async (status) => {
      // Prepare
      const commands = recordingCommands(status);
      const { repository, gateway, first } = await pushedOnce(commands);
      const delivered: string[][] = [];
      const instanceSecrets = {
        deliver: async (_target: unknown, names: readonly string[]) => {
          delivered.push([...names]);
        },
        withdraw: async () => {},
      };

      // Act
      const joined = await pushGatewayConfig({ ...deps(repository, commands), instanceSecrets }, gateway.id);

      // Assess: the joined ticket names the incarnation too, or its report would be dropped.
      expect(joined).toEqual(first);
      expect(joined).toMatchObject({ gatewayCreatedAt: gateway.createdAt });
      expect(commands.sent).toHaveLength(1);
      expect(delivered).toEqual([]);
    },
  );

  it.each([
    { case: 'the command failed', status: 'Failed' as const },
    { case: 'the command timed out', status: 'TimedOut' as const },
    {
      case: 'the instance does not know the command (not registered yet, or a restarted runtime)',
      status: 'unknown' as const,
    },
  ])('sends its own when $case', async ({ status }) => {
    // Prepare
    const commands = recordingCommands(status);
    const { repository, gateway } = await pushedOnce(commands);

    // Act
    const own = await pushGatewayConfig(deps(repository, commands), gateway.id);

    // Assess
    expect(own?.commandId).toBe('cmd-2');
    const generation = gateway.desiredGeneration;
    expect(commands.sent.map((command) => command.generation)).toEqual([generation, generation]);
  });

  it('sends its own when the gateway changed since (a higher generation)', async () => {
    // Prepare
    const commands = recordingCommands('InProgress');
    const { repository, gateway } = await pushedOnce(commands);
    await repository.addRoadWarrior(roadWarrior(gateway.id, 'laptop'));

    // Act
    const own = await pushGatewayConfig(deps(repository, commands), gateway.id);

    // Assess
    const generation = gateway.desiredGeneration;
    expect(commands.sent.map((command) => command.generation)).toEqual([generation, generation + 1]);
    expect(own).toMatchObject({ commandId: 'cmd-2', generation: generation + 1 });
  });

  it('sends its own when the push was sent longer ago than the join window (a drift repair sends again)', async () => {
    // Prepare
    const commands = recordingCommands('Success');
    const { repository, gateway } = await pushedOnce(commands);
    const later = () => new Date(Date.now() + JOIN_WINDOW_MS + 1000);

    // Act
    const own = await pushGatewayConfig(deps(repository, commands, later), gateway.id);

    // Assess
    expect(own?.commandId).toBe('cmd-2');
  });

  it('sends its own when the push went to the instance the gateway had before', async () => {
    // Prepare: the newest push sent, of the current generation, went to another instance.
    const commands = recordingCommands('InProgress');
    const { repository, gateway } = await pushedOnce(commands);
    const generation = await repository.bumpGeneration(gateway.id);
    await repository.recordPushSent({
      gatewayId: gateway.id,
      instanceId: 'i-0before0moving0',
      commandId: 'cmd-old-instance',
      generation: generation ?? 0,
      sentAt: new Date().toISOString(),
    });

    // Act
    const own = await pushGatewayConfig(deps(repository, commands), gateway.id);

    // Assess
    expect(own).toMatchObject({ commandId: 'cmd-2', instanceId: gateway.instanceId });
  });
});
