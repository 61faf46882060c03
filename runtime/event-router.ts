/**
 * The embedded runtime's EventBridge: takes a `PutEvents` body (from `POST /local/events`), turns
 * each entry into the event EventBridge would deliver, and hands it to every route whose pattern
 * matches, with the same patterns the CDK rules use. Delivery is synchronous and at-least-once: a
 * failing handler is retried a few times, then its entry is reported as failed.
 */
import { randomUUID } from 'node:crypto';
import type { EventBridgeEvent } from 'aws-lambda';
import { ValidationError } from '../lambdas/core/errors';
import { type EventPattern, matchesPattern } from '../lambdas/shared/event-patterns';
import { retry } from '../lambdas/shared/retry';

export interface EventRoute {
  pattern: EventPattern;
  handler: (event: EventBridgeEvent<string, unknown>) => Promise<unknown>;
}

export type PutEventsResultEntry = { EventId: string } | { ErrorCode: string; ErrorMessage: string };

export interface PutEventsResult {
  FailedEntryCount: number;
  Entries: PutEventsResultEntry[];
}

export interface EventRouter {
  putEvents(body: unknown): Promise<PutEventsResult>;
}

export interface EventRouterOptions {
  /** Deliveries per matching route before the entry is reported failed. */
  attempts?: number;
  /** Pause before retry n is n times this. */
  retryDelayMs?: number;
}

interface PutEventsEntry {
  Source: string;
  DetailType: string;
  Detail: unknown;
  Resources: string[];
}

/** EventBridge's own limits on a PutEvents call. */
const MAX_ENTRIES = 10;
const MAX_ENTRY_BYTES = 256 * 1024;
const LOCAL_ACCOUNT = '000000000000';
const LOCAL_REGION = 'us-east-1';

export function createEventRouter(routes: EventRoute[], options: EventRouterOptions = {}): EventRouter {
  const attempts = options.attempts ?? 3;
  const retryDelayMs = options.retryDelayMs ?? 100;

  async function deliver(event: EventBridgeEvent<string, unknown>): Promise<PutEventsResultEntry> {
    // An event no rule matches is still accepted, as on AWS.
    for (const route of routes.filter((r) => matchesPattern(r.pattern, event))) {
      try {
        await retry(() => route.handler(event), { attempts, delayMs: (attempt) => retryDelayMs * attempt });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return { ErrorCode: 'InternalFailure', ErrorMessage: message };
      }
    }
    return { EventId: event.id };
  }

  return {
    async putEvents(body) {
      // The whole body is validated first, so a malformed entry delivers nothing at all.
      const entries = parsePutEventsBody(body);
      const results: PutEventsResultEntry[] = [];
      for (const entry of entries) results.push(await deliver(toEvent(entry)));
      return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
    },
  };
}

function toEvent(entry: PutEventsEntry): EventBridgeEvent<string, unknown> {
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': entry.DetailType,
    source: entry.Source,
    account: LOCAL_ACCOUNT,
    // EventBridge stamps whole seconds.
    time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: LOCAL_REGION,
    resources: entry.Resources,
    detail: entry.Detail,
  };
}

function parsePutEventsBody(body: unknown): PutEventsEntry[] {
  if (!isObject(body)) throw new ValidationError('must be a JSON object', 'body');
  const entries = body.Entries;
  if (!Array.isArray(entries) || entries.length === 0 || entries.length > MAX_ENTRIES) {
    throw new ValidationError(`must be an array of 1 to ${MAX_ENTRIES} entries`, 'Entries');
  }
  return entries.map((entry, index) => parseEntry(entry, `Entries[${index}]`));
}

function parseEntry(entry: unknown, field: string): PutEventsEntry {
  if (!isObject(entry)) throw new ValidationError('must be an object', field);
  const Source = nonEmptyString(entry.Source, `${field}.Source`);
  const DetailType = nonEmptyString(entry.DetailType, `${field}.DetailType`);
  const rawDetail = nonEmptyString(entry.Detail, `${field}.Detail`);
  if (Buffer.byteLength(rawDetail, 'utf8') > MAX_ENTRY_BYTES) {
    throw new ValidationError(`must be at most ${MAX_ENTRY_BYTES} bytes`, `${field}.Detail`);
  }
  let Detail: unknown;
  try {
    Detail = JSON.parse(rawDetail);
  } catch {
    throw new ValidationError('must be a JSON object encoded as a string', `${field}.Detail`);
  }
  // EventBridge refuses a Detail that is not a JSON object.
  if (!isObject(Detail))
    throw new ValidationError('must be a JSON object encoded as a string', `${field}.Detail`);
  return { Source, DetailType, Detail, Resources: parseResources(entry.Resources, `${field}.Resources`) };
}

function parseResources(value: unknown, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((r) => typeof r === 'string')) {
    throw new ValidationError('must be an array of strings', field);
  }
  return value;
}

function nonEmptyString(value: unknown, field: string): string {
  if (typeof value !== 'string' || value.length === 0)
    throw new ValidationError('must be a non-empty string', field);
  return value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
