/**
 * SSM Run Command, embedded: a command runs gateway/apply-config.sh on the instance's local host.
 * Like SSM, `send` returns at once and the invocation is polled with `get`; commands to one
 * instance run one after the other, in the order they were sent. The report command goes to every
 * host, and each finished invocation is announced (`onReportFinished`), as SSM announces it on
 * EventBridge. A teardown runs the script's `--teardown` on the host, after every command sent to
 * it before, and then destroys the host, as the gateway product terminates a deleted gateway's
 * instance. With `unmanagedInstances`, the bus plays a deployment whose instance ids name no managed
 * instance (LocalStack, or AWS with made-up ids: README, "Integration suite against LocalStack"): it
 * answers every command as the SSM adapter sees SSM answer one (lambdas/adapters/ssm).
 */
import { randomUUID } from 'node:crypto';
import type { ApplyCommand, CommandBus, CommandStatus, TeardownCommand } from '../../lambdas/app/ports';
import { InvocationNotReadyError } from '../../lambdas/core/errors';
import { parseInstanceReport } from '../../lambdas/core/status';
import { settleEach } from '../../lambdas/shared/bounded';
import type { HostGateway } from './host';
import type { LocalHosts } from './local-hosts';
import type { RunResult } from './shell';

/** One instance's run of a command (SSM keys it by command and instance: invocationKey). */
interface Invocation {
  status: CommandStatus;
  output: string;
  /** When it ended (the bus's clock, ms); undefined while it waits or runs. */
  endedAt?: number;
}

/**
 * How long an ended invocation can still be read with `get`. SSM keeps them 30 days; here a
 * workflow reads its push within minutes, and a restart forgets them all anyway. Without a bound,
 * a runtime left running grows by one invocation per host every report period.
 */
export const ENDED_INVOCATION_RETENTION_MS = 60 * 60_000;

/**
 * Hosts whose report runs at once. SSM runs each instance's report on that instance; here every
 * host shares this machine's cores, and 204 hosts reporting at once held every apply back for
 * about 9 s (bench section 1 then answered a create 202 after its 8 s wait, 2026-12-05).
 */
export const LOCAL_REPORTS_IN_FLIGHT = 4;

export interface LocalCommandBusOptions {
  /** The clock of `endedAt` (tests). */
  now?: () => number;
  /** No instance is managed: no host is ever built, and no command runs (VPG_LOCAL_MODE=unmanaged). */
  unmanagedInstances?: boolean;
}

/**
 * What SendCommand throws for an instance id that is no managed instance: the SDK's error name,
 * which the SSM adapter passes through unchanged (not transient), so a push fails at once.
 */
export class InvalidInstanceIdError extends Error {
  override readonly name = 'InvalidInstanceId';
  constructor(instanceId: string) {
    super(`Instance ${instanceId} is not a managed instance`);
  }
}

/** A finished invocation of the report command. */
export interface ReportInvocation {
  commandId: string;
  instanceId: string;
  status: CommandStatus;
}

export class LocalCommandBus implements CommandBus {
  private readonly invocations = new Map<string, Invocation>();
  /** Tail of each instance's queue. */
  private readonly queues = new Map<string, Promise<void>>();
  /** Report rounds still queueing hosts (requestReports): idle() waits for them too. */
  private readonly reportRounds = new Set<Promise<unknown>>();
  /** Injected failures (tests): the next command to the instance fails with this reason. */
  private readonly failures = new Map<string, string>();
  private readonly now: () => number;
  private readonly unmanagedInstances: boolean;

  constructor(
    private readonly hosts: LocalHosts,
    private readonly lookupGateway: (gatewayId: string) => Promise<HostGateway | undefined>,
    private readonly onReportFinished: (invocation: ReportInvocation) => Promise<unknown> = async () => {},
    options: LocalCommandBusOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.unmanagedInstances = options.unmanagedInstances ?? false;
  }

  async send(command: ApplyCommand): Promise<string> {
    if (this.unmanagedInstances) throw new InvalidInstanceIdError(command.instanceId);
    const id = randomUUID();
    this.enqueue(id, command.instanceId, (invocation) => this.execute(invocation, command));
    return id;
  }

