/**
 * The stream-driven cascade after a gateway item is gone (docs/CONTRACT.md#events): its peerings'
 * deletions, its keys, its instance. Safe to run twice: stream records are delivered at least once.
 */

import type { PeerRecord } from '../core/types';
import { logger } from '../shared/logger';
import { type PeerFanoutDeps, settleEachPaced } from './peer-fanout';
import type { Dependencies, InstanceSecrets, InstanceTarget, RemovedGateway } from './ports';
import { startPeeringDeletion } from './workflow-runs';

export type CascadeDeps = Pick<
  Dependencies,
  'repository' | 'workflows' | 'secrets' | 'clock' | 'configStore' | 'commands'
> &
  Omit<PeerFanoutDeps, 'clock'> & {
    /** Withdrawal only: the cascade delivers nothing, so its adapter need not be able to. */
    instanceSecrets: Pick<InstanceSecrets, 'withdraw'>;
  };

/**
 * The peering deletions a cascade starts at once (docs/DECISIONS.md, "A hub's cascade starts its
 * peerings' deletions a few at a time"). One start is one StartExecution (~50 ms), so five could
 * give ~100 starts/s: under the smallest default StartExecution refill (150/s), which the API and
 * the workflows' own pushes share, and far under the SFN client's 50 sockets, so no request waits
 * for one and its timeout measures the service. What the executions then spend, the account's
 * state transitions, bounds the rate further (peerFanoutStartsPerSecond: core/fanout-pace.ts).
 */
export const PEERING_DELETION_STARTS_IN_FLIGHT = 5;

/** What the cascade did with the deleted gateway's instance. */
export type InstanceTeardown = { commandId: string } | { instanceGone: true };

/**
 * After a gateway item is gone: starts the delete-peering workflow of each of its peerings (which
 * cleans the remote side and deletes the peering's preshared key), deletes the private keys the
 * control plane generated for it and its road-warrior clients and what was published for its
 * instance (documents, secret copies), purges its remaining items and releases its instance's lock,
 * then sends its instance the teardown command (docs/SECURITY.md, "A deleted gateway"), and only
 * then ends the cascade. An instance an unfinished move was leaving gets the same: its copies
 * withdrawn, its lock released, the teardown (instanceLeft). The lock is released here, not beside
 * the delete: a release that failed there was never retried, and once the id was registered again
 * elsewhere the lock refused its old instance to every other gateway (review s19d); here a failure
 * leaves the cascade pending. The purge
 * comes after everything that reads the peer entries, so a redelivery after a partial run still
 * finds them; the teardown comes after the purge, so an instance that keeps refusing it leaves the
 * records clean.
 *
 * Everything that reads or deletes by the id alone (peer entries, keys, secret copies, the purge,
 * the lock its holder id releases) runs only while this incarnation's cascade is pending (beginGatewayCascade): the id cannot be
 * registered again meanwhile, so none of it can hit a new incarnation. What is bound to this
 * incarnation's generation (documents up to it, the teardown: a new incarnation starts above it)
 * runs every time. The cascade ends last: whatever stops a run before (a failure, the Lambda's
 * timeout) leaves it pending, and the stream's retry or the sweep runs it all again. Each part
 * keeps what it did (deleted objects and items stay deleted), so a gateway too large for one
 * invocation still finishes: its keys go by their folder, a thousand per request, not one by one,
 * and its peerings' deletions start a bounded number at a time (startPeeringDeletions).
 *
 * Run by the stream with the record's OldImage, and by the sweep with what the tombstone kept
 * (RemovedGateway) when the stream gave up before the cascade ended (app/sweeper.ts).
 */
export async function cascadeGatewayRemoval(
  d: CascadeDeps,
  removed: RemovedGateway,
): Promise<InstanceTeardown> {
  const target = { gatewayId: removed.id, instanceId: removed.instanceId };
  const left = instanceLeft(removed);
  const instances = [target, ...left];
  const pending = await d.repository.beginGatewayCascade(removed.id, removed.desiredGeneration);
  if (pending) {
    const peers = await d.repository.listPeers(removed.id);
    await startPeeringDeletions(d, removed.id, peers);
    await deleteGatewayKeys(d, removed, peers);
    for (const instance of instances) await d.instanceSecrets.withdraw(instance);
    await d.repository.purgeGatewayResidue(removed.id);
    for (const instance of instances) await d.repository.releaseInstance(instance.instanceId, removed.id);
  }
  await d.configStore.deleteThrough(removed.id, removed.desiredGeneration);
  const commandId = await d.commands.teardown({ ...target, generation: removed.desiredGeneration });
  for (const instance of left) {
    const leftCommandId = await d.commands.teardown({ ...instance, generation: removed.desiredGeneration });
    logger.info('teardown of the instance an unfinished move left', {
      ...instance,
      ...(leftCommandId === undefined ? { instanceGone: true } : { commandId: leftCommandId }),
    });
  }
  // Last: a run stopped before it leaves the cascade pending, for a retry to do the above again.
  if (pending) await d.repository.endGatewayCascade(removed.id, removed.desiredGeneration);
  return commandId === undefined ? { instanceGone: true } : { commandId };
}

