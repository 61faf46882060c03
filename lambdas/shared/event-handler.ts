/**
 * The shape of an EventBridge rule target: a logger child per invocation (the embedded runtime runs
 * invocations concurrently in one process) and a rejected event logged with its content redacted,
 * then thrown, so on AWS it lands in the rule's dead-letter queue instead of vanishing.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import middy from '@middy/core';
import type { Context, EventBridgeEvent } from 'aws-lambda';
import { ValidationError } from '../core/errors';
import { logger, redact } from './logger';

export type RuleEvent = EventBridgeEvent<string, unknown>;

/** `what` names the events in the rejection log line ("gateway event", "status event"). */
export function eventRuleHandler(
  what: string,
  route: (event: RuleEvent, log: Logger, context: Context) => Promise<void>,
) {
  return middy<RuleEvent, void, Error, Context>().handler(async (event, context) => {
    const log = logger.createChild({ persistentKeys: { eventId: event.id } });
    try {
      await route(event, log, context);
    } catch (error) {
      if (error instanceof ValidationError) {
        log.error(`rejected ${what}`, {
          error: error.message,
          event: redact(event) as Record<string, unknown>,
        });
      }
      throw error;
    }
  });
}
