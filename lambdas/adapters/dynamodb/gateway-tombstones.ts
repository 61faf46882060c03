/**
 * Writes of the `TOMBSTONE#<id>` item (gateway-store.ts) that registrations and repeated deletions
 * share, and its cascade mark (pending, then ended): its stamp, and its times, which tell the id's next incarnation when this one ended
 * (core/event-times.ts incarnationEnd; docs/CONTRACT.md#events).
 */
import { GATEWAY_TOMBSTONE_TTL_SECONDS } from '../../app/ports';
import { incarnationEnd, laterTime } from '../../core/event-times';
import { epochSeconds, keys, SWEEP_INDEX_KEYS } from './items';
import type { Item, Table, TransactItem } from './table';

/**
 * The tombstone's own attributes, set without replacing the item: its lastGeneration stays. Its
 * expiry is not among them: a tombstone whose cascade is pending never expires (TTL would take the
 * pending work and its sweep keys with it), so the expiry is set only on one with no cascade
 * pending (TOMBSTONE_EXPIRY), and counted from the cascade's end (endGatewayCascade).
 */
export const TOMBSTONE_STAMP = 'SET entity = :entity, deletedAt = :deletedAt';

/** TOMBSTONE_STAMP's values for a deletion at `deletedAt`. */
export const tombstoneStamp = (deletedAt: Date): Record<string, unknown> => ({
  ':entity': 'tombstone',
  ':deletedAt': deletedAt.toISOString(),
});

/** Sets the tombstone's TTL (tombstoneExpiry), only ever on one whose cascade is not pending. */
export const TOMBSTONE_EXPIRY = 'expiresAt = :expiresAt';

/** TOMBSTONE_EXPIRY's value: GATEWAY_TOMBSTONE_TTL_SECONDS after `from`. */
export const tombstoneExpiry = (from: Date): Record<string, unknown> => ({
  ':expiresAt': epochSeconds(from) + GATEWAY_TOMBSTONE_TTL_SECONDS,
});

/**
 * The tombstone's `cascadePending`: true from the delete (same transaction) until the cascade of
 * the incarnation deleted at `lastGeneration` ended, then false. Absent on a tombstone written
 * before the mark existed, or on one of an id that was never registered: no cascade waits then.
 */
const CASCADE_NOT_PENDING = '(attribute_not_exists(cascadePending) OR cascadePending = :ended)';

/** A time attribute of the tombstone; undefined when it has none (written before it was kept). */
const timeOf = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** When the incarnation the tombstone stands for ended: its deletedAt or its deleting event's time. */
export const incarnationEndOf = (tombstone: Item): string | undefined =>
  incarnationEnd(timeOf(tombstone.deletedAt), timeOf(tombstone.deletingEventTime));

/**
 * A registration's delete of the id's tombstone, only as it read it (none: still none). A delete
 * of the id committed since has a higher lastGeneration, a cascade that marked an older tombstone
 * (beginGatewayCascade) has it pending, and a "Deleted" event handled since stamped it anew (the
 * end the registration copies must be the latest). Failed: the registration reads again.
 */
export function deleteTombstoneAsRead(
  table: Table,
  gatewayId: string,
  tombstone: Item | undefined,
): TransactItem {
  const key = keys.tombstone(gatewayId);
  if (!tombstone) return table.deleteItem(key, 'attribute_not_exists(pk)');
  const deletedAt = timeOf(tombstone.deletedAt);
  const sameStamp = deletedAt === undefined ? 'attribute_not_exists(deletedAt)' : 'deletedAt = :deletedAt';
  const stampValues = deletedAt === undefined ? {} : { ':deletedAt': deletedAt };
  const last = tombstone.lastGeneration;
  if (typeof last !== 'number') {
    const values = deletedAt === undefined ? undefined : stampValues;
    return table.deleteItem(key, `attribute_not_exists(lastGeneration) AND ${sameStamp}`, values);
  }
  return table.deleteItem(key, `lastGeneration = :last AND ${CASCADE_NOT_PENDING} AND ${sameStamp}`, {
    ':last': last,
    ':ended': false,
    ...stampValues,
  });
}

