/**
 * Starting delete-peering by a stable name makes redeliveries and double clicks start nothing new.
 * A closed execution's name cannot run again, though, so when the named run already ended in
 * failure a fresh attempt gets a suffixed name: deleting a peering can always be retried.
 */
import type { Dependencies } from './ports';

const FINISHED_UNSUCCESSFULLY = new Set(['FAILED', 'TIMED_OUT', 'ABORTED']);

export async function startPeeringDeletion(
  d: Pick<Dependencies, 'workflows' | 'clock'>,
  peeringId: string,
): Promise<string> {
  const input = { peeringId };
  const executionId = await d.workflows.start('delete-peering', `delete-${peeringId}`, input);
  const previous = await d.workflows.describe(executionId);
  if (!FINISHED_UNSUCCESSFULLY.has(previous.status)) return executionId;
  return d.workflows.start('delete-peering', `delete-${peeringId}-${d.clock().getTime()}`, input);
}
