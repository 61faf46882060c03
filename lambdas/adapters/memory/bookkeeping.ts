/** The side stores in memory: instance locks, admissions, secret cleanups, sweep work, idempotency. */
import {
  type AdmissionKind,
  type Admissions,
  IDEMPOTENCY_TTL_SECONDS,
  type IdempotencyRecord,
  type PeerKeyBackfill,
  type SecretCleanup,
  type SweepWork,
  type SweepWorkBounds,
} from '../../app/ports';
import { ConflictError } from '../../core/errors';
import { compareText } from '../../core/order';
import { isPeeringInFlight } from '../../core/types';
import { copy, MemoryStore } from './state';

export class MemoryBookkeeping extends MemoryStore {
  async claimInstance(instanceId: string, gatewayId: string): Promise<void> {
    const holder = this.state.instanceLocks.get(instanceId);
    if (holder !== undefined && holder !== gatewayId && this.gateways.has(holder)) {
      throw new ConflictError('INSTANCE_IN_USE');
    }
    this.state.instanceLocks.set(instanceId, gatewayId);
  }

  async releaseInstance(instanceId: string, gatewayId: string): Promise<void> {
    if (this.state.instanceLocks.get(instanceId) === gatewayId) this.state.instanceLocks.delete(instanceId);
  }

  async getAdmissions(scope: string, kind: AdmissionKind): Promise<Admissions> {
    return copy(this.state.admissions.get(`${kind}#${scope}`) ?? { version: 0, entries: {} });
  }

  async putAdmissions(
    scope: string,
    kind: AdmissionKind,
    entries: Record<string, number>,
    expected: number,
  ): Promise<boolean> {
    const key = `${kind}#${scope}`;
    if ((this.state.admissions.get(key)?.version ?? 0) !== expected) return false;
    this.state.admissions.set(key, { version: expected + 1, entries: copy(entries) });
    return true;
  }

  async addAdmission(
    scope: string,
    kind: AdmissionKind,
    id: string,
    atMs: number,
    room: number,
  ): Promise<boolean> {
    const current = this.state.admissions.get(`${kind}#${scope}`);
    if (!current || Object.keys(current.entries).length >= room) return false;
    this.state.admissions.set(`${kind}#${scope}`, {
      version: current.version + 1,
      entries: { ...current.entries, [id]: atMs },
    });
    return true;
  }

  async recordSecretCleanup(cleanup: SecretCleanup): Promise<void> {
    this.state.secretCleanups.set(`${cleanup.recordedAt}#${cleanup.secretName}`, copy(cleanup));
  }

  async listSecretCleanups(before: string, limit: number): Promise<SecretCleanup[]> {
    return [...this.state.secretCleanups.entries()]
      .filter(([key]) => key < before)
      .sort(([a], [b]) => compareText(a, b))
      .slice(0, limit)
      .map(([, cleanup]) => copy(cleanup));
  }

  async clearSecretCleanup(cleanup: SecretCleanup): Promise<void> {
    this.state.secretCleanups.delete(`${cleanup.recordedAt}#${cleanup.secretName}`);
  }

  async findSweepWork(bounds: SweepWorkBounds): Promise<SweepWork> {
    return {
      stalledPeerings: [...this.peerings.values()]
        .filter(
          (peering) =>
            (isPeeringInFlight(peering.status) || this.state.unreleasedFailures.has(peering.id)) &&
            peering.updatedAt < bounds.stalledBefore,
        )
        .map(copy),
      pendingCascades: [...this.state.pendingCascades.values()]
        .filter((pending) => pending.deletedAt < bounds.cascadeBefore)
        .map((pending) => copy(pending.gateway)),
      owedWalks: [...this.gateways.values()]
        .filter(({ record, walkDueAt }) => {
          const due = walkDueAt ?? record.peerWalkOwedSince;
          return due !== undefined && record.peerWalkOwedSince !== undefined && due < bounds.walkBefore;
        })
        .map(({ record }) => copy(record)),
    };
  }

  /** No entry here is older than the key checks: nothing to walk. */
  async backfillPeerKeys(): Promise<PeerKeyBackfill> {
    return { marked: [], written: 0, clashes: [], done: true };
  }

  async claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined> {
    const now = this.clock().getTime();
    const stored = this.idempotency.get(record.key);
    if (!stored || stored.expiresAtMs < now) {
      this.idempotency.set(record.key, {
        record: copy(record),
        expiresAtMs: now + IDEMPOTENCY_TTL_SECONDS * 1000,
      });
      return undefined;
    }
    return copy(stored.record);
  }

  async retakeIdempotencyKey(read: IdempotencyRecord, createdAt: string): Promise<boolean> {
    const stored = this.idempotency.get(read.key);
    if (!stored || stored.record.takeovers !== read.takeovers) return false;
    const takeovers = (read.takeovers ?? 0) + 1;
    const { requestHash, nonce } = stored.record;
    stored.record = {
      key: read.key,
      requestHash,
      createdAt,
      takeovers,
      ...(nonce === undefined ? {} : { nonce }),
    };
    return true;
  }

  async completeIdempotencyKey(
    key: string,
    response: NonNullable<IdempotencyRecord['response']>,
  ): Promise<void> {
    const stored = this.idempotency.get(key);
    if (stored) stored.record.response = copy(response);
  }
}
