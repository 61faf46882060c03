/**
 * The embedded runtime's own notices (hosts built at start, a crash's leftovers removed, a timer's,
 * the stream poller's or the HTTP front's failure, its access line): one JSON line each, written by
 * a child of the handlers' logger (lambdas/shared/logger.ts), so they have the handlers' shape
 * (`level`, `message`, `timestamp`, `service`, then the notice's own fields), heed
 * POWERTOOLS_LOG_LEVEL, and carry `component: "runtime"` to tell them apart (README, "Logs").
 * What is meant for a person at a terminal stays plain text: the start banner, the CLI tools.
 * Fields are ids, counts and error names and messages: never a token, a key or a request's query.
 */
import { logger } from '../lambdas/shared/logger';

export type NoticeFields = Record<string, unknown>;

/** Where the runtime's parts write their notices: runtimeLog, or a test's recorder. */
export interface RuntimeLog {
  info(message: string, fields?: NoticeFields): void;
  warn(message: string, fields?: NoticeFields): void;
  error(message: string, fields?: NoticeFields): void;
}

const notices = logger.createChild({ persistentKeys: { component: 'runtime' } });

export const runtimeLog: RuntimeLog = {
  info: (message, fields = {}) => notices.info(message, fields),
  warn: (message, fields = {}) => notices.warn(message, fields),
  error: (message, fields = {}) => notices.error(message, fields),
};

/** For callers that print their own account of a run (the benchmarks). */
export const silentLog: RuntimeLog = { info: () => {}, warn: () => {}, error: () => {} };

/** A failure's fields, as the handlers' lines name them (`errorName`, `errorMessage`). */
export function errorFields(error: unknown): { errorName: string; errorMessage: string } {
  return error instanceof Error
    ? { errorName: error.name, errorMessage: error.message }
    : { errorName: typeof error, errorMessage: String(error) };
}
