import { createHash } from 'node:crypto';
import type { KeyCheck } from './api-keys.ts';

/**
 * Verified API keys, kept briefly so that the key lookup (a database round trip and a
 * SHA-256 on every request: the gateway's throughput cap, issue 14) is done once per key
 * per `ttlMs` instead of once per request. Revocation still takes effect within a bounded
 * time: at once where PostgreSQL's NOTIFY on api_keys reaches the gateway (`invalidate`,
 * see app.ts), and within `ttlMs` in any case (GATEWAY_API_KEY_CACHE_TTL_MS, default 10 s;
 * 0 = no cache). Answers of every kind are cached (a revoked or unknown key too, which
 * also spares the database a key-guessing client); a malformed key never reaches here.
 * Keyed by the SHA-256 of the presented key, so no secret sits in the map; bounded to
 * `maxEntries` (oldest first out). Concurrent requests with one key share one lookup.
 */
export class VerifiedKeyCache {
  private readonly entries = new Map<string, { prefix: string | null; check: Promise<KeyCheck>; expires: number }>();

  constructor(
    readonly ttlMs: number,
    private readonly maxEntries = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  get(presented: string, prefix: string | null, load: () => Promise<KeyCheck>): Promise<KeyCheck> {
    if (this.ttlMs <= 0) return load();
    const id = createHash('sha256').update(presented).digest('base64url');
    const hit = this.entries.get(id);
    const now = this.now();
    if (hit && hit.expires > now) return hit.check;
    if (hit) this.entries.delete(id);
    const check = load();
    this.entries.set(id, { prefix, check, expires: now + this.ttlMs });
    // A failed lookup (database down) is not an answer: the next request asks again.
    check.catch(() => this.entries.get(id)?.check === check && this.entries.delete(id));
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return check;
  }

  /** Forgets one key (by its public prefix) or all of them. */
  invalidate(prefix?: string): void {
    if (!prefix) {
      this.entries.clear();
      return;
    }
    for (const [id, entry] of this.entries) if (entry.prefix === prefix) this.entries.delete(id);
  }

  get size(): number {
    return this.entries.size;
  }
}
