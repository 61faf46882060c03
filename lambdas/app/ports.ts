/**
 * Ports: what the use cases need from the outside world. Adapters under lambdas/adapters implement
 * them for AWS (DynamoDB, SSM, S3, Step Functions, EventBridge) and for the embedded runtime.
 * Storage (the Repository and its stores) is in ./storage-ports, re-exported here; this file holds
 * the other services and `Dependencies`.
 */
import type { SecretNames } from './secret-names';
import type { Repository } from './storage-ports';

export * from './storage-ports';

/**
 * Secrets at rest, for the control plane only: S3 objects encrypted with the secrets KMS key on AWS
 * (no per-account count ceiling, docs/DECISIONS.md "Secrets"), a 0600 file tree locally. No gateway
 * instance can read this store; it gets copies through InstanceSecrets.
 */
export interface SecretStore {
  /** Where each kind of secret lives in this store. */
  readonly names: SecretNames;
  /** Writes only when absent, so a retried step never replaces a key already pushed. */
  putIfAbsent(name: string, value: string): Promise<void>;
  get(name: string): Promise<string | undefined>;
  delete(name: string): Promise<void>;
  /**
   * Deletes every secret named under `folder` (a name prefix ending in `/`, e.g.
   * `names.gatewayFolder`), whether or not a record still names it. Idempotent, and what it
   * deleted stays deleted, so a retry after a timeout resumes. On S3 a listing page and one
   * DeleteObjects per 1,000 secrets, not one request each.
   */
  deleteUnder(folder: string): Promise<void>;
}

/** The gateway a document or a secret copy is published for, and the instance serving it. */
export interface InstanceTarget {
  gatewayId: string;
  instanceId: string;
}

/** A published desired-state document: where the instance fetches it, and its digest. */
export interface PublishedState {
  /** `s3://<bucket>/gateways/<gatewayId>/<generation>.json` or the `file://` equivalent. */
  uri: string;
  /** SHA-256 of the document's bytes, lowercase hex: the command carries it, the script checks it. */
  sha256: string;
}

/**
 * Where a gateway's rendered desired state (no secrets) is published for the instance to fetch.
 * Only the target's instance can read it (docs/SECURITY.md).
 */
export interface ConfigStore {
  put(target: InstanceTarget, generation: number, document: string): Promise<PublishedState>;
  /** The document pushed as that generation; undefined when there is none. */
  get(gatewayId: string, generation: number): Promise<string | undefined>;
  /**
   * Deletes the gateway's documents of generations up to `generation` (a deleted gateway's; the
   * same id registered again publishes above it). Idempotent.
   */
  deleteThrough(gatewayId: string, generation: number): Promise<void>;
  /**
   * Deletes the gateway's documents that nothing can read any more: generations below `below` (the
   * generation its instance applied) last written before `writtenBefore` (older than any push can
   * still be in flight: app/status-reports.ts). It looks only at the gateway's lowest
   * DOCUMENT_PRUNE_BATCH documents (one listing page, one batch of deletions), so its cost follows
   * the pushes since the last prune and a backlog goes a batch per call. How many it deleted. Once
   * `signal` is aborted it deletes nothing more (its caller stopped waiting, and a frozen Lambda
   * would otherwise send the deletions at its next thaw, with a stale `writtenBefore`).
   */
  pruneBelow(gatewayId: string, below: number, writtenBefore: Date, signal?: AbortSignal): Promise<number>;
}

/**
 * Copies of the secrets a gateway's document names, readable by that gateway's instance only
 * (docs/SECURITY.md): on AWS objects under `gateways/<gatewayId>/secrets/` tagged with the
 * instance's ARN, locally files under the instance's own directory. Road-warrior private keys are
 * never delivered.
 */
