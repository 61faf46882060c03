/**
 * A config push: render the gateway's whole desired state at its current generation, publish it,
 * and send one constant-size command to its instance. Used by every workflow's PushConfig step
 * (push-gateway serves the API's road-warrior routes and the gateway event handler), so every change
 * reaches a gateway the same way.
 */

import { CommandFailedError } from '../core/errors';
import { renderGatewayState, serialiseState } from '../core/render';
import { instanceSecretNames } from '../core/secret-scope';
import { parseInstanceReport } from '../core/status';
import type { Dependencies } from './ports';
import { recordInstanceReport } from './status-reports';

export interface PushTicket {
  gatewayId: string;
  instanceId: string;
  commandId: string;
  generation: number;
  polls: number;
}

type PushDeps = Pick<Dependencies, 'repository' | 'configStore' | 'instanceSecrets' | 'commands'>;

/** Undefined when the gateway no longer exists (nothing to push to). */
export async function pushGatewayConfig(d: PushDeps, gatewayId: string): Promise<PushTicket | undefined> {
  // Read the gateway (its generation) before its peers: a document labelled g then holds at
  // least every change up to g, so refusing older generations on the instance is always safe.
  const gateway = await d.repository.getGateway(gatewayId);
  if (!gateway) return undefined;
  const peers = await d.repository.listPeers(gatewayId);
  const generation = gateway.desiredGeneration;
  const state = renderGatewayState(gateway, peers, generation);
  const target = { gatewayId, instanceId: gateway.instanceId };
  // Copies for this instance only, before the command that needs them (docs/SECURITY.md).
  await d.instanceSecrets.deliver(target, instanceSecretNames(state));
  const published = await d.configStore.put(target, generation, serialiseState(state));
  const commandId = await d.commands.send({
    ...target,
    generation,
    stateUri: published.uri,
    stateSha256: published.sha256,
  });
  return { gatewayId, instanceId: gateway.instanceId, commandId, generation, polls: 0 };
}

export type PushProgress = { done: false; ticket: PushTicket } | { done: true; appliedGeneration: number };

/**
 * One poll of a push. On success the instance's report is recorded (app/status-reports.ts).
 * Throws InvocationNotReadyError (retry), CommandFailedError (failed, timed out, cancelled, no
 * report, or still running after `maxPolls`).
 */
export async function checkPush(
  d: Pick<Dependencies, 'repository' | 'commands' | 'clock'>,
  ticket: PushTicket,
  maxPolls: number,
): Promise<PushProgress> {
  const { status, output } = await d.commands.get(ticket.commandId, ticket.instanceId);
  if (status === 'Success') {
    const report = parseInstanceReport(output);
    if (!report) throw new CommandFailedError(`Config push to ${ticket.instanceId} returned no report`);
    // The ticket names the gateway: a push's report is never trusted to name another one.
    await recordInstanceReport(d, { ...report, gatewayId: ticket.gatewayId });
    return { done: true, appliedGeneration: report.appliedGeneration };
  }
  if (status === 'Failed' || status === 'TimedOut' || status === 'Cancelled') {
    throw new CommandFailedError(`Config push to ${ticket.instanceId} ended ${status}`);
  }
  const polls = ticket.polls + 1;
  if (polls >= maxPolls) {
    throw new CommandFailedError(`Config push to ${ticket.instanceId} did not finish after ${polls} polls`);
  }
  return { done: false, ticket: { ...ticket, polls } };
}
