/**
 * The embedded runtime's Step Functions: the real statemachine/*.asl.json files, with their
 * DefinitionSubstitutions filled by local function names (and the integration's in partition
 * `aws`), run by aws-local-stepfunctions. Every `arn:aws:states:::lambda:invoke` Task hands `{FunctionName, Payload}` to a dispatcher that calls
 * the real handler module and answers `{Payload, StatusCode}` like Lambda; a thrown error keeps its
 * `name` (the ASL matches it) and carries Lambda's `{errorType, errorMessage}` JSON as its cause.
 */
import './polyfills';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ExecutionResult, StartedExecution, WorkflowEngine, WorkflowName } from '../lambdas/app/ports';
import { integrationSubstitutions, QUEUED_WAIT_SUFFIX } from '../statemachine/states';
import { ExecutionJournal, type JournalEntry } from './execution-journal';
import type { RuntimeLog } from './runtime-log';

export type LambdaHandler = (payload: unknown, context: unknown) => Promise<unknown>;

const LOCAL_FUNCTION_ARN = 'arn:aws:lambda:local:000000000000:function:';
const WORKFLOW_FILES: Record<WorkflowName, string> = {
  'create-peering': 'create-peering.asl.json',
  'delete-peering': 'delete-peering.asl.json',
  'push-gateway': 'push-gateway.asl.json',
};

interface Execution {
  id: string;
  workflow: WorkflowName;
  input: string;
  result: ExecutionResult;
  done: Promise<void>;
}

/**
 * How long finished executions are remembered (their names stay taken, `describe` answers):
 * at most `maxFinished` of them, none past `maxAgeMs` after it ended (docs/DECISIONS.md,
 * "Execution journal retention").
 */
export interface ExecutionRetention {
  maxFinished: number;
  maxAgeMs: number;
}

export const DEFAULT_EXECUTION_RETENTION: ExecutionRetention = {
  maxFinished: 1000,
  maxAgeMs: 24 * 60 * 60 * 1000,
};

export interface LocalWorkflowEngineOptions {
  statemachineDir: string;
  /** Substitution name (e.g. `ValidateFunctionArn`) → handler. */
  functions: Record<string, LambdaHandler>;
  /** Every Wait state pauses this long instead of its Seconds. */
  waitMs?: number;
  /**
   * Every Wait state of a push queued behind its gateway's push lease (statemachine/states.ts
   * QUEUED_WAIT_SUFFIX) pauses this long instead; default the larger of `waitMs` and 200 ms. Each
   * of its tries reads the lease from the table: a hundred queued pushes of a busy hub trying
   * every 20 ms kept DynamoDB Local and this process so busy that the hub's own applies slowed
   * threefold (bench section 10: 113 s against 33 s at 200 ms, 2026-12-05).
   */
  queuedWaitMs?: number;
  /** Every Retry waits this long between attempts instead of its IntervalSeconds. */
  retryIntervalMs?: number;
  /**
   * Where executions are recorded (runtime/execution-journal.ts). With it, `recover()` re-drives
   * the executions a crash interrupted, and names stay taken across restarts.
   */
  journalDir?: string;
  /** Default DEFAULT_EXECUTION_RETENTION; applies to the journal and to this engine's memory. */
  retention?: ExecutionRetention;
  /** What "now" is for the retention (tests). */
  clock?: () => Date;
  /** Its notices (an execution re-driven after a restart); default: none. */
  log?: RuntimeLog;
}

const executionIdOf = (workflow: WorkflowName, name: string): string =>
  `arn:aws:states:local:000000000000:execution:${workflow}:${name}`;

/** Fills `${Name}` placeholders the way CloudFormation's DefinitionSubstitutions do. */
export function substitute(definition: string, values: Record<string, string>): string {
  return definition.replace(/\$\{([A-Za-z0-9]+)\}/g, (placeholder, name: string) => {
    const value = values[name];
    if (value === undefined) throw new Error(`No substitution for ${placeholder}`);
    return value;
  });
}

interface RunOverrides {
  taskResourceLocalHandlers: Record<string, (request: unknown) => Promise<never>>;
  waitTimeOverrides: Record<string, number>;
  retryIntervalOverrides: Record<string, number>;
}

interface LoadedMachine {
  machine: StateMachine;
  overrides: RunOverrides;
}

type AnyState = { Type: string; Branches?: StateMachineDefinition[]; ItemProcessor?: StateMachineDefinition };

