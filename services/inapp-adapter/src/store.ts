import type { PrismaClient } from '@hub/db';
import type { InappContent } from './render.ts';

/** PostgreSQL channel announcing inbox changes; the gateway's stream hub LISTENs on it. */
export const INBOX_CHANGE_CHANNEL = 'hub_inapp';

export interface StoredItem {
  id: string;
  seq: string;
}

/**
 * Stores the item and marks the delivery delivered, in one transaction (invariant 3), and
 * announces it with pg_notify, which PostgreSQL delivers at commit — so a client is told
 * about an item only once it is readable, and never about one that was rolled back.
 *
 * The delivery row is locked and must still be open (pending/deferred): a concurrent
 * handler of the same request (a redelivery, a rebalance) waits, then finds it delivered
 * and stores nothing; a cancel that won the lock leaves nothing to store. The per-user
 * sequence comes from inapp_inboxes under its row lock, so one user's items commit in
 * sequence order (what resuming a stream after sequence N relies on).
 */
export async function storeItem(prisma: PrismaClient, args: {
  deliveryId: string; userId: string; eventId: string; eventType: string; priority: string; content: InappContent;
  data: unknown; templateKey: string | null; now: Date;
}): Promise<StoredItem | null> {
  // One statement (one round trip, its own transaction): the delivery lock, the next sequence
  // under the inbox row's lock (both held to the commit), the item, the delivery's move, the notification.
  const rows = await prisma.$queryRaw<{ id: string; seq: string; notified: number }[]>`
    WITH open AS (
      SELECT id FROM notification_deliveries WHERE id = ${args.deliveryId}::uuid AND status IN ('pending', 'deferred') FOR UPDATE
    ), inbox AS (
      INSERT INTO inapp_inboxes (user_id, last_seq, updated_at) SELECT ${args.userId}::uuid, 1, now() FROM open
      ON CONFLICT (user_id) DO UPDATE SET last_seq = inapp_inboxes.last_seq + 1, updated_at = now()
      RETURNING last_seq
    ), item AS (
      INSERT INTO inapp_items (user_id, seq, notification_delivery_id, event_id, event_type, priority, title, body, action_url, data, template_key, created_at, updated_at)
      SELECT ${args.userId}::uuid, inbox.last_seq, ${args.deliveryId}::uuid, ${args.eventId}, ${args.eventType}, ${args.priority}::event_priority,
             ${args.content.title}, ${args.content.body}, ${args.content.actionUrl}, ${JSON.stringify(args.data ?? {})}::jsonb, ${args.templateKey}, ${args.now}, now()
        FROM inbox
      RETURNING id, seq
    ), d AS (
      UPDATE notification_deliveries nd
         SET status = 'delivered', attempts = nd.attempts + 1, channel_identifier = ${args.userId}, external_id = item.id::text,
             sent_at = ${args.now}, delivered_at = ${args.now}, updated_at = now()
        FROM item WHERE nd.id = ${args.deliveryId}::uuid
    ), n AS (
      SELECT pg_notify(${INBOX_CHANGE_CHANNEL}, json_build_object('k', 'item', 'u', ${args.userId}::text, 's', item.seq::text)::text) FROM item
    )
    SELECT item.id::text, item.seq::text, (SELECT count(*)::int FROM n) AS notified FROM item`;
  const row = rows[0];
  return row ? { id: row.id, seq: row.seq } : null;
}
