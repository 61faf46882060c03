/**
 * Wraps a workflow step as a middy Lambda handler: structured logs around each invocation (payload
 * redacted), and the step's typed error rethrown untouched so its `name` reaches the ASL Retry/Catch.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, redact, withLogKeys } from './logger';

/**
 * What every Task's Payload carries besides the step's own input (statemachine/states.ts lambdaTask): the
 * execution's name (`$$.Execution.Name`) and, in the peering workflows, the peering id where the
 * step's input does not name it (the pushes). Taken off before the step runs.
 */
export interface StepCorrelation {
  executionName?: string;
  peeringId?: string;
}

export function stepHandler<Input, Output>(step: string, run: (input: Input) => Promise<Output>) {
  return middy<Input & { correlation?: StepCorrelation }, Output, Error, Context>().handler(
    async ({ correlation, ...payload }, context) => {
      const input = payload as Input;
      // On every line this invocation writes, the step's own and its use cases' alike, so one
      // peering can be followed from the API through the workflow to the push (README, "Logs").
      return withLogKeys({ step, ...correlationOf(input, correlation, context) }, async () => {
        logger.info('step started', { input: redact(input) as Record<string, unknown> });
        try {
          const output = await run(input);
          logger.info('step finished');
          return output;
        } catch (error) {
          const { name, message } = error as Error;
          logger.warn('step failed', { errorName: name, errorMessage: message });
          throw error;
        }
      });
    },
  );
}

/** The ids the step acts on (peeringId, gatewayId), its execution's name and the invocation's request id. */
function correlationOf(
  input: unknown,
  correlation: StepCorrelation | undefined,
  context: Context | undefined,
): Record<string, string> {
  const fields = { ...correlation, ...(typeof input === 'object' && input !== null ? input : {}) } as Record<
    string,
    unknown
  >;
  const ids: Record<string, string> = {};
  for (const key of ['peeringId', 'gatewayId', 'executionName'] as const) {
    if (typeof fields[key] === 'string') ids[key] = fields[key];
  }
  if (context?.awsRequestId) ids.awsRequestId = context.awsRequestId;
  return ids;
}
