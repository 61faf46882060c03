/**
 * The undo and the end of a peering: the steps of create-peering's compensation (Compensate, then
 * Release) and of delete-peering (Detach, then Release). Each is idempotent, as the steps in
 * peering-workflow.ts are: Step Functions and Lambda may run any of them again.
 */
import { type StepFailure, userFacingFailureReason } from '../core/failure-reasons';
import type { Peering, PeeringStatus } from '../core/types';
import { peeringAuditDetail } from '../core/views';
import { logger } from '../shared/logger';
import { announceActivated, clientConfigsChanged } from './peering-workflow';
import type { Dependencies } from './ports';

type Deps<K extends keyof Dependencies> = Pick<Dependencies, K>;

/**
 * Activate may set ACTIVE and still fail (its audit publish refused, the invocation timed out), and
 * its Catch then sends the execution to Compensate: an ACTIVE peering is kept whole, so neither half
 * of the undo touches it.
 */
function activeDespiteFailure(peering: Peering | undefined): boolean {
  if (peering?.status !== 'ACTIVE') return false;
  logger.warn('Peering is ACTIVE: nothing to undo', { peeringId: peering.id });
  return true;
}

/**
 * First half of the undo: FAILED, then the peer entries go, so the next push removes them from the
 * instances. The status write comes first and is the guard: another run of the same peering (a
 * re-drive) may be in Activate, and once FAILED is set its ACTIVE write (conditional on
 * PROVISIONING) is refused; had that run won, the write is refused instead and nothing is undone.
 * Checking the status and then detaching would let ACTIVE land in between, stripping an ACTIVE
 * peering (docs/DECISIONS.md "Sweep re-drives and two runs of one peering").
 * `active`: the peering is ACTIVE after all (this run's Activate set it, then failed, or another
 * run's did), nothing was undone, and the execution ends as Active (statemachine/build.ts); the run
 * that set it may not have announced it, so this one does (at least once: see announceActivated).
 * A FAILED or DELETING peering is undone again (a retry after the write, another run's
 * compensation, a delete): every step of it is idempotent.
 */
export async function compensatePeering(
  d: Deps<'repository' | 'audit'>,
  input: { peeringId: string; failure?: StepFailure },
): Promise<{ active: boolean }> {
  const reason = userFacingFailureReason(input.failure);
  // The step's own text stays here: it may name instances, accounts and roles.
  logger.warn('Peering failed', {
    peeringId: input.peeringId,
    errorName: input.failure?.Error,
    cause: input.failure?.Cause?.slice(0, 2000),
  });
  const peering =
    (await d.repository.setPeeringStatus(input.peeringId, 'FAILED', reason, ['PROVISIONING'])) ??
    (await d.repository.getPeering(input.peeringId));
  if (peering && activeDespiteFailure(peering)) {
    await announceActivated(d, peering);
    return { active: true };
  }
  await d.repository.detachPeering(input.peeringId);
  // At least once, as "VPC Peering Activated": a retry after a publish that failed finds FAILED.
  if (peering?.status === 'FAILED') {
    await d.audit.publish('VPC Peering Failed', {
      peeringId: peering.id,
      ownerId: peering.ownerId,
      reason: peering.statusReason,
    });
  }
  return { active: false };
}

/** States no run can take to ACTIVE again (Activate's write requires PROVISIONING). */
const UNDONE: readonly PeeringStatus[] = ['FAILED', 'DELETING'];

/**
 * Delete, first half: DELETING, peer entries gone, generations bumped. A peering that may have
 * been ACTIVE marks both gateways' road-warrior configs changed, after DELETING (see
 * clientConfigsChanged).
 */
export async function detachForDeletion(
  d: Deps<'repository'>,
  input: { peeringId: string },
): Promise<{ found: false } | { found: true; gatewayIds: [string, string] }> {
  const peering = await d.repository.getPeering(input.peeringId);
  if (!peering) return { found: false };
  if (await leftActive(d, peering)) await clientConfigsChanged(d, peering);
  await d.repository.detachPeering(peering.id);
  return { found: true, gatewayIds: peering.gatewayIds };
}

/**
 * Sets DELETING; true unless the peering is known never to have been ACTIVE. The write is
 * conditional on the status read, so a PROVISIONING or FAILED peering (FAILED only ever follows
 * PROVISIONING) is known not to have been ACTIVE at no extra cost. A status changed since the
 * read (a PROVISIONING one activated meanwhile) takes a second write, from any status but
 * DELETING. Found DELETING (a retry, a re-drive, a second delete) it cannot tell: true.
 */
async function leftActive(d: Deps<'repository'>, peering: Peering): Promise<boolean> {
  if (peering.status === 'DELETING') return true;
  if (await d.repository.setPeeringStatus(peering.id, 'DELETING', null, [peering.status])) {
    return peering.status === 'ACTIVE';
  }
  await d.repository.setPeeringStatus(peering.id, 'DELETING', null, ['PROVISIONING', 'ACTIVE', 'FAILED']);
  return true;
}

/**
 * Frees the addresses, the pair lock and the preshared key; on deletion (`deleteRecord`), publishes
 * the deletion and deletes the record. A create's compensation (`!deleteRecord`) frees only a
 * peering that can no longer become ACTIVE: FAILED or DELETING (or gone); an ACTIVE one stays
 * whole, and a PROVISIONING one (which Compensate would have made FAILED) is left to its runs.
 */
export async function releasePeering(
  d: Deps<'repository' | 'secrets' | 'audit'>,
  input: { peeringId: string; deleteRecord: boolean },
): Promise<void> {
  const peering = await d.repository.getPeering(input.peeringId);
  if (!input.deleteRecord && peering && !UNDONE.includes(peering.status)) {
    if (!activeDespiteFailure(peering))
      logger.warn('Peering still PROVISIONING: nothing released', { peeringId: peering.id });
    return;
  }
  await d.repository.releasePeering(input.peeringId, { deleteRecord: false });
  // Every key the peering ever had: a move gives it a new name each time (preshared-key-rotation.ts).
  await d.secrets.deleteUnder(d.secrets.names.peeringFolder(input.peeringId));
  if (!input.deleteRecord) {
    // Last: until here a FAILED peering is the sweep's work, should this release never end.
    await d.repository.markPeeringReleased(input.peeringId);
    return;
  }
  if (!peering) return;
  await d.audit.publish('VPC Peering Deleted', peeringAuditDetail(peering));
  // The record goes last: until then a retry still finds the peering, and publishes its deletion.
  // What the first call freed stays freed (releasePeering is idempotent).
  await d.repository.releasePeering(input.peeringId, { deleteRecord: true });
}
