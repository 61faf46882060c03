/**
 * What the instances report, on the gateway partition: `APPLIED` (the generation each push
 * applied; a few bytes, so recording a delta push costs one write unit whatever the peer count)
 * and `STATUS` (the latest live peer list); and `PUSH`, the newest push sent (app/push.ts records
 * it). All three are monotonic: pushes and reports finish out of
 * order, and an older one must never replace a newer one. `APPLIED` and `PUSH` go by generation;
 * `STATUS` by generation for a push's report, by time for a periodic one (putPeriodicReport).
 */
import type { StatusStore } from '../../app/ports';
import type { AppliedGeneration, GatewayStatusReport, SentPush } from '../../core/types';
import {
  appliedItem,
  keys,
  pushItem,
  statusItem,
  toAppliedGeneration,
  toSentPush,
  toStatusReport,
} from './items';
import type { Table } from './table';

export class DynamoStatusStore implements StatusStore {
  constructor(private readonly table: Table) {}

  /** The same generation reported again (a retried push, a periodic report) keeps its first `appliedAt`. */
  async recordApplied(applied: AppliedGeneration): Promise<void> {
    await this.table.putIfNewer(appliedItem(applied), 'appliedGeneration < :generation', {
      ':generation': applied.appliedGeneration,
    });
  }

  async getAppliedGeneration(gatewayId: string): Promise<AppliedGeneration | undefined> {
    const item = await this.table.get(keys.applied(gatewayId));
    return item && toAppliedGeneration(item);
  }

  async recordPushSent(push: SentPush): Promise<void> {
    await this.table.putIfNewer(pushItem(push), 'generation < :generation', {
      ':generation': push.generation,
    });
  }

  async getPushSent(gatewayId: string): Promise<SentPush | undefined> {
    const item = await this.table.get(keys.push(gatewayId));
    return item && toSentPush(item);
  }

  /**
   * By the generation the peers were listed at, then by time (a periodic report and a push's
   * report of the same generation may be stored out of order).
   */
  async putStatusReport(report: GatewayStatusReport): Promise<void> {
    await this.table.putIfNewer(
      statusItem(report),
      'appliedGeneration < :generation OR (appliedGeneration = :generation AND reportedAt <= :reportedAt)',
      { ':generation': report.appliedGeneration, ':reportedAt': report.reportedAt },
    );
  }

  /** By time alone: a later report of a lower generation is an instance that went back. */
  async putPeriodicReport(report: GatewayStatusReport): Promise<boolean> {
    return this.table.putIfNewer(statusItem(report), 'reportedAt <= :reportedAt', {
      ':reportedAt': report.reportedAt,
    });
  }

  async getStatusReport(gatewayId: string): Promise<GatewayStatusReport | undefined> {
    const item = await this.table.get(keys.status(gatewayId));
    return item && toStatusReport(item);
  }

  async forgetInstanceReports(gatewayId: string): Promise<void> {
    await this.table.batchDelete([keys.applied(gatewayId), keys.status(gatewayId)]);
  }
}
