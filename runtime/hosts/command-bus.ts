/**
 * SSM Run Command, embedded: a command runs gateway/apply-config.sh on the instance's local host.
 * Like SSM, `send` returns at once and the invocation is polled with `get`; commands to one
 * instance run one after the other, in the order they were sent.
 */
import { randomUUID } from 'node:crypto';
import type { ApplyCommand, CommandBus, CommandStatus } from '../../lambdas/app/ports';
import { InvocationNotReadyError } from '../../lambdas/core/errors';
import type { HostGateway, LocalHosts } from './local-hosts';

interface Invocation {
  instanceId: string;
  status: CommandStatus;
  output: string;
}

export class LocalCommandBus implements CommandBus {
  private readonly invocations = new Map<string, Invocation>();
  /** Tail of each instance's queue. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Injected failures (tests): the next command to the instance fails with this reason. */
  private readonly failures = new Map<string, string>();

  constructor(
    private readonly hosts: LocalHosts,
    private readonly lookupGateway: (gatewayId: string) => Promise<HostGateway | undefined>,
  ) {}

  async send(command: ApplyCommand): Promise<string> {
    const id = randomUUID();
    const invocation: Invocation = { instanceId: command.instanceId, status: 'Pending', output: '' };
    this.invocations.set(id, invocation);
    const previous = this.queues.get(command.instanceId) ?? Promise.resolve();
    const next = previous.then(() => this.execute(invocation, command));
    this.queues.set(command.instanceId, next);
    return id;
  }

  async get(commandId: string, instanceId: string): Promise<{ status: CommandStatus; output: string }> {
    const invocation = this.invocations.get(commandId);
    if (!invocation || invocation.instanceId !== instanceId) {
      throw new InvocationNotReadyError(`Invocation ${commandId} on ${instanceId} is not registered`);
    }
    return { status: invocation.status, output: invocation.output };
  }

  /** Makes the next command sent to `instanceId` fail with `reason`, without running the script. */
  failNext(instanceId: string, reason: string): void {
    this.failures.set(instanceId, reason);
  }

  /** Resolves when every command sent so far has finished. */
  async idle(): Promise<void> {
    await Promise.all(this.queues.values());
  }

  /** Never rejects: every outcome is recorded on the invocation, as SSM would. */
  private async execute(invocation: Invocation, command: ApplyCommand): Promise<void> {
    invocation.status = 'InProgress';
    const injected = this.failures.get(command.instanceId);
    if (injected !== undefined) {
      this.failures.delete(command.instanceId);
      Object.assign(invocation, { status: 'Failed', output: injected });
      return;
    }
    try {
      const gateway = await this.lookupGateway(command.gatewayId);
      if (!gateway) throw new Error(`Gateway ${command.gatewayId} is not registered`);
      await this.hosts.ensureHost(gateway);
      const { gatewayId, generation, stateUri } = command;
      const result = await this.hosts.apply(command.instanceId, { gatewayId, generation, stateUri });
      const ok = result.exitCode === 0;
      invocation.output = ok ? result.stdout : [result.stdout, result.stderr].filter(Boolean).join('\n');
      invocation.status = ok ? 'Success' : 'Failed';
    } catch (error) {
      Object.assign(invocation, {
        status: 'Failed',
        output: error instanceof Error ? error.message : String(error),
      });
    }
  }
}
