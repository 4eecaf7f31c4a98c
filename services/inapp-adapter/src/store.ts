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
  return prisma.$transaction(async (tx) => {
    const open = await tx.$queryRaw<{ id: string }[]>`
      SELECT id::text FROM notification_deliveries WHERE id = ${args.deliveryId}::uuid AND status IN ('pending', 'deferred') FOR UPDATE`;
    if (open.length === 0) return null;
    const [inbox] = await tx.$queryRaw<{ seq: string }[]>`
      INSERT INTO inapp_inboxes (user_id, last_seq, updated_at) VALUES (${args.userId}::uuid, 1, now())
      ON CONFLICT (user_id) DO UPDATE SET last_seq = inapp_inboxes.last_seq + 1, updated_at = now()
      RETURNING last_seq::text AS seq`;
    const seq = inbox!.seq;
    const [item] = await tx.$queryRaw<{ id: string }[]>`
      INSERT INTO inapp_items (user_id, seq, notification_delivery_id, event_id, event_type, priority, title, body, action_url, data, template_key, created_at, updated_at)
      VALUES (${args.userId}::uuid, ${seq}::bigint, ${args.deliveryId}::uuid, ${args.eventId}, ${args.eventType}, ${args.priority}::event_priority,
              ${args.content.title}, ${args.content.body}, ${args.content.actionUrl}, ${JSON.stringify(args.data ?? {})}::jsonb, ${args.templateKey}, ${args.now}, now())
      RETURNING id::text`;
    await tx.$executeRaw`
      UPDATE notification_deliveries
         SET status = 'delivered', attempts = attempts + 1, channel_identifier = ${args.userId}, external_id = ${item!.id},
             sent_at = ${args.now}, delivered_at = ${args.now}, updated_at = now()
       WHERE id = ${args.deliveryId}::uuid`;
    await tx.$queryRaw`SELECT pg_notify(${INBOX_CHANGE_CHANNEL}, ${JSON.stringify({ k: 'item', u: args.userId, s: seq })})::text`;
    return { id: item!.id, seq };
  });
}
