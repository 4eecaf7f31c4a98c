import { bareMessageId } from './parse.ts';
import type { StoredMail } from './types.ts';

/** A copy a caller may keep or change without touching the store. */
const snapshot = (m: StoredMail): StoredMail => ({ ...m, envelopeTo: [...m.envelopeTo], to: [...m.to], headers: { ...m.headers }, events: [...m.events] });

/**
 * Received mail by queue id, oldest first, bounded (the oldest are evicted), with an index
 * by Message-ID and waiters woken on every change (a new message or a new event).
 */
export class MailStore {
  private readonly byQueueId = new Map<string, StoredMail>();
  private readonly byMessageId = new Map<string, Set<string>>();
  private readonly waiters = new Set<() => void>();
  evicted = 0;

  constructor(private readonly maxMessages: number) {
    if (!(Number.isInteger(maxMessages) && maxMessages > 0)) throw new Error(`maxMessages must be a positive integer, got ${maxMessages}`);
  }

  add(mail: StoredMail): void {
    this.byQueueId.set(mail.queueId, mail);
    const ids = this.byMessageId.get(mail.messageId) ?? new Set<string>();
    ids.add(mail.queueId);
    this.byMessageId.set(mail.messageId, ids);
    while (this.byQueueId.size > this.maxMessages) {
      const oldest = this.byQueueId.keys().next().value as string;
      this.remove(oldest);
      this.evicted++;
    }
    this.changed();
  }

  /** Records an emitted event kind on the stored message (no-op when evicted or cleared). */
  recordEvent(queueId: string, kind: string): void {
    const mail = this.byQueueId.get(queueId);
    if (!mail) return;
    mail.events.push(kind);
    this.changed();
  }

  /** The stored object itself (internal use); callers outside get snapshots. */
  get(queueId: string): StoredMail | undefined {
    return this.byQueueId.get(queueId);
  }

  snapshot(queueId: string): StoredMail | undefined {
    const m = this.byQueueId.get(queueId);
    return m && snapshot(m);
  }

  /** Oldest first. */
  all(): StoredMail[] {
    return [...this.byQueueId.values()].map(snapshot);
  }

  /** By Message-ID header, angle brackets optional; oldest first. */
  find(messageId: string): StoredMail[] {
    const ids = this.byMessageId.get(bareMessageId(messageId));
    return ids ? [...ids].map((id) => snapshot(this.byQueueId.get(id) as StoredMail)) : [];
  }

  /** Stored mail sent to `address` (envelope or To header, case-insensitive). */
  sentTo(address: string): StoredMail[] {
    const a = address.toLowerCase();
    return this.all().filter((m) => m.envelopeTo.some((t) => t.toLowerCase() === a) || m.to.some((t) => t.toLowerCase() === a));
  }

  get size(): number {
    return this.byQueueId.size;
  }

  clear(): void {
    this.byQueueId.clear();
    this.byMessageId.clear();
    this.changed();
  }

  /** Resolves with the first stored message (oldest first) that satisfies `predicate`. */
  waitFor(predicate: (m: StoredMail) => boolean, timeoutMs: number): Promise<StoredMail> {
    const match = () => {
      for (const m of this.byQueueId.values()) if (predicate(snapshot(m))) return snapshot(m);
      return undefined;
    };
    const now = match();
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const check = () => {
        const found = match();
        if (!found) return;
        clearTimeout(timer);
        this.waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`no matching mail within ${timeoutMs} ms (${this.byQueueId.size} stored)`));
      }, timeoutMs);
      this.waiters.add(check);
    });
  }

  private remove(queueId: string): void {
    const mail = this.byQueueId.get(queueId);
    if (!mail) return;
    this.byQueueId.delete(queueId);
    const ids = this.byMessageId.get(mail.messageId);
    ids?.delete(queueId);
    if (ids?.size === 0) this.byMessageId.delete(mail.messageId);
  }

  private changed(): void {
    for (const wake of [...this.waiters]) wake();
  }
}
