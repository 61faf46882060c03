/**
 * How the `time` of a "VPN Gateway Deleted" or "Updated" event is judged against what the registry
 * holds (docs/CONTRACT.md#events; docs/DECISIONS.md, "Events of an earlier incarnation"). EventBridge
 * stamps `time` in whole seconds, so times are compared in whole seconds.
 */
import type { GatewayRecord } from './types';

const wholeSeconds = (time: string): number => Math.floor(Date.parse(time) / 1000);

/** Whether an event of `time` is older than `applied`: in an earlier second (the same second is not). */
export const isOlder = (time: string, applied: string): boolean => wholeSeconds(time) < wholeSeconds(applied);

/**
 * Whether an event of `time` belongs to an incarnation of the id that ended before `gateway` was
 * registered: stamped at or before the second its predecessor ended (`priorIncarnationEndedAt`).
 * The redelivered "Deleted" that ended it carries exactly that time, a late "Updated" an earlier
 * one; an event of `gateway` itself is stamped after it (the predecessor's cascade lies between).
 * A gateway without a predecessor known to its tombstone has nothing to compare: false.
 */
export const predatesIncarnation = (
  time: string,
  gateway: Pick<GatewayRecord, 'priorIncarnationEndedAt'>,
): boolean =>
  gateway.priorIncarnationEndedAt !== undefined &&
  wholeSeconds(time) <= wholeSeconds(gateway.priorIncarnationEndedAt);

/** The later of two times, by instant whatever their precision; either may be absent. */
export function laterTime(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Date.parse(b) > Date.parse(a) ? b : a;
}

/**
 * When a deleted incarnation ended, from its tombstone: the later of its `deletedAt` (the control
 * plane's clock) and the `time` of the "Deleted" event that deleted it (the product's clock; none
 * after an API deletion). Kept as the later so that each clock is compared with its own times where
 * it can be: the redelivered event with its own `time`, whatever the skew.
 */
export const incarnationEnd = (deletedAt: string | undefined, deletingEventTime: string | undefined) =>
  laterTime(deletedAt, deletingEventTime);
