/**
 * The request-bookkeeping ports of the Repository (storage-ports.ts re-exports them): Idempotency-Keys,
 * the instance locks, per-owner admissions and recorded secret deletions. Apart from the aggregates'
 * stores because they keep no resource, only what makes requests safe to repeat and to limit.
 */

/** How long an Idempotency-Key is remembered; an expired one may be claimed again. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

export interface IdempotencyRecord {
  key: string;
  requestHash: string;
  /** The response to replay, once known. */
  response?: { statusCode: number; headers: Record<string, string>; body: string };
  createdAt: string;
  /** How many times the claim was taken over (retakeIdempotencyKey); absent: never. */
  takeovers?: number;
  /**
   * Random, minted with the first claim and kept by every take-over: the ids a keyed request mints
   * derive from it too (app/api/ids.ts, IdDerivation), so they live no longer than this record.
   * Absent on records written before it existed.
   */
  nonce?: string;
}

/** The lock that keeps an instanceId to one gateway. */
export interface InstanceLockStore {
  /** Idempotent for its holder; ConflictError INSTANCE_IN_USE when another gateway that still exists holds it. */
  claimInstance(instanceId: string, gatewayId: string): Promise<void>;
  /** Releases the lock if `gatewayId` holds it. */
  releaseInstance(instanceId: string, gatewayId: string): Promise<void>;
}

export interface IdempotencyStore {
  /** Conditional create; returns the existing record instead when the key is taken (and not expired). */
  claimIdempotencyKey(record: IdempotencyRecord): Promise<IdempotencyRecord | undefined>;
  /**
   * Takes over a claim whose request is over (it died, or answered "retry later"): the record as
   * read becomes a fresh claim made at `createdAt`, with no answer, one more take-over and the
   * same nonce (the rerun must name what the first run named). False
   * when another request took it over first (its take-over count moved on), so that one runs and
   * this one does not.
   */
  retakeIdempotencyKey(read: IdempotencyRecord, createdAt: string): Promise<boolean>;
  completeIdempotencyKey(key: string, response: NonNullable<IdempotencyRecord['response']>): Promise<void>;
}

/**
 * What a limit admits (docs/DECISIONS.md, "Tenants and traffic"): gateways and operations in flight
 * per owner (scope: the owner id), road-warriors per gateway (scope: the gateway id).
 */
export type AdmissionKind = 'gateways' | 'operations' | 'road-warriors' | 'peerings';

/** The recent admissions of one scope and kind: id → when it was admitted (epoch ms), and a version. */
export interface Admissions {
  version: number;
  entries: Record<string, number>;
}

/**
 * One versioned item per scope and kind, replaced by compare-and-set: admissions in one scope are
 * serialised on it, so concurrent requests cannot all pass a limit that only one of them fits.
 */
export interface AdmissionStore {
  /** Version 0 and no entries when none was ever written. Strongly consistent. */
  getAdmissions(scope: string, kind: AdmissionKind): Promise<Admissions>;
  /** Writes `entries` as version `expected + 1` if the stored version is still `expected`; false otherwise. */
  putAdmissions(
    scope: string,
    kind: AdmissionKind,
    entries: Record<string, number>,
    expected: number,
  ): Promise<boolean>;
  /**
   * Adds admission `id` at `atMs` in one conditional write, without a read, if the item exists and
   * holds fewer than `room` entries (the version moves too); false otherwise. The fast path of a
   * limit far from full: concurrent adds never collide.
   */
  addAdmission(scope: string, kind: AdmissionKind, id: string, atMs: number, room: number): Promise<boolean>;
}

/** A secret to delete once its owner is gone (a revoked road-warrior's private key). */
export interface SecretCleanup {
  secretName: string;
  gatewayId: string;
  peerName: string;
  /** ISO 8601; the sweep handles a cleanup only once it is older than any API request can run. */
  recordedAt: string;
}

/** Secret deletions recorded before they are attempted, so a failed or interrupted one is retried later. */
export interface SecretCleanupStore {
  recordSecretCleanup(cleanup: SecretCleanup): Promise<void>;
  /** The oldest cleanups recorded before `before` (ISO 8601), at most `limit`. */
  listSecretCleanups(before: string, limit: number): Promise<SecretCleanup[]>;
  /** Idempotent. */
  clearSecretCleanup(cleanup: SecretCleanup): Promise<void>;
}