/** Names of every state of `type`, including those inside Parallel branches and Map processors. */
export function stateNames(definition: { States: Record<string, unknown> }, type: string): string[] {
  return Object.entries(definition.States).flatMap(([name, raw]) => {
    const state = raw as AnyState;
    const nested = [...(state.Branches ?? []), ...(state.ItemProcessor ? [state.ItemProcessor] : [])];
    return [
      ...(state.Type === type ? [name] : []),
      ...nested.flatMap((branch) => stateNames(branch as { States: Record<string, unknown> }, type)),
    ];
  });
}

export class LocalWorkflowEngine implements WorkflowEngine {
  private readonly machines = new Map<WorkflowName, LoadedMachine>();
  private readonly executions = new Map<string, Execution>();
  private readonly journal?: ExecutionJournal;
  private journalFrozen = false;
  /** Finished executions, oldest ending first: what the retention forgets first. */
  private readonly finished: { id: string; endedAt: number }[] = [];

  private readonly waitMs: number;
  private readonly queuedWaitMs: number;

  constructor(private readonly options: LocalWorkflowEngineOptions) {
    this.waitMs = options.waitMs ?? 200;
    this.queuedWaitMs = options.queuedWaitMs ?? Math.max(this.waitMs, 200);
    if (options.journalDir) this.journal = new ExecutionJournal(options.journalDir);
    const substitutions = {
      ...integrationSubstitutions('aws'),
      ...Object.fromEntries(
        Object.keys(options.functions).map((name) => [name, `${LOCAL_FUNCTION_ARN}${name}`]),
      ),
    };
    for (const [workflow, file] of Object.entries(WORKFLOW_FILES) as [WorkflowName, string][]) {
      const text = substitute(readFileSync(join(options.statemachineDir, file), 'utf8'), substitutions);
      const definition = JSON.parse(text) as StateMachineDefinition;
      this.machines.set(workflow, {
        machine: new StateMachine(definition),
        overrides: this.overridesOf(definition),
      });
    }
  }

  async start(workflow: WorkflowName, name: string, input: unknown): Promise<StartedExecution> {
    const id = executionIdOf(workflow, name);
    const serialisedInput = JSON.stringify(input);
    const existing = this.executions.get(id);
    // Step Functions answers ExecutionAlreadyExists for a closed execution of the name, and for an
    // open one with another input (a run an earlier version started: its input lacked a field this
    // one adds); the adapter (lambdas/adapters/sfn) points at it so the caller describes it.
    if (existing)
      return {
        executionId: id,
        mayHaveEnded: existing.input !== serialisedInput || existing.result.status !== 'RUNNING',
      };
    this.launch({ id, workflow, input: serialisedInput, result: { status: 'RUNNING' } });
    return { executionId: id, mayHaveEnded: false };
  }

  /**
   * After a crash: every recorded execution is known again (its name stays taken, a finished one
   * answers describe), and every one that had not ended runs again from its first state with its
   * recorded input. Every step is idempotent (docs/DECISIONS.md, "Embedded runtime"), so a
   * re-driven execution converges where the interrupted one would have. Returns the re-driven ids.
   */
  recover(): string[] {
    const redriven: string[] = [];
    const entries = (this.journal?.entries() ?? []).filter((entry) => !this.executions.has(entry.id));
    // A record without endedAt predates retention: it counts as the oldest.
    const endedAt = (entry: JournalEntry) => (entry.endedAt ? Date.parse(entry.endedAt) : 0);
    for (const entry of entries.sort((a, b) => endedAt(a) - endedAt(b))) {
      if (entry.result.status !== 'RUNNING') {
        this.executions.set(entry.id, { ...entry, done: Promise.resolve() });
        this.finished.push({ id: entry.id, endedAt: endedAt(entry) });
        continue;
      }
      const [stateMachine, executionName] = entry.id.split(':').slice(-2);
      this.options.log?.info('workflow re-driven after a restart', { stateMachine, executionName });
      this.launch(entry);
      redriven.push(entry.id);
    }
    this.forgetOldFinished();
    return redriven;
  }

  /** Forgets finished executions past the retention, in memory and in the journal. */
  private forgetOldFinished(): void {
    const { maxFinished, maxAgeMs } = this.options.retention ?? DEFAULT_EXECUTION_RETENTION;
    const oldestKept = (this.options.clock?.() ?? new Date()).getTime() - maxAgeMs;
    for (;;) {
      const oldest = this.finished[0];
      if (!oldest || (this.finished.length <= maxFinished && oldest.endedAt >= oldestKept)) return;
      this.finished.shift();
      this.executions.delete(oldest.id);
      this.journal?.remove(oldest.id);
    }
  }