export interface InstanceSecrets {
  /** Delivers `names` (each one the gateway owns: core/secret-scope.ts) for the target's instance. */
  /** SecretMissingError when a named secret is not in the store. */
  deliver(target: InstanceTarget, names: readonly string[]): Promise<void>;
  /** Deletes every copy delivered for the target (its gateway was deleted). Idempotent. */
  withdraw(target: InstanceTarget): Promise<void>;
}

export type CommandStatus =
  | 'Pending'
  | 'InProgress'
  | 'Delayed'
  | 'Success'
  | 'Failed'
  | 'TimedOut'
  | 'Cancelled';

/** Parameters of one config push. Constant size whatever the gateway's peer count. */
export interface ApplyCommand {
  instanceId: string;
  gatewayId: string;
  generation: number;
  stateUri: string;
  /** SHA-256 of the document at stateUri: the script refuses any other bytes. */
  stateSha256: string;
}

/**
 * A deleted gateway's teardown on its instance (gateway/lib/teardown.sh): only what that gateway
 * applied at `generation` (its last desiredGeneration) or below is removed.
 */
export interface TeardownCommand {
  instanceId: string;
  gatewayId: string;
  generation: number;
}

/** SSM Run Command on AWS; local hosts running the same script in the embedded runtime. */
export interface CommandBus {
  send(command: ApplyCommand): Promise<string>;
  /**
   * Sends the teardown command; its outcome is not awaited. Undefined when the instance no longer
   * exists or cannot take commands (terminated): there is nothing left to tear down.
   */
  teardown(command: TeardownCommand): Promise<string | undefined>;
  /**
   * Runs the report command on every gateway instance (on AWS: by tag, one command). Each finished
   * invocation is announced as an "EC2 Command Invocation Status-change Notification".
   */
  requestReports(): Promise<string>;
  /** InvocationNotReadyError while the invocation is not registered yet. */
  get(commandId: string, instanceId: string): Promise<{ status: CommandStatus; output: string }>;
}

/** push-gateway: one gateway's config push, for changes that need no workflow of their own. */
export type WorkflowName = 'create-peering' | 'delete-peering' | 'push-gateway';

export interface ExecutionResult {
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
  output?: unknown;
  error?: string;
  cause?: string;
}

/** What a start by name found. */
export interface StartedExecution {
  executionId: string;
  /**
   * False when this start ran the execution, or joined it while it was open (same name and input):
   * it is RUNNING. True when the name was already taken by an execution that may have ended (Step
   * Functions answers ExecutionAlreadyExists for a closed one, whatever its input): describe it.
   */
  mayHaveEnded: boolean;
}

/** Step Functions on AWS; the ASL interpreter in the embedded runtime. */
export interface WorkflowEngine {
  /** Same name + same input: the existing execution (Step Functions semantics). */
  start(workflow: WorkflowName, name: string, input: unknown): Promise<StartedExecution>;
  describe(executionId: string): Promise<ExecutionResult>;
  /** How the execution of that name is doing; undefined when none was ever started. */
  find(workflow: WorkflowName, name: string): Promise<ExecutionResult | undefined>;
}

export type AuditDetailType =
  | 'VPC Peering Created'
  | 'VPC Peering Activated'
  | 'VPC Peering Failed'
  | 'VPC Peering Deleted'
  /** The sweep restarted the workflow of a peering left PROVISIONING or DELETING (app/sweeper.ts). */
  | 'VPC Peering Re-driven'
  /** The sweep ran the cascade of a deleted gateway the stream did not finish (app/sweeper.ts). */
  | 'Gateway Cascade Re-driven'
  | 'Gateway Peer Walk Re-driven';

/** Audit events on the default bus, source `vpc.peering`. */
export interface AuditPublisher {
  publish(detailType: AuditDetailType, detail: Record<string, unknown>): Promise<void>;
}

export interface Dependencies {
  repository: Repository;
  secrets: SecretStore;
  configStore: ConfigStore;
  instanceSecrets: InstanceSecrets;
  commands: CommandBus;
  workflows: WorkflowEngine;
  audit: AuditPublisher;
  clock: () => Date;
}
