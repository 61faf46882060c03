/**
 * A gateway's push lease (app/storage-ports.ts PushLease): one item in the gateway's partition
 * (`PUSH_LEASE`), so the cascade's purge removes it with the rest. Waiters only read it (a
 * consistent get, 1 RRU); a take is a put conditional on the item read being still the one
 * there, so of two takers of a free lease one wins.
 */
import type { PushLease, PushLeaseStore } from '../../app/storage-ports';
import { pushLeaseFree } from '../../core/push-lease';
import { isConditionalCheckFailure } from './errors';
import { type Key, keys } from './items';
import type { Item, Table } from './table';

const PUSH_LEASE_SK = 'PUSH_LEASE';
const leaseKey = (gatewayId: string): Key => ({ pk: keys.gatewayPartition(gatewayId), sk: PUSH_LEASE_SK });

function toLease(item: Item): PushLease {
  const lease: PushLease = {
    gatewayId: String(item.gatewayId),
    execution: String(item.execution),
    leaseHolder: String(item.leaseHolder),
    gatewayCreatedAt: String(item.gatewayCreatedAt),
    instanceId: String(item.instanceId),
    expiresAt: String(item.expiresAt),
  };
  if (item.commandId === undefined) return lease;
  const command = { commandId: String(item.commandId), generation: Number(item.generation) };
  return { ...lease, ...command, deliveredAt: String(item.deliveredAt) };
}

export class DynamoPushLeaseStore implements PushLeaseStore {
  constructor(private readonly table: Table) {}

  async takePushLease(lease: PushLease, now: string): Promise<PushLease | undefined> {
    const stored = await this.getPushLease(lease.gatewayId);
    if (stored && !pushLeaseFree(stored, lease, now)) {
      return stored.leaseHolder === lease.leaseHolder ? stored : undefined;
    }
    try {
      await this.table.put(
        { ...leaseKey(lease.gatewayId), entity: 'push-lease', ...lease },
        stored ? 'leaseHolder = :holder AND expiresAt = :expiresAt' : 'attribute_not_exists(pk)',
        stored ? { ':holder': stored.leaseHolder, ':expiresAt': stored.expiresAt } : undefined,
      );
      return lease;
    } catch (error) {
      // Another taker read the same item and wrote first: it holds the lease.
      if (isConditionalCheckFailure(error)) return undefined;
      throw error;
    }
  }

  async getPushLease(gatewayId: string): Promise<PushLease | undefined> {
    const item = await this.table.get(leaseKey(gatewayId));
    return item && toLease(item);
  }

  async recordPushLeaseCommand(
    lease: PushLease & Required<Pick<PushLease, 'commandId' | 'generation' | 'deliveredAt'>>,
  ): Promise<void> {
    await this.table.updateIfMatches({
      Key: leaseKey(lease.gatewayId),
      UpdateExpression: 'SET commandId = :commandId, generation = :generation, deliveredAt = :deliveredAt',
      ConditionExpression: 'leaseHolder = :holder AND expiresAt = :expiresAt',
      ExpressionAttributeValues: {
        ':commandId': lease.commandId,
        ':generation': lease.generation,
        ':deliveredAt': lease.deliveredAt,
        ':holder': lease.leaseHolder,
        ':expiresAt': lease.expiresAt,
      },
    });
  }

  async releasePushLease(gatewayId: string, holder: string): Promise<void> {
    await this.table.deleteIfMatches(leaseKey(gatewayId), 'leaseHolder = :holder', { ':holder': holder });
  }
}