/**
 * The stamp of an id that holds no gateway (deleted already: a redelivered "Deleted", a retry).
 * Its deletingEventTime becomes the later of the one kept and this one, and its expiry is renewed
 * from `deletedAt` unless its cascade is pending (then it has none: TOMBSTONE_STAMP), both written
 * only over what was read (else the transaction fails and the deletion reads again).
 */
export async function restampTombstone(
  table: Table,
  gatewayId: string,
  deletedAt: Date,
  deletingEventTime: string | undefined,
): Promise<TransactItem> {
  const Key = keys.tombstone(gatewayId);
  const read = await table.get(Key);
  const pending = read?.cascadePending === true;
  const kept = timeOf(read?.deletingEventTime);
  const eventTime = deletingEventTime === undefined ? undefined : laterTime(kept, deletingEventTime);
  const sets = [
    ...(pending ? [] : [TOMBSTONE_EXPIRY]),
    ...(eventTime === undefined ? [] : ['deletingEventTime = :eventTime']),
  ];
  const conditions = [
    pending ? 'cascadePending = :pending' : CASCADE_NOT_PENDING,
    ...(eventTime === undefined
      ? []
      : [kept === undefined ? 'attribute_not_exists(deletingEventTime)' : 'deletingEventTime = :kept']),
  ];
  return table.updateItem({
    Key,
    UpdateExpression: [TOMBSTONE_STAMP, ...sets].join(', '),
    ConditionExpression: conditions.join(' AND '),
    ExpressionAttributeValues: {
      ...tombstoneStamp(deletedAt),
      ...(pending ? { ':pending': true } : { ...tombstoneExpiry(deletedAt), ':ended': false }),
      ...(eventTime === undefined ? {} : { ':eventTime': eventTime }),
      ...(eventTime === undefined || kept === undefined ? {} : { ':kept': kept }),
    },
  });
}

/** The sweep's keys of a pending cascade, from the first time it was marked (sweep-work.ts). */
const SWEEP_SINCE_FIRST = `${SWEEP_INDEX_KEYS[0]} = :sweepShard, ${SWEEP_INDEX_KEYS[1]} = if_not_exists(${SWEEP_INDEX_KEYS[1]}, :now)`;

/**
 * One conditional write on the tombstone: it names `generation` and no cascade of it ended. Sets
 * the mark, so a tombstone written before the mark existed blocks registrations too from here on,
 * and removes such a tombstone's expiry: a pending cascade never expires.
 * No tombstone (the id was registered again), another generation (deleted again since) or an
 * ended cascade: false.
 */
export async function markCascadePending(
  table: Table,
  gatewayId: string,
  generation: number,
  now: Date,
): Promise<boolean> {
  const attributes = await table.updateIfMatches({
    Key: keys.tombstone(gatewayId),
    UpdateExpression: `SET cascadePending = :pending, ${SWEEP_SINCE_FIRST} REMOVE expiresAt`,
    ConditionExpression:
      'lastGeneration = :generation AND (cascadePending = :pending OR attribute_not_exists(cascadePending))',
    ExpressionAttributeValues: {
      ':generation': generation,
      ':pending': true,
      ':sweepShard': keys.sweepShard('cascade', gatewayId),
      ':now': now.toISOString(),
    },
  });
  return attributes !== undefined;
}

/**
 * false, not REMOVE: an ended cascade must stay apart from a tombstone older than the mark. The
 * tombstone's expiry starts now, at the cascade's end (TOMBSTONE_STAMP).
 */
export async function markCascadeEnded(table: Table, gatewayId: string, generation: number, now: Date) {
  await table.updateIfMatches({
    Key: keys.tombstone(gatewayId),
    UpdateExpression: `SET cascadePending = :ended, ${TOMBSTONE_EXPIRY} REMOVE ${SWEEP_INDEX_KEYS.join(', ')}`,
    ConditionExpression: 'lastGeneration = :generation AND cascadePending = :pending',
    ExpressionAttributeValues: {
      ':generation': generation,
      ':pending': true,
      ':ended': false,
      ...tombstoneExpiry(now),
    },
  });
}
