/** In-memory stand-ins for the ports the event tests do not exercise for real. */

import { DOCUMENT_PRUNE_BATCH, dueForPrune } from '../../lambdas/adapters/s3/documents';
import type {
  ApplyCommand,
  CommandBus,
  ConfigStore,
  ExecutionResult,
  InstanceSecrets,
  InstanceTarget,
  PublishedState,
  SecretStore,
  StartedExecution,
  TeardownCommand,
  WorkflowEngine,
  WorkflowName,
} from '../../lambdas/app/ports';
import { DEFAULT_SECRET_PREFIX, secretNamesUnder } from '../../lambdas/app/secret-names';
import { TransientError } from '../../lambdas/core/errors';

export interface RecordedStart {
  workflow: WorkflowName;
  name: string;
  input: unknown;
}

/**
 * Records every start; `failFor` makes starts whose name it returns true for throw. Its executions
 * never run; given `publishes`, a push-gateway start publishes a placeholder document at the
 * generation its name carries, as its Push step would, so a moved gateway's walk, which waits for
 * its early push's document (app/instance-move.ts movedInstanceRendered), starts at once.
 */
export class RecordingWorkflows implements WorkflowEngine {
  readonly starts: RecordedStart[] = [];
  failFor: (name: string) => boolean = () => false;

  constructor(private readonly publishes?: ConfigStore) {}

  async start(workflow: WorkflowName, name: string, input: unknown): Promise<StartedExecution> {
    if (this.failFor(name)) throw new Error(`cannot start ${name}`);
    const seen = this.starts.some((start) => start.name === name);
    this.starts.push({ workflow, name, input });
    const generation = /-(\d+)$/.exec(name)?.[1];
    if (this.publishes && workflow === 'push-gateway' && generation !== undefined) {
      const { gatewayId } = input as { gatewayId: string };
      await this.publishes.put({ gatewayId, instanceId: 'recorded' }, Number(generation), '{}');
    }
    return { executionId: `execution:${name}`, mayHaveEnded: seen };
  }

  async describe(): Promise<ExecutionResult> {
    return { status: 'RUNNING' };
  }

  async find(_workflow: WorkflowName, name: string): Promise<ExecutionResult | undefined> {
    return this.starts.some((start) => start.name === name) ? { status: 'RUNNING' } : undefined;
  }
}

/**
 * Starts that settle a tick after they begin (as a request does), counting how many are in flight
 * at once: a fan-out that starts one at a time never has two.
 */
export class PacedWorkflows extends RecordingWorkflows {
  inFlight = 0;
  maxInFlight = 0;
  /** Execution names whose start Step Functions throttles (the adapter's TransientError). */
  readonly throttled = new Set<string>();

  override async start(workflow: WorkflowName, name: string, input: unknown): Promise<StartedExecution> {
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await new Promise((resolve) => setImmediate(resolve));
      if (this.throttled.has(name)) throw new TransientError(`Step Functions throttled ${name}`);
      return await super.start(workflow, name, input);
    } finally {
      this.inFlight -= 1;
    }
  }
}

export class MemorySecrets implements SecretStore {
  readonly names = secretNamesUnder(DEFAULT_SECRET_PREFIX);
  readonly values = new Map<string, string>();

  async putIfAbsent(name: string, value: string): Promise<void> {
    if (!this.values.has(name)) this.values.set(name, value);
  }

  async get(name: string): Promise<string | undefined> {
    return this.values.get(name);
  }

  async delete(name: string): Promise<void> {
    this.values.delete(name);
  }

  async deleteUnder(folder: string): Promise<void> {
    for (const name of [...this.values.keys()]) if (name.startsWith(folder)) this.values.delete(name);
  }
}

/** Records teardowns; an instance in `goneInstances` answers as SSM does for a terminated one. */
/**
 * A command bus that records every apply command sent (`cmd-<n>` for the n-th) and answers each
 * invocation with `get` (given the command it was sent for); no teardown, one report command.
 */
