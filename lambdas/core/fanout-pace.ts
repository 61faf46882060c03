/**
 * How fast one run's fan-out over a gateway's peers starts workflows: a deleted hub's peering
 * deletions (app/gateway-cascade.ts), an updated hub's peer pushes (app/gateway-lifecycle.ts).
 * Pure: the caller passes the time and spends the waits (app/peer-fanout.ts).
 */
import { type Bucket, type BucketSettings, refilled } from './token-bucket';

/**
 * The default start rate (setting PEER_FANOUT_STARTS_PER_SECOND; docs/DECISIONS.md, "A hub's
 * cascade and its peerings", amended in session 18). What it spends is the account's Step Functions
 * StateTransition budget, which every tenant's workflows share: a delete-peering execution makes
 * ~16 transitions (Detach, PeeringExists, Sides, the Parallel, the gone hub's Push, Pushed,
 * Applied, the remote's Push, Pushed, WaitForCommand, CheckCommand, Pushed, Applied, Release,
 * Deleted; three more per extra poll), most within ~5 s of its start, and a push-gateway ~6–9.
 * Outside us-east-1, us-west-2 and eu-west-1 the budget refills 500/s from a bucket of 800
 * (review s18a, from the published quota table; new accounts get less: check Service Quotas).
 * 25 deletions/s × 16 ≈ 400 transitions/s: a fifth of the refill left to everyone else while a
 * hub's peerings go, and its one-second burst (below) is half the bucket.
 */
export const DEFAULT_PEER_FANOUT_STARTS_PER_SECOND = 25;

/**
 * The peerings a gateway may have by default (MAX_PEERINGS_PER_GATEWAY, shared/env.ts): the largest
 * hub a fan-out walks. The stack sets no other.
 */
export const DEFAULT_MAX_PEERINGS_PER_GATEWAY = 1000;

/**
 * How long the largest hub's fan-out may take at the start rate: the gateway-events function's share
 * of its 60 s timeout (README, deployment), so an update's walk ends in one invocation, the moved
 * hub's last push follows within a minute and its update lease stays short (docs/DECISIONS.md, "A
 * rerun of a hub's peer walk resumes").
 */
export const PEER_FANOUT_BUDGET_SECONDS = 40;

/** The least start rate that fans out over `peerings` within PEER_FANOUT_BUDGET_SECONDS. */
export const leastFanoutRate = (peerings: number): number => Math.ceil(peerings / PEER_FANOUT_BUDGET_SECONDS);

/**
 * A start rate for one fan-out: a token bucket of `ratePerSecond` that lets `burst` starts go at
 * once and then spaces them. Each start reserves the next token, taken now or owed (the tokens go
 * below zero), so starts in flight at once, each asking in turn, are given successive slots.
 */
export class StartPacer {
  private bucket: Bucket | undefined;

  constructor(private readonly settings: BucketSettings) {
    if (!(settings.ratePerSecond > 0) || !(settings.burst >= 1)) {
      throw new RangeError(
        `a start rate needs a rate above 0 and a burst of at least 1: ${JSON.stringify(settings)}`,
      );
    }
  }

  /** Reserves the next start at `nowMs`; the milliseconds to wait before it (0: at once). */
  reserve(nowMs: number): number {
    const tokens = this.bucket ? refilled(this.settings, this.bucket, nowMs) : this.settings.burst;
    this.bucket = { tokens: tokens - 1, at: nowMs };
    return tokens >= 1 ? 0 : Math.ceil(((1 - tokens) / this.settings.ratePerSecond) * 1000);
  }
}
