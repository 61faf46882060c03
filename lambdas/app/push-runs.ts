/**
 * push-gateway executions, named by the gateway and the generation a change produced: the API's
 * road-warrior routes and the gateway event handler start them the same way, and a retry, a
 * redelivery or a concurrent change that reads the same generation joins the execution already
 * started instead of pushing again.
 */
import { derivedHex } from './derived-hex';
import type { Dependencies } from './ports';

/** Step Functions' limit on execution names; gateway ids may be longer (up to 128 characters). */
const EXECUTION_NAME_MAX_CHARS = 80;

/**
 * The push-gateway execution of a gateway at `generation`. Gateway ids use only name-safe
 * characters; one too long for the limit becomes a digest, after `push_`: the digest is itself a
 * valid gateway id, and `push-<digest>-<n>` would be the name of that other gateway's push, which
 * a start would join (review s14c).
 */
export function pushExecutionName(gatewayId: string, generation: number): string {
  const name = `push-${gatewayId}-${generation}`;
  if (name.length <= EXECUTION_NAME_MAX_CHARS) return name;
  return `push_${derivedHex(['push', gatewayId])}-${generation}`;
}

export interface PushRun {
  gatewayId: string;
  generation: number;
  executionId: string;
}

/**
 * Starts (or joins) the push of `gatewayId` at `generation`; it renders at least that generation.
 * `mayHaveEnded` as the engine answered (StartedExecution): true when an earlier start took the
 * name, false when this one ran the execution or joined it open.
 */
export async function startGatewayPushRun(
  d: Pick<Dependencies, 'workflows'>,
  gatewayId: string,
  generation: number,
): Promise<{ run: PushRun; mayHaveEnded: boolean }> {
  const name = pushExecutionName(gatewayId, generation);
  const { executionId, mayHaveEnded } = await d.workflows.start('push-gateway', name, { gatewayId });
  return { run: { gatewayId, generation, executionId }, mayHaveEnded };
}

/** startGatewayPushRun's run. */
export async function startGatewayPush(
  d: Pick<Dependencies, 'workflows'>,
  gatewayId: string,
  generation: number,
): Promise<PushRun> {
  return (await startGatewayPushRun(d, gatewayId, generation)).run;
}

/** The names of drift repairs begin so; their push sends even when APPLIED covers (isDriftRepair). */
const DRIFT_REPAIR_PREFIX = 'repair-';

/**
 * Whether the execution is a drift repair: its instance reported running less than it once applied
 * (a rolled-back instance), so its APPLIED record overstates it and must not stop the push
 * (app/push-lease.ts).
 */
export const isDriftRepair = (executionName: string): boolean =>
  executionName.startsWith(DRIFT_REPAIR_PREFIX);

/**
 * Starts the push that repairs a gateway found behind `generation` by two periodic reports in a
 * row (app/status-reports.ts). Named by the report round, so a redelivered report joins it; a
 * push of the same generation that ended (failed) does not stop it, as its name would.
 */
export async function startDriftRepair(
  d: Pick<Dependencies, 'workflows'>,
  gatewayId: string,
  generation: number,
  round: string,
): Promise<PushRun> {
  const name = `${DRIFT_REPAIR_PREFIX}${derivedHex(['repair', gatewayId, String(generation), round])}`;
  const { executionId } = await d.workflows.start('push-gateway', name, { gatewayId });
  return { gatewayId, generation, executionId };
}
