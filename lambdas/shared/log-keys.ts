/**
 * A middy middleware that starts each invocation with fresh log keys. Lambda gives each function
 * its own process, but the embedded runtime runs every handler in one, where keys would leak.
 */
import type { MiddlewareObj } from '@middy/core';
import { logger } from './logger';

export function logKeys<Event>(keysOf: (event: Event) => Record<string, string>): MiddlewareObj<Event> {
  return {
    before: (request) => {
      logger.resetKeys();
      logger.appendKeys(keysOf(request.event));
    },
  };
}
