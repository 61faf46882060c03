/**
 * Wraps a workflow step as a middy Lambda handler: structured logs around each invocation (payload
 * redacted), and the step's typed error rethrown untouched so its `name` reaches the ASL Retry/Catch.
 */
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import { logKeys } from './log-keys';
import { logger, redact } from './logger';

export function stepHandler<Input, Output>(step: string, run: (input: Input) => Promise<Output>) {
  return middy<Input, Output, Error, Context>()
    .use(logKeys(() => ({ step })))
    .handler(async (input) => {
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
}
