/**
 * How the `time` of a "VPN Gateway Deleted" or "Updated" event is judged against what the registry
 * holds (docs/CONTRACT.md#events; docs/DECISIONS.md, "Events of an earlier incarnation"). EventBridge
 * stamps `time` in whole seconds, so times are compared in whole seconds.
 */
import type { GatewayRecord, ReplacedValues } from './types';

const wholeSeconds = (time: string): number => Math.floor(Date.parse(time) / 1000);

/** Whether an event of `time` is older than `applied`: in an earlier second (the same second is not). */
export const isOlder = (time: string, applied: string): boolean => wholeSeconds(time) < wholeSeconds(applied);

type UpdateOrder = Pick<
  GatewayRecord,
  'instanceId' | 'publicKey' | 'updateEventTime' | 'replacedInUpdateSecond'
>;

/**
 * The field (`instanceId`, `publicKey`) an update of `time` would set back to a value that an update
 * of the last applied second replaced, or undefined. Events of one second cannot be ordered, and the
 * replaced value may be the older event's, delivered last: bringing back an instance or key the
 * product just replaced (often because it is compromised) is refused, not guessed
 * (docs/DECISIONS.md, "Same-second updates never bring back a replaced instance or key").
 */
export function revertsWithinSecond(
  time: string,
  gateway: UpdateOrder,
  next: { instanceId: string; publicKey?: string | undefined },
): 'instanceId' | 'publicKey' | undefined {
  const applied = gateway.updateEventTime;
  const replaced = gateway.replacedInUpdateSecond;
  if (applied === undefined || replaced === undefined || wholeSeconds(time) !== wholeSeconds(applied)) {
    return undefined;
  }
  if (next.instanceId !== gateway.instanceId && replaced.instanceIds.includes(next.instanceId))
    return 'instanceId';
  const key = next.publicKey;
  if (key !== undefined && key !== gateway.publicKey && replaced.publicKeys.includes(key)) return 'publicKey';
  return undefined;
}

/**
 * What an update applied with the kept time `time` leaves as `replacedInUpdateSecond`: the instance
 * and key it replaces, after those earlier updates of the same second replaced (none kept from an
 * earlier second). Always a value, so that an upsert replaces the previous second's.
 */
export function replacedWithin(
  time: string,
  existing: UpdateOrder | undefined,
  next: Pick<GatewayRecord, 'instanceId' | 'publicKey'>,
): ReplacedValues {
  const applied = existing?.updateEventTime;
  const sameSecond = applied !== undefined && wholeSeconds(applied) === wholeSeconds(time);
  const earlier = (sameSecond && existing?.replacedInUpdateSecond) || { instanceIds: [], publicKeys: [] };
  const adding = (values: string[], old: string | undefined, value: string) =>
    old === undefined || old === value || values.includes(old) ? values : [...values, old];
  return {
    instanceIds: adding(earlier.instanceIds, existing?.instanceId, next.instanceId),
    publicKeys: adding(earlier.publicKeys, existing?.publicKey, next.publicKey),
  };
}

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