  /** Records the execution (before its first state runs), then runs it. */
  private launch(record: Omit<Execution, 'done'>): void {
    const entry = this.machines.get(record.workflow);
    if (!entry) throw new Error(`Unknown workflow ${record.workflow}`);
    const execution: Execution = { ...record, done: Promise.resolve() };
    this.journal?.write(record);
    execution.done = this.run(entry, execution, JSON.parse(record.input));
    this.executions.set(record.id, execution);
  }

  async describe(executionId: string): Promise<ExecutionResult> {
    const execution = this.executions.get(executionId);
    if (!execution) throw new Error(`Execution ${executionId} does not exist`);
    return execution.result;
  }

  async find(workflow: WorkflowName, name: string): Promise<ExecutionResult | undefined> {
    return this.executions.get(executionIdOf(workflow, name))?.result;
  }

  /** Resolves when every execution started so far has ended. */
  async idle(): Promise<void> {
    await Promise.all([...this.executions.values()].map((e) => e.done));
  }

  /** Every execution and how it ended (tests and benchmarks). */
  list(): { id: string; workflow: WorkflowName; result: ExecutionResult }[] {
    return [...this.executions.values()].map(({ id, workflow, result }) => ({ id, workflow, result }));
  }

  /** Built once per definition: every Task bound to the dispatcher, Wait and Retry shortened. */
  private overridesOf(definition: StateMachineDefinition): RunOverrides {
    const dispatch = (request: unknown) => this.invoke(request) as Promise<never>;
    const tasks = stateNames(definition, 'Task');
    return {
      taskResourceLocalHandlers: Object.fromEntries(tasks.map((name) => [name, dispatch])),
      waitTimeOverrides: Object.fromEntries(
        stateNames(definition, 'Wait').map((name) => [
          name,
          name.endsWith(QUEUED_WAIT_SUFFIX) ? this.queuedWaitMs : this.waitMs,
        ]),
      ),
      retryIntervalOverrides: Object.fromEntries(
        [...tasks, ...stateNames(definition, 'Parallel')].map((name) => [
          name,
          this.options.retryIntervalMs ?? 50,
        ]),
      ),
    };
  }

  /**
   * Stops recording endings: what fails once the runtime shuts its components down stays RUNNING
   * in the journal, and the next start re-drives it instead of trusting that failure.
   */
  freezeJournal(): void {
    this.journalFrozen = true;
  }

  private async run(entry: LoadedMachine, execution: Execution, input: unknown): Promise<void> {
    try {
      const { result } = entry.machine.run(input as never, {
        overrides: entry.overrides,
        context: { Execution: { Id: execution.id, Name: execution.id.split(':').pop() } },
      });
      execution.result = { status: 'SUCCEEDED', output: await result };
    } catch (error) {
      const failure = (error as Error & { cause?: Error }).cause ?? (error as Error);
      execution.result = { status: 'FAILED', error: failure.name, cause: failure.message };
    }
    if (this.journalFrozen) return;
    const endedAt = this.options.clock?.() ?? new Date();
    this.journal?.write({
      id: execution.id,
      workflow: execution.workflow,
      input: execution.input,
      result: execution.result,
      endedAt: endedAt.toISOString(),
    });
    this.finished.push({ id: execution.id, endedAt: endedAt.getTime() });
    this.forgetOldFinished();
  }

  private async invoke(request: unknown): Promise<{ Payload: unknown; StatusCode: number }> {
    const { FunctionName, Payload } = request as { FunctionName: string; Payload: unknown };
    const name = FunctionName.startsWith(LOCAL_FUNCTION_ARN)
      ? FunctionName.slice(LOCAL_FUNCTION_ARN.length)
      : '';
    const handler = this.options.functions[name];
    if (!handler) throw new Error(`No local function bound to ${FunctionName}`);
    try {
      // A JSON round trip, as Lambda's payload serialisation does (no shared references, no undefined).
      // Each invocation gets its own request id, as Lambda gives it (the step's log lines carry it).
      const context = { functionName: name, awsRequestId: randomUUID() };
      const output = await handler(JSON.parse(JSON.stringify(Payload ?? null)), context);
      return { Payload: output === undefined ? null : JSON.parse(JSON.stringify(output)), StatusCode: 200 };
    } catch (error) {
      const { name: errorType = 'Error', message: errorMessage = '' } = error as Error;
      const lambdaError = new Error(JSON.stringify({ errorType, errorMessage }));
      lambdaError.name = errorType;
      throw lambdaError;
    }
  }
}
