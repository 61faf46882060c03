/** Step Functions: start a workflow named by an idempotency key, and read how it ended. */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import type { ExecutionResult, StartedExecution, WorkflowEngine, WorkflowName } from '../../app/ports';
import { resolve } from '../../shared/deps';
import { env } from '../../shared/env';
import { boundedClientConfig } from '../sdk-client';
import { toTransient, transientOn } from '../transient';

export class StepFunctionsEngine implements WorkflowEngine {
  constructor(
    private readonly client: SFNClient,
    private readonly stateMachineArns: Record<WorkflowName, () => string>,
  ) {}

  async start(workflow: WorkflowName, name: string, input: unknown): Promise<StartedExecution> {
    const stateMachineArn = this.stateMachineArns[workflow]();
    try {
      const result = await this.client.send(
        new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify(input) }),
      );
      if (!result.executionArn) throw new Error('StartExecution returned no executionArn');
      // Started, or an open execution of this name and input joined: running either way.
      return { executionId: result.executionArn, mayHaveEnded: false };
    } catch (error) {
      // A closed execution of this name (or an open one with another input, which no caller
      // makes: names follow from inputs): the caller meant that execution, so point at it.
      if (error instanceof ExecutionAlreadyExists)
        return { executionId: executionArnOf(stateMachineArn, name), mayHaveEnded: true };
      throw toTransient('Step Functions', error);
    }
  }

  async describe(executionId: string): Promise<ExecutionResult> {
    const result = await transientOn('Step Functions', () =>
      this.client.send(new DescribeExecutionCommand({ executionArn: executionId })),
    );
    return {
      status: (result.status ?? 'RUNNING') as ExecutionResult['status'],
      output: result.output ? JSON.parse(result.output) : undefined,
      error: result.error,
      cause: result.cause,
    };
  }

  async find(workflow: WorkflowName, name: string): Promise<ExecutionResult | undefined> {
    try {
      return await this.describe(executionArnOf(this.stateMachineArns[workflow](), name));
    } catch (error) {
      if (error instanceof ExecutionDoesNotExist) return undefined;
      throw error;
    }
  }
}

/** arn:aws:states:r:a:stateMachine:M → arn:aws:states:r:a:execution:M:name */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}

export const workflowEngine = () =>
  resolve(
    'workflows',
    () =>
      new StepFunctionsEngine(new SFNClient(boundedClientConfig('SFN')), {
        'create-peering': env.createPeeringStateMachineArn,
        'delete-peering': env.deletePeeringStateMachineArn,
        'push-gateway': env.pushGatewayStateMachineArn,
      }),
  );
