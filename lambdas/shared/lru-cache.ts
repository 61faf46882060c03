/**
 * Stands in for `mnemonist/lru-cache` in the Lambda bundles (lib/constructs/bundling.ts, `alias`).
 * Its one user there is the DynamoDB client's endpoint cache (@aws-sdk/endpoint-cache), built at
 * every client's construction for endpoint discovery, which this project never turns on; mnemonist
 * and its iterator helpers weigh about 7 KB of every bundle that holds DynamoDB, and push-config sits
 * near the 500 KB goal (README, "Benchmarks", section 6). The methods the endpoint cache calls, with
 * the same meaning: a Map keeps insertion order, so its first key is the least recently used.
 */
export default class LRUCache<K, V> {
  private readonly items = new Map<K, V>();

  constructor(private readonly capacity: number) {}

  get(key: K): V | undefined {
    if (!this.items.has(key)) return undefined;
    const value = this.items.get(key) as V;
    this.items.delete(key);
    this.items.set(key, value);
    return value;
  }

  /** Without touching the key's recency. */
  peek(key: K): V | undefined {
    return this.items.get(key);
  }

  has(key: K): boolean {
    return this.items.has(key);
  }

  set(key: K, value: V): this {
    this.items.delete(key);
    this.items.set(key, value);
    if (this.items.size > this.capacity) {
      const oldest = this.items.keys().next();
      if (!oldest.done) this.items.delete(oldest.value);
    }
    return this;
  }

  clear(): void {
    this.items.clear();
  }
}