/**
 * The instance a move was leaving when the gateway was deleted (its `unfinishedMove`), if any: its
 * run stopped after the registry named the new instance and before startMovedInstance released
 * the old one and, when a push above the move's retirement may have reached it, retired it again
 * (app/instance-move.ts). The event's redelivery and the sweep would have finished it, but a
 * deleted gateway has neither, so the cascade does (docs/DECISIONS.md, "A gateway deleted in the
 * middle of a move"). Never the gateway's own instance (a move back to it replaces the mark).
 */
function instanceLeft(removed: RemovedGateway): InstanceTarget[] {
  const instanceId = removed.unfinishedMove?.instanceId;
  return instanceId === undefined || instanceId === removed.instanceId
    ? []
    : [{ gatewayId: removed.id, instanceId }];
}

/**
 * Starts the delete-peering workflow of each peering in `peers`, a bounded number at a time. One
 * whose start fails does not keep the others from starting; the run then fails with the first
 * failure (a throttled start stays a TransientError), before the purge, so the peer entries are
 * still there for the retry. A retry does not redo finished work: each workflow's Detach deletes
 * this gateway's peer entry, so the listing holds only peerings not detached yet, and the execution
 * name joins one started and still running (docs/DECISIONS.md, "A hub's cascade starts its
 * peerings' deletions a few at a time"). Started at the fan-out's rate (app/peer-fanout.ts): at the
 * default 25/s a hub at the 1,000-peering limit takes ~40 s, inside the stream function's 120 s.
 */
async function startPeeringDeletions(
  d: Pick<CascadeDeps, 'workflows' | 'clock' | 'repository' | 'peerFanoutStartsPerSecond' | 'wait'>,
  gatewayId: string,
  peers: readonly PeerRecord[],
): Promise<void> {
  const peeringIds = peers.flatMap((peer) =>
    peer.type === 'vpc-peering' && peer.peeringId ? [peer.peeringId] : [],
  );
  // DELETING before the run starts: the purge below removes the peer entries that name the
  // peering, so a run that fails before its first step (its retries spent on a throttled table, an
  // execution stopped) would leave it ACTIVE for good; DELETING, the sweep re-drives it
  // (docs/DECISIONS.md, "A cascade marks its peerings DELETING"). The execution name dedupes: a
  // redelivery or the API deleting the same peering starts nothing new.
  const failures = await settleEachPaced(
    d,
    peeringIds,
    PEERING_DELETION_STARTS_IN_FLIGHT,
    async (peeringId) => {
      await d.repository.setPeeringStatus(peeringId, 'DELETING', null, ['PROVISIONING', 'ACTIVE', 'FAILED']);
      return startPeeringDeletion(d, peeringId);
    },
  );
  const [first] = failures;
  if (first === undefined) return;
  logger.warn('peering deletions not started: the cascade stays pending', {
    gatewayId,
    failed: failures.length,
    of: peeringIds.length,
    peeringIds: failures.slice(0, 20).map((failure) => failure.item),
  });
  throw first.error;
}

/**
 * The gateway's key and its road-warriors' keys: their folder at once (keys whose add failed or
 * whose peer entry is gone included), then, one by one, any key a record names outside it (none
 * this store wrote itself; a name from before a change of the store's prefix).
 */
async function deleteGatewayKeys(
  d: Pick<CascadeDeps, 'secrets'>,
  removed: RemovedGateway,
  peers: readonly PeerRecord[],
): Promise<void> {
  const folder = d.secrets.names.gatewayFolder(removed.id);
  await d.secrets.deleteUnder(folder);
  const named = [
    removed.privateKeyParam,
    ...peers.filter((peer) => peer.type === 'road-warrior').map((peer) => peer.privateKeyParam),
  ];
  for (const name of named) {
    if (name && !name.startsWith(folder)) await d.secrets.delete(name);
  }
}
