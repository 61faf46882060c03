/** In-memory stand-ins for the ports the event tests do not exercise for real. */
import type { ExecutionResult, SecretStore, WorkflowEngine, WorkflowName } from '../../lambdas/app/ports';
import { DEFAULT_SECRET_PREFIX, secretNamesUnder } from '../../lambdas/app/secret-names';

export interface RecordedStart {
  workflow: WorkflowName;
  name: string;
  input: unknown;
}

/** Records every start; `failFor` makes starts whose name it returns true for throw. */
export class RecordingWorkflows implements WorkflowEngine {
  readonly starts: RecordedStart[] = [];
  failFor: (name: string) => boolean = () => false;

  async start(workflow: WorkflowName, name: string, input: unknown): Promise<string> {
    if (this.failFor(name)) throw new Error(`cannot start ${name}`);
    this.starts.push({ workflow, name, input });
    return `execution:${name}`;
  }

  async describe(): Promise<ExecutionResult> {
    return { status: 'RUNNING' };
  }

  async find(_workflow: WorkflowName, name: string): Promise<ExecutionResult | undefined> {
    return this.starts.some((start) => start.name === name) ? { status: 'RUNNING' } : undefined;
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
}
