import type { DeliveryStatus } from '@hub/db';

/**
 * The delivery state machine every channel shares (notification_deliveries.status):
 *
 *   pending ─┬─> sent ──> delivered
 *            ├─> deferred ──> (pending again when released) ─> sent …
 *            └─> skipped | failed | cancelled
 *
 * A final status is final; nothing moves a delivery backwards (a late "sent" after
 * "delivered", a replayed request after "failed"). Statements that change a delivery say
 * which statuses they leave (OPEN / IN_FLIGHT below) in their WHERE clause, so a race is
 * decided by the database, not by what a process read earlier.
 */
export const FINAL_DELIVERY_STATUSES = ['delivered', 'failed', 'skipped', 'cancelled'] as const satisfies readonly DeliveryStatus[];

/** Still waiting for its first (or next) send. */
export const OPEN_DELIVERY_STATUSES = ['pending', 'deferred'] as const satisfies readonly DeliveryStatus[];

/** Open, or handed to the provider and not yet final. */
export const LIVE_DELIVERY_STATUSES = ['pending', 'deferred', 'sent'] as const satisfies readonly DeliveryStatus[];

const FINAL: ReadonlySet<string> = new Set(FINAL_DELIVERY_STATUSES);

export function isFinalDelivery(status: string): boolean {
  return FINAL.has(status);
}

const RANK: Record<DeliveryStatus, number> = { pending: 0, deferred: 0, sent: 1, delivered: 2, failed: 2, skipped: 2, cancelled: 2 };

/**
 * Whether a delivery may move from one status to another: never out of a final status,
 * never backwards (sent → pending), and deferred ↔ pending ↔ sent → deferred (a retry after
 * a provider error or a soft bounce defers a sent delivery again).
 */
export function canMoveDelivery(from: DeliveryStatus, to: DeliveryStatus): boolean {
  if (FINAL.has(from)) return false;
  if (from === to) return false;
  if (to === 'deferred') return true;
  return RANK[to] >= RANK[from];
}
