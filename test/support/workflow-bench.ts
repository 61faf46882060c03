/**
 * Workflow test bench: the real ASL files on the interpreter, the real step handlers, the in-memory
 * repository (the DynamoDB one passes the same contract: test/contract), the file secret and config stores, and local gateway hosts running the real gateway
 * script in files-only mode. Every step's payload and result is recorded so tests can check that
 * no secret ever crosses the workflow.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { FileConfigStore } from '../../lambdas/adapters/local/file-config-store';
import { FileInstanceSecrets } from '../../lambdas/adapters/local/file-instance-secrets';
import { FileSecretStore } from '../../lambdas/adapters/local/file-secret-store';
import { MemoryAudit } from '../../lambdas/adapters/local/memory-audit';
import { MemoryRepository, MemoryState } from '../../lambdas/adapters/memory/repository';
import { configStore } from '../../lambdas/adapters/s3';
import type { CommandBus, Repository, WorkflowEngine, WorkflowName } from '../../lambdas/app/ports';
import { generatePresharedKey } from '../../lambdas/core/key-format';
import type { GatewayRecord, Peering } from '../../lambdas/core/types';
import { provideDependencies, resetDependencies } from '../../lambdas/shared/deps';
import { LocalCommandBus, LocalHosts } from '../../runtime/hosts';
import { STEP_FUNCTIONS } from '../../runtime/step-functions';
import { type LambdaHandler, LocalWorkflowEngine } from '../../runtime/workflow-engine';
import { gatewayWithKey } from './gateways';
import { newPeering } from './records';

export interface StepCall {
  step: string;
  payload: unknown;
  result?: unknown;
  error?: string;
}

export interface WorkflowBench {
  repository(): Repository;
  /** The addresses a gateway's tunnel subnet has given out, by holder (peer name). */
  addressesHeld(gatewayId: string): string[];
  secrets(): FileSecretStore;
  hosts(): LocalHosts;
  commands(): LocalCommandBus;
  audit(): MemoryAudit;
  calls: StepCall[];
  /** A new engine; `wrap` may replace any step function (fault injection). */
  engine(wrap?: Partial<Record<string, (real: LambdaHandler) => LambdaHandler>>): LocalWorkflowEngine;
  /** Registers an ACTIVE gateway with a generated key pair. */
  gateway(overrides?: Partial<GatewayRecord>): Promise<GatewayRecord>;
  /**
   * Stores a peering of the two as Allocate leaves it, its preshared key included: a push of either
   * gateway then renders (without the key every push fails on SecretMissingError, and its retries
   * cost seconds).
   */
  peering(local: GatewayRecord, remote: GatewayRecord): Promise<Peering>;
  /**
   * The gateway's desired and applied generations as a point-in-time restore of the table leaves
   * them: back at `generation`, while its host keeps what it applied (README "Restoring the table").
   */
  restoreTableTo(gatewayId: string, generation: number): void;
  /** Uses another command bus (the SSM adapter on a mocked client). */
  useCommands(commands: CommandBus): void;
  /** What the API's road-warrior routes take, on this bench and `workflows`. */
  apiDeps(workflows: WorkflowEngine): {
    repository: Repository;
    secrets: FileSecretStore;
    workflows: WorkflowEngine;
    configStore: ReturnType<typeof configStore>;
    clock: () => Date;
  };
}

export function useWorkflowBench(): WorkflowBench {
  const state = new MemoryState();
  let dir = '';
  let hosts: LocalHosts | undefined;
  let commands: LocalCommandBus | undefined;
  let secrets: FileSecretStore | undefined;
  let instanceSecrets: FileInstanceSecrets | undefined;
  let audit: MemoryAudit | undefined;
  const calls: StepCall[] = [];

  beforeAll(() => {
    // Waits are shortened to 50 ms here; a poll bound of ~100 s of waiting keeps a loaded CI machine
    // from failing pushes that are merely queued (on AWS: 60 polls of 2 s).
    process.env.COMMAND_MAX_POLLS = '2000';
    dir = mkdtempSync(join(tmpdir(), 'vpc-peering-workflow-'));
    secrets = new FileSecretStore(join(dir, 'secrets'));
    instanceSecrets = new FileInstanceSecrets(secrets, join(dir, 'instance-secrets'));
    const delivery = instanceSecrets;
    hosts = new LocalHosts({
      dataDir: dir,
      secretsDir: join(dir, 'secrets'),
      secretsDirOf: (instanceId) => delivery.directoryOf(instanceId),
      mode: 'files',
    });
  });

  beforeEach(() => {
    resetDependencies();
    const repository = new MemoryRepository({}, state);
    audit = new MemoryAudit();
    commands = new LocalCommandBus(defined(hosts), (id) => repository.getGateway(id));
    provideDependencies({
      repository,
      secrets,
      instanceSecrets,
      configStore: new FileConfigStore(join(dir, 'config')),
      commands,
      audit,
    });
    calls.length = 0;
  });

  afterAll(async () => {
    resetDependencies();
    await hosts?.teardown();
    rmSync(dir, { recursive: true, force: true });
  });

  const recorded =
    (step: string, fn: LambdaHandler): LambdaHandler =>
    async (payload, context) => {
      const call: StepCall = { step, payload };
      calls.push(call);
      try {
        call.result = await fn(payload, context);
        return call.result;
      } catch (error) {
        call.error = (error as Error).name;
        throw error;
      }
    };

  return {
    repository: () => new MemoryRepository({}, state),
    addressesHeld: (gatewayId) => [...(state.addresses.get(gatewayId)?.keys() ?? [])],
    secrets: () => defined(secrets),
    hosts: () => defined(hosts),
    commands: () => defined(commands),
    audit: () => defined(audit),
    calls,
    engine: (wrap = {}) =>
      new LocalWorkflowEngine({
        statemachineDir: resolve(__dirname, '../../statemachine'),
        functions: Object.fromEntries(
          Object.entries(STEP_FUNCTIONS).map(([name, fn]) => {
            const wrapper = wrap[name];
            return [name, recorded(name, wrapper ? wrapper(fn) : fn)];
          }),
        ),
        waitMs: 50,
        retryIntervalMs: 10,
      }),
    gateway: async (overrides = {}) => {
      const { record } = await gatewayWithKey(defined(secrets), overrides);
      await new MemoryRepository({}, state).createGateway(record);
      return record;
    },
    peering: async (local, remote) => {
      const request = newPeering(local, remote);
      await defined(secrets).putIfAbsent(request.presharedKeyParam, generatePresharedKey());
      return new MemoryRepository({}, state).createPeering(request);
    },
    restoreTableTo: (gatewayId, generation) => {
      const stored = state.gateways.get(gatewayId);
      const applied = state.applied.get(gatewayId);
      if (!stored || !applied) throw new Error(`restoreTableTo: ${gatewayId} was never pushed`);
      stored.record = { ...stored.record, desiredGeneration: generation };
      state.applied.set(gatewayId, { ...applied, appliedGeneration: generation });
    },
    useCommands: (bus) => provideDependencies({ commands: bus }),
    apiDeps: (workflows) => ({
      repository: new MemoryRepository({}, state),
      secrets: defined(secrets),
      workflows,
      configStore: configStore(),
      clock: () => new Date(),
    }),
  };
}

function defined<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('workflow bench used outside a test');
  return value;
}

/** Starts an execution and waits for it to end. */
export async function runToEnd(
  engine: LocalWorkflowEngine,
  workflow: WorkflowName,
  name: string,
  input: unknown,
) {
  const { executionId } = await engine.start(workflow, name, input);
  await engine.idle();
  return engine.describe(executionId);
}
