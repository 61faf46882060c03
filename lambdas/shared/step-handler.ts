/**
 * Wraps a workflow step as a middy Lambda handler: structured logs around each invocation (payload
 * redacted), and the step's typed error rethrown untouched so its `name` reaches the ASL Retry/Catch.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logger, redact } from './logger';

export function stepHandler<Input, Output>(step: string, run: (input: Input) => Promise<Output>) {
  // A child logger per step, never per-invocation keys on the shared one: the embedded runtime
  // runs many invocations concurrently in one process.
  const stepLog = logger.createChild({ persistentKeys: { step } });
  return middy<Input, Output, Error, Context>().handler(async (input, context) => {
    // Correlation ids on every line of this invocation, so one peering can be followed from the
    // API through the workflow to the push (README, "Logs").
    const log = stepLog.createChild({ persistentKeys: correlationOf(input, context) });
    log.info('step started', { input: redact(input) as Record<string, unknown> });
    try {
      const output = await run(input);
      log.info('step finished');
      return output;
    } catch (error) {
      const { name, message } = error as Error;
      log.warn('step failed', { errorName: name, errorMessage: message });
      throw error;
    }
  });
}

/** The ids a step's input carries (peeringId, gatewayId), and the invocation's request id. */
function correlationOf(input: unknown, context: Context | undefined): Record<string, string> {
  const fields = (typeof input === 'object' && input !== null ? input : {}) as Record<string, unknown>;
  const ids: Record<string, string> = {};
  for (const key of ['peeringId', 'gatewayId'] as const) {
    if (typeof fields[key] === 'string') ids[key] = fields[key];
  }
  if (context?.awsRequestId) ids.awsRequestId = context.awsRequestId;
  return ids;
}
