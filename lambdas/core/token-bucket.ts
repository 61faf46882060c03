/**
 * Token buckets refilled at `ratePerSecond` up to `burst`. Pure (the caller passes the time), so
 * the API's per-caller limiter (TokenBuckets), the fan-outs' start pacing (core/fanout-pace.ts) and
 * their tests share one definition of the refill.
 */
export interface BucketSettings {
  ratePerSecond: number;
  burst: number;
}

export interface Bucket {
  tokens: number;
  at: number;
}

/** The tokens of `bucket` at `nowMs`: refilled for the time since it was last seen, capped at burst. */
export function refilled({ ratePerSecond, burst }: BucketSettings, bucket: Bucket, nowMs: number): number {
  // A clock that steps back refills nothing (and takes nothing back).
  const elapsedMs = Math.max(0, nowMs - bucket.at);
  return Math.min(burst, bucket.tokens + (elapsedMs / 1000) * ratePerSecond);
}

/** Per-caller request budget: a caller without a token is refused, and told how long to wait. */
export class TokenBuckets {
  private readonly buckets = new Map<string, Bucket>();

  constructor(
    private readonly settings: BucketSettings,
    /** Bounds memory: the least recently seen callers are forgotten first. */
    private readonly maxCallers = 10_000,
  ) {}

  /** Takes one token for `key`; returns the seconds to wait when there is none (0 when taken). */
  take(key: string, nowMs: number): number {
    const { ratePerSecond, burst } = this.settings;
    const tokens = refilled(this.settings, this.buckets.get(key) ?? { tokens: burst, at: nowMs }, nowMs);
    this.buckets.delete(key);
    if (this.buckets.size >= this.maxCallers) {
      const oldest = this.buckets.keys().next().value;
      if (oldest !== undefined) this.buckets.delete(oldest);
    }
    if (tokens < 1) {
      this.buckets.set(key, { tokens, at: nowMs });
      return Math.max(1, Math.ceil((1 - tokens) / ratePerSecond));
    }
    this.buckets.set(key, { tokens: tokens - 1, at: nowMs });
    return 0;
  }
}
