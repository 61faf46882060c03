/** A gateway's push records in memory: applied generation, sent push, push lease, status report. */
import type { PushLease } from '../../app/ports';
import { pushLeaseFree } from '../../core/push-lease';
import type { AppliedGeneration, GatewayStatusReport, SentPush } from '../../core/types';
import { copy, MemoryStore } from './state';

export class MemoryStatusStore extends MemoryStore {
  async recordApplied(applied: AppliedGeneration): Promise<void> {
    const stored = this.applied.get(applied.gatewayId);
    if (!stored || stored.appliedGeneration < applied.appliedGeneration) {
      this.applied.set(applied.gatewayId, copy(applied));
    }
  }

  async getAppliedGeneration(gatewayId: string): Promise<AppliedGeneration | undefined> {
    const applied = this.applied.get(gatewayId);
    return applied && copy(applied);
  }

  async recordPushSent(push: SentPush): Promise<void> {
    const stored = this.pushes.get(push.gatewayId);
    if (!stored || stored.generation < push.generation) this.pushes.set(push.gatewayId, copy(push));
  }

  async getPushSent(gatewayId: string): Promise<SentPush | undefined> {
    const push = this.pushes.get(gatewayId);
    return push && copy(push);
  }

  async takePushLease(lease: PushLease, now: string): Promise<PushLease | undefined> {
    const stored = this.state.pushLeases.get(lease.gatewayId);
    if (stored && !pushLeaseFree(stored, lease, now)) {
      return stored.leaseHolder === lease.leaseHolder ? copy(stored) : undefined;
    }
    this.state.pushLeases.set(lease.gatewayId, copy(lease));
    return copy(lease);
  }

  async getPushLease(gatewayId: string): Promise<PushLease | undefined> {
    const lease = this.state.pushLeases.get(gatewayId);
    return lease && copy(lease);
  }

  async recordPushLeaseCommand(
    lease: PushLease & Required<Pick<PushLease, 'commandId' | 'generation' | 'deliveredAt'>>,
  ): Promise<void> {
    const stored = this.state.pushLeases.get(lease.gatewayId);
    if (stored?.leaseHolder !== lease.leaseHolder || stored.expiresAt !== lease.expiresAt) return;
    const { commandId, generation, deliveredAt } = lease;
    Object.assign(stored, { commandId, generation, deliveredAt });
  }

  async releasePushLease(gatewayId: string, holder: string): Promise<void> {
    if (this.state.pushLeases.get(gatewayId)?.leaseHolder === holder) this.state.pushLeases.delete(gatewayId);
  }

  async putStatusReport(report: GatewayStatusReport): Promise<void> {
    const stored = this.reports.get(report.gatewayId);
    const newer =
      !stored ||
      stored.appliedGeneration < report.appliedGeneration ||
      (stored.appliedGeneration === report.appliedGeneration && stored.reportedAt <= report.reportedAt);
    if (newer) this.reports.set(report.gatewayId, copy(report));
  }

  async putPeriodicReport(report: GatewayStatusReport): Promise<boolean> {
    const stored = this.reports.get(report.gatewayId);
    if (stored && stored.reportedAt > report.reportedAt) return false;
    this.reports.set(report.gatewayId, copy(report));
    return true;
  }

  async getStatusReport(gatewayId: string): Promise<GatewayStatusReport | undefined> {
    const report = this.reports.get(gatewayId);
    return report && copy(report);
  }

  async forgetInstanceReports(gatewayId: string): Promise<void> {
    this.applied.delete(gatewayId);
    this.reports.delete(gatewayId);
  }
}