  /** Always sent: whether the instance has a host is known when the command's turn comes. */
  async teardown(command: TeardownCommand): Promise<string | undefined> {
    // The SSM adapter sends nothing for an instance SSM does not manage (InvalidInstanceId).
    if (this.unmanagedInstances) return undefined;
    const id = randomUUID();
    this.enqueue(id, command.instanceId, async (invocation) => {
      const { instanceId, gatewayId, generation } = command;
      if (!this.hosts.hostInfo(instanceId)) {
        record(invocation, {
          exitCode: 0,
          stdout: '',
          stderr: `no host for ${instanceId}: nothing to tear down`,
        });
        return;
      }
      const result = await this.hosts.tearDownGateway(instanceId, { gatewayId, generation });
      record(invocation, result);
      // Refused (tornDown false): the host serves another gateway, or this id registered again.
      if (result.exitCode !== 0 || parseInstanceReport(result.stdout)?.tornDown !== false) {
        await this.hosts.destroyHost(instanceId);
      }
    });
    return id;
  }

  /**
   * The report command to every host, LOCAL_REPORTS_IN_FLIGHT hosts at a time: each host's report
   * joins its queue when a slot frees, so it holds that host's commands back only while it runs.
   */
  async requestReports(): Promise<string> {
    const id = randomUUID();
    const round = settleEach(
      this.hosts.instanceIds(),
      LOCAL_REPORTS_IN_FLIGHT,
      (instanceId) =>
        new Promise<void>((reported) => {
          this.enqueue(id, instanceId, async (invocation) => {
            try {
              record(invocation, await this.hosts.runReport(instanceId));
              await this.onReportFinished({ commandId: id, instanceId, status: invocation.status });
            } finally {
              reported();
            }
          });
        }),
    );
    this.reportRounds.add(round);
    void round.finally(() => this.reportRounds.delete(round));
    return id;
  }

  async get(commandId: string, instanceId: string): Promise<{ status: CommandStatus; output: string }> {
    const invocation = this.invocations.get(invocationKey(commandId, instanceId));
    if (!invocation) {
      throw new InvocationNotReadyError(`Invocation ${commandId} on ${instanceId} is not registered`);
    }
    return { status: invocation.status, output: invocation.output };
  }

  /** Makes the next command sent to `instanceId` fail with `reason`, without running the script. */
  failNext(instanceId: string, reason: string): void {
    this.failures.set(instanceId, reason);
  }

  /** Resolves when every command sent so far has finished, every host's report included. */
  async idle(): Promise<void> {
    await Promise.all(this.reportRounds);
    await Promise.all(this.queues.values());
  }

  /** Queues `run` on the instance; it never rejects (every outcome is recorded, as SSM would). */
  private enqueue(
    commandId: string,
    instanceId: string,
    run: (invocation: Invocation) => Promise<void>,
  ): void {
    this.forgetEndedBefore(this.now() - ENDED_INVOCATION_RETENTION_MS);
    const invocation: Invocation = { status: 'Pending', output: '' };
    this.invocations.set(invocationKey(commandId, instanceId), invocation);
    const previous = this.queues.get(instanceId) ?? Promise.resolve();
    const next = previous.then(async () => {
      invocation.status = 'InProgress';
      await run(invocation).catch((error: unknown) => {
        Object.assign(invocation, {
          status: 'Failed',
          output: error instanceof Error ? error.message : String(error),
        });
      });
      invocation.endedAt = this.now();
    });
    this.queues.set(instanceId, next);
  }

  /** Drops invocations that ended before `cutoff` (ms): nothing polls them any more. */
  private forgetEndedBefore(cutoff: number): void {
    for (const [key, invocation] of this.invocations) {
      if (invocation.endedAt !== undefined && invocation.endedAt < cutoff) this.invocations.delete(key);
    }
  }

  private async execute(invocation: Invocation, command: ApplyCommand): Promise<void> {
    const injected = this.failures.get(command.instanceId);
    if (injected !== undefined) {
      this.failures.delete(command.instanceId);
      Object.assign(invocation, { status: 'Failed', output: injected });
      return;
    }
    const gateway = await this.lookupGateway(command.gatewayId);
    if (!gateway) throw new Error(`Gateway ${command.gatewayId} is not registered`);
    await this.hosts.ensureHost(gateway);
    const { gatewayId, generation, stateUri, stateSha256 } = command;
    record(
      invocation,
      await this.hosts.apply(command.instanceId, { gatewayId, generation, stateUri, stateSha256 }),
    );
  }
}

/** Invocations are per command and instance: the report command has one per host. */
const invocationKey = (commandId: string, instanceId: string) => `${commandId}/${instanceId}`;

/** A finished script run as SSM records it: stdout on success, stdout and stderr on failure. */
function record(invocation: Invocation, result: RunResult): void {
  const ok = result.exitCode === 0;
  invocation.output = ok ? result.stdout : [result.stdout, result.stderr].filter(Boolean).join('\n');
  invocation.status = ok ? 'Success' : 'Failed';
}
