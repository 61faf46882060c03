/**
 * Gateway status (DESIGN §3.2 status route) comes from two kinds of report:
 * - every push records the generation its instance applied (one small item, whatever the peers);
 * - the live peer list (handshakes, bytes) comes with full applies and with the periodic report
 *   every gateway instance is asked for (a schedule on AWS, a timer in the embedded runtime), since
 *   a delta apply lists no peers: its cost must follow the change (docs/DECISIONS.md, "Status reports").
 */
import { boundedStatusReport, parseInstanceReport } from '../core/status';
import type { InstanceReport } from '../core/types';
import type { Dependencies } from './ports';

type ReportDeps = Pick<Dependencies, 'repository' | 'clock'>;

/** Stores what an instance reported: its applied generation, and its peers when it listed them. */
export async function recordInstanceReport(d: ReportDeps, report: InstanceReport): Promise<void> {
  const at = d.clock().toISOString();
  const { gatewayId, appliedGeneration, mode, peers } = report;
  await d.repository.recordApplied({ gatewayId, appliedGeneration, appliedAt: at });
  if (peers) {
    await d.repository.putStatusReport(
      boundedStatusReport({ gatewayId, appliedGeneration, mode, peers, reportedAt: at }),
    );
  }
}

/** Asks every gateway instance for its live report; each answer arrives as its own notification. */
export async function requestStatusReports(d: Pick<Dependencies, 'commands'>): Promise<string> {
  return d.commands.requestReports();
}

export type StoredReport =
  | { stored: true; gatewayId: string }
  | { stored: false; reason: 'not-succeeded' | 'no-report' | 'unknown-gateway' | 'wrong-instance' };

/**
 * Stores the report of one finished report invocation. The report names its gateway, and is
 * stored only if that gateway is served by the instance that sent it: an instance can never write
 * another gateway's status. Anything else is dropped (the next period brings a new report).
 */
export async function storeStatusReport(
  d: Pick<Dependencies, 'repository' | 'commands' | 'clock'>,
  invocation: { commandId: string; instanceId: string },
): Promise<StoredReport> {
  const { status, output } = await d.commands.get(invocation.commandId, invocation.instanceId);
  if (status !== 'Success') return { stored: false, reason: 'not-succeeded' };
  const report = parseInstanceReport(output);
  if (!report?.peers) return { stored: false, reason: 'no-report' };
  const gateway = await d.repository.getGateway(report.gatewayId);
  if (!gateway) return { stored: false, reason: 'unknown-gateway' };
  if (gateway.instanceId !== invocation.instanceId) return { stored: false, reason: 'wrong-instance' };
  await recordInstanceReport(d, report);
  return { stored: true, gatewayId: gateway.id };
}
