/**
 * A config push: render the gateway's whole desired state at its current generation, publish it,
 * and send one constant-size command to its instance. Used by every workflow's PushConfig step
 * (push-gateway serves the API's road-warrior routes and the gateway event handler), so every change
 * reaches a gateway the same way.
 */

import { CommandFailedError } from '../core/errors';
import { renderGatewayState, serialiseState } from '../core/render';
import { boundedStatusReport } from '../core/status';
import type { GatewayStatusReport } from '../core/types';
import type { Dependencies } from './ports';

export interface PushTicket {
  gatewayId: string;
  instanceId: string;
  commandId: string;
  generation: number;
  polls: number;
}

type PushDeps = Pick<Dependencies, 'repository' | 'configStore' | 'commands'>;

/** Undefined when the gateway no longer exists (nothing to push to). */
export async function pushGatewayConfig(d: PushDeps, gatewayId: string): Promise<PushTicket | undefined> {
  // Read the gateway (its generation) before its peers: a document labelled g then holds at
  // least every change up to g, so refusing older generations on the instance is always safe.
  const gateway = await d.repository.getGateway(gatewayId);
  if (!gateway) return undefined;
  const peers = await d.repository.listPeers(gatewayId);
  const generation = gateway.desiredGeneration;
  const state = renderGatewayState(gateway, peers, generation);
  const stateUri = await d.configStore.put(gatewayId, generation, serialiseState(state));
  const commandId = await d.commands.send({
    instanceId: gateway.instanceId,
    gatewayId,
    generation,
    stateUri,
  });
  return { gatewayId, instanceId: gateway.instanceId, commandId, generation, polls: 0 };
}

export type PushProgress = { done: false; ticket: PushTicket } | { done: true; report: GatewayStatusReport };

/**
 * One poll of a push. On success the instance's report is stored as the gateway's status.
 * Throws InvocationNotReadyError (retry), CommandFailedError (failed, timed out, cancelled, or
 * still running after `maxPolls`).
 */
export async function checkPush(
  d: Pick<Dependencies, 'repository' | 'commands' | 'clock'>,
  ticket: PushTicket,
  maxPolls: number,
): Promise<PushProgress> {
  const { status, output } = await d.commands.get(ticket.commandId, ticket.instanceId);
  if (status === 'Success') {
    const report = boundedStatusReport(parseReport(output, ticket, d.clock()));
    await d.repository.putStatusReport(report);
    return { done: true, report };
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

/** The script's last stdout line is its JSON report; anything unparsable is a failed push. */
function parseReport(output: string, ticket: PushTicket, now: Date): GatewayStatusReport {
  const lastLine = output.trim().split('\n').pop() ?? '';
  let parsed: Partial<GatewayStatusReport>;
  try {
    parsed = JSON.parse(lastLine) as Partial<GatewayStatusReport>;
  } catch {
    throw new CommandFailedError(`Config push to ${ticket.instanceId} returned no report`);
  }
  if (typeof parsed.appliedGeneration !== 'number' || !Array.isArray(parsed.peers)) {
    throw new CommandFailedError(`Config push to ${ticket.instanceId} returned a malformed report`);
  }
  return {
    gatewayId: ticket.gatewayId,
    appliedGeneration: parsed.appliedGeneration,
    desiredGeneration: ticket.generation,
    mode: parsed.mode === 'wireguard' ? 'wireguard' : 'files',
    peers: parsed.peers.map((p) => ({
      publicKey: p.publicKey,
      allowedIps: p.allowedIps,
      endpoint: p.endpoint,
      latestHandshake: p.latestHandshake,
      rxBytes: p.rxBytes,
      txBytes: p.txBytes,
    })),
    reportedAt: now.toISOString(),
  };
}
