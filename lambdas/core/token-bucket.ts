/**
 * Per-caller request budget: a token bucket refilled at `ratePerSecond` up to `burst`. Pure (the
 * caller passes the time), so the API's limiter and its tests share one definition.
 */
export interface BucketSettings {
  ratePerSecond: number;
  burst: number;
}

interface Bucket {
  tokens: number;
  at: number;
}

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
    const previous = this.buckets.get(key) ?? { tokens: burst, at: nowMs };
    const tokens = Math.min(burst, previous.tokens + ((nowMs - previous.at) / 1000) * ratePerSecond);
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