export function sendingCommands(
  get: (
    command: ApplyCommand | undefined,
    commandId: string,
    instanceId: string,
  ) => ReturnType<CommandBus['get']>,
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
    get: (commandId, instanceId) =>
      get(sent[Number(commandId.slice('cmd-'.length)) - 1], commandId, instanceId),
  };
}

export class RecordingCommands implements CommandBus {
  readonly teardowns: TeardownCommand[] = [];
  readonly goneInstances = new Set<string>();
  /** How many teardowns to refuse next, as a throttled SendCommand would. */
  failingTeardowns = 0;

  async send(): Promise<string> {
    throw new Error('no apply command expected');
  }

  async teardown(command: TeardownCommand): Promise<string | undefined> {
    if (this.failingTeardowns > 0) {
      this.failingTeardowns -= 1;
      throw new TransientError('SSM Run Command ThrottlingException');
    }
    if (this.goneInstances.has(command.instanceId)) return undefined;
    this.teardowns.push(command);
    return `teardown-${this.teardowns.length}`;
  }

  async requestReports(): Promise<string> {
    throw new Error('no report command expected');
  }

  async get(): Promise<never> {
    throw new Error('no invocation expected');
  }
}

/**
 * Published documents (gateway → generations) and delivered copies (gateway → names), in memory.
 * A document is written at `now()` (its time decides whether a prune may delete it).
 */
export class MemoryPublications implements ConfigStore, InstanceSecrets {
  readonly documents = new Map<string, Map<number, string>>();
  readonly copies = new Map<string, Set<string>>();
  /** Every delivery, in order: what each push copied. */
  readonly deliveries: { target: InstanceTarget; names: string[] }[] = [];
  private readonly writtenAt = new Map<string, Date>();

  constructor(private readonly now: () => Date = () => new Date()) {}

  async put(target: InstanceTarget, generation: number, document: string): Promise<PublishedState> {
    const documents = this.documents.get(target.gatewayId) ?? new Map<number, string>();
    documents.set(generation, document);
    this.documents.set(target.gatewayId, documents);
    this.writtenAt.set(`${target.gatewayId}/${generation}`, this.now());
    return { uri: `memory://${target.gatewayId}/${generation}`, sha256: 'unused' };
  }

  /** As the stores: the lowest DOCUMENT_PRUNE_BATCH documents, those below and written before. */
  async pruneBelow(
    gatewayId: string,
    below: number,
    writtenBefore: Date,
    signal?: AbortSignal,
  ): Promise<number> {
    if (signal?.aborted) return 0;
    const documents = this.documents.get(gatewayId);
    const lowest = [...(documents?.keys() ?? [])].sort((a, b) => a - b).slice(0, DOCUMENT_PRUNE_BATCH);
    const due = lowest.filter((generation) => {
      const writtenAt = this.writtenAt.get(`${gatewayId}/${generation}`) ?? writtenBefore;
      return dueForPrune({ generation, writtenAt }, below, writtenBefore);
    });
    for (const generation of due) documents?.delete(generation);
    return due.length;
  }

  async get(gatewayId: string, generation: number): Promise<string | undefined> {
    return this.documents.get(gatewayId)?.get(generation);
  }

  async deleteThrough(gatewayId: string, generation: number): Promise<void> {
    for (const kept of this.documents.get(gatewayId)?.keys() ?? []) {
      if (kept <= generation) this.documents.get(gatewayId)?.delete(kept);
    }
  }

  async deliver(target: InstanceTarget, names: readonly string[]): Promise<void> {
    this.deliveries.push({ target, names: [...names] });
    this.copies.set(target.gatewayId, new Set([...(this.copies.get(target.gatewayId) ?? []), ...names]));
  }

  async withdraw(target: InstanceTarget): Promise<void> {
    this.copies.delete(target.gatewayId);
  }
}
