import { Prisma, type PrismaClient } from '@hub/db';

/** The inbox's SQL (tables of prisma/migrations/20261215000000_inapp), always scoped to one user. */

export const INBOX_CHANGE_CHANNEL = 'hub_inapp';

export interface ItemRow {
  id: string;
  seq: string;
  event_id: string;
  event_type: string;
  priority: string;
  title: string;
  body: string;
  action_url: string | null;
  data: unknown;
  created_at: Date;
  seen_at: Date | null;
  read_at: Date | null;
  archived_at: Date | null;
}

export interface ItemView {
  id: string;
  seq: string;
  eventId: string;
  eventType: string;
  priority: string;
  title: string;
  body: string;
  actionUrl: string | null;
  data: unknown;
  createdAt: string;
  seenAt: string | null;
  readAt: string | null;
  archivedAt: string | null;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function itemView(r: ItemRow): ItemView {
  return {
    id: r.id, seq: r.seq, eventId: r.event_id, eventType: r.event_type, priority: r.priority, title: r.title, body: r.body,
    actionUrl: r.action_url, data: r.data ?? {}, createdAt: r.created_at.toISOString(), seenAt: iso(r.seen_at), readAt: iso(r.read_at), archivedAt: iso(r.archived_at),
  };
}

const COLUMNS = Prisma.sql`id::text, seq::text, event_id, event_type, priority::text, title, body, action_url, data, created_at, seen_at, read_at, archived_at`;

export interface Counts {
  total: number;
  unread: number;
  unseen: number;
  /** The user's last item sequence: open the stream after it to miss nothing. */
  lastEventId: string;
}

export async function counts(prisma: PrismaClient, userId: string): Promise<Counts> {
  const [row] = await prisma.$queryRaw<{ total: number; unread: number; unseen: number; last: string }[]>`
    SELECT count(*) FILTER (WHERE archived_at IS NULL)::int AS total,
           count(*) FILTER (WHERE archived_at IS NULL AND read_at IS NULL)::int AS unread,
           count(*) FILTER (WHERE archived_at IS NULL AND seen_at IS NULL)::int AS unseen,
           COALESCE((SELECT last_seq FROM inapp_inboxes WHERE user_id = ${userId}::uuid), 0)::text AS last
      FROM inapp_items WHERE user_id = ${userId}::uuid`;
  return { total: row!.total, unread: row!.unread, unseen: row!.unseen, lastEventId: row!.last };
}

export interface ListFilter {
  read?: boolean;
  seen?: boolean;
  /** Default false: the inbox; true: the archive; undefined: both. */
  archived?: boolean;
  eventType?: string;
  /** Items with a sequence below this (the previous page's nextCursor). */
  before?: bigint;
  limit: number;
}

function filterSql(f: Omit<ListFilter, 'before' | 'limit'>): Prisma.Sql {
  const parts: Prisma.Sql[] = [];
  if (f.read !== undefined) parts.push(f.read ? Prisma.sql`read_at IS NOT NULL` : Prisma.sql`read_at IS NULL`);
  if (f.seen !== undefined) parts.push(f.seen ? Prisma.sql`seen_at IS NOT NULL` : Prisma.sql`seen_at IS NULL`);
  if (f.archived !== undefined) parts.push(f.archived ? Prisma.sql`archived_at IS NOT NULL` : Prisma.sql`archived_at IS NULL`);
  if (f.eventType !== undefined) parts.push(Prisma.sql`event_type = ${f.eventType}`);
  return parts.length ? Prisma.sql`AND ${Prisma.join(parts, ' AND ')}` : Prisma.empty;
}

/** Newest first, keyset-paged on the per-user sequence (stable while items arrive). */
export async function listItems(prisma: PrismaClient, userId: string, f: ListFilter): Promise<{ items: ItemView[]; nextCursor: string | null }> {
  const before = f.before !== undefined ? Prisma.sql`AND seq < ${f.before.toString()}::bigint` : Prisma.empty;
  const rows = await prisma.$queryRaw<ItemRow[]>`
    SELECT ${COLUMNS} FROM inapp_items WHERE user_id = ${userId}::uuid ${filterSql(f)} ${before}
     ORDER BY seq DESC LIMIT ${f.limit + 1}`;
  const page = rows.slice(0, f.limit);
  return { items: page.map(itemView), nextCursor: rows.length > f.limit ? page[page.length - 1]!.seq : null };
}

/** The user's items after a sequence, oldest first (stream catch-up). */
export async function itemsAfter(prisma: PrismaClient, userId: string, after: bigint, limit: number): Promise<ItemView[]> {
  const rows = await prisma.$queryRaw<ItemRow[]>`
    SELECT ${COLUMNS} FROM inapp_items WHERE user_id = ${userId}::uuid AND seq > ${after.toString()}::bigint ORDER BY seq LIMIT ${limit}`;
  return rows.map(itemView);
}

export async function lastSeq(prisma: PrismaClient, userId: string): Promise<bigint> {
  const rows = await prisma.$queryRaw<{ s: string }[]>`SELECT last_seq::text AS s FROM inapp_inboxes WHERE user_id = ${userId}::uuid`;
  return BigInt(rows[0]?.s ?? '0');
}

export const MARK_ACTIONS = ['seen', 'read', 'unread', 'archive', 'unarchive'] as const;
export type MarkAction = (typeof MARK_ACTIONS)[number];

/** The SET clause of an action: read implies seen; seen/read keep their first time. */
function setClause(action: MarkAction, now: Date): Prisma.Sql {
  switch (action) {
    case 'seen': return Prisma.sql`seen_at = COALESCE(seen_at, ${now})`;
    case 'read': return Prisma.sql`seen_at = COALESCE(seen_at, ${now}), read_at = COALESCE(read_at, ${now})`;
    case 'unread': return Prisma.sql`read_at = NULL`;
    case 'archive': return Prisma.sql`seen_at = COALESCE(seen_at, ${now}), archived_at = COALESCE(archived_at, ${now})`;
    case 'unarchive': return Prisma.sql`archived_at = NULL`;
  }
}

/**
 * Marks one item (`itemId`) or every matching item of the user, in one statement: the items,
 * their delivery rows (seen_at / read_at: the delivery's own record of what the client
 * reported), the cancellation of pending escalation steps once an item is read (or archived),
 * a timeline row for each cancellation, and the announcement to every gateway's stream hub
 * (pg_notify, delivered at commit). Returns the changed items.
 */
export async function markItems(prisma: PrismaClient, args: { userId: string; action: MarkAction; now: Date; itemId?: string; eventType?: string }): Promise<(ItemView & { escalationsCancelled: number })[]> {
  const { userId, action, now } = args;
  const which = args.itemId !== undefined
    ? Prisma.sql`AND id = ${args.itemId}::uuid`
    : Prisma.sql`${args.eventType !== undefined ? Prisma.sql`AND event_type = ${args.eventType}` : Prisma.empty} AND archived_at IS NULL`;
  const cancels = action === 'read' || action === 'archive';
  const rows = await prisma.$queryRaw<(ItemRow & { delivery_id: string; cancelled: number })[]>`
    WITH i AS (
      UPDATE inapp_items SET ${setClause(action, now)}, updated_at = now()
       WHERE user_id = ${userId}::uuid ${which}
      RETURNING ${COLUMNS}, notification_delivery_id
    ), d AS (
      UPDATE notification_deliveries nd
         SET seen_at = i.seen_at, read_at = i.read_at, updated_at = now()
        FROM i WHERE nd.id = i.notification_delivery_id
    ), j AS (
      UPDATE scheduled_jobs sj SET status = 'cancelled', last_error = 'cancelled: the in-app item was ' || ${action === 'read' ? 'read' : 'archived'}::text, updated_at = now()
        FROM i WHERE ${cancels}::boolean AND sj.kind = 'routing_escalation' AND sj.status = 'pending' AND sj.ref_id = i.notification_delivery_id::text
      RETURNING sj.ref_id, sj.payload
    ), s AS (
      INSERT INTO routing_steps (event_id, user_id, kind, channel, from_channel, delivery_id, reason)
      SELECT i.event_id, ${userId}::uuid, 'escalation_cancelled', j.payload->>'channel', 'inapp', i.notification_delivery_id,
             'the in-app item was ' || ${action === 'read' ? 'read' : 'archived'}::text
        FROM j JOIN i ON i.notification_delivery_id::text = j.ref_id
    ), n AS (
      SELECT pg_notify(${INBOX_CHANGE_CHANNEL}, json_build_object('k', 'state', 'u', ${userId}::text, 'a', ${action}::text, 'n', (SELECT count(*) FROM i))::text)
    )
    SELECT i.*, i.notification_delivery_id::text AS delivery_id,
           (SELECT count(*)::int FROM j WHERE j.ref_id = i.notification_delivery_id::text) AS cancelled
      FROM i, n`;
  return rows.map((r) => ({ ...itemView(r), escalationsCancelled: r.cancelled }));
}
