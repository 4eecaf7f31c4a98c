import type { ChannelPreferenceRow } from '@hub/channel-kit';
import type { NotificationDelivery, NotificationEvent, PrismaClient, SmsMessage, User, UserSmsPreferences } from '@hub/db';

export type LoadedDelivery = NotificationDelivery & {
  event: NotificationEvent;
  user: User & { smsPreferences: UserSmsPreferences | null };
  smsMessages: SmsMessage[];
  /** notification_preferences rows of the user on SMS for this event type or '*'. */
  channelPreferences: ChannelPreferenceRow[];
};

/** Timestamp columns of the loaded tables (JSON carries them as ISO strings). */
const DATE_FIELDS = new Set([
  'deferredUntil', 'sentAt', 'deliveredAt', 'failedAt', 'createdAt', 'updatedAt', 'scheduledFor', 'occurredAt', 'publishedAt',
  'routedAt', 'phoneVerifiedAt', 'optedOutAt', 'sendStartedAt', 'nextRetryAt', 'providerSentAt',
]);

const camel = (column: string) => column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

/** A row of to_jsonb(table) as the Prisma model it is (every @map is the field's snake_case). */
function toModel<T>(row: Record<string, unknown>): T {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    const field = camel(column);
    out[field] = DATE_FIELDS.has(field) && typeof value === 'string' ? new Date(value) : value;
  }
  return out as T;
}

interface Row {
  d: Record<string, unknown>;
  e: Record<string, unknown>;
  u: Record<string, unknown>;
  p: Record<string, unknown> | null;
  m: Record<string, unknown>[];
  np: ChannelPreferenceRow[];
}

/**
 * Deliveries with their event, user, SMS preferences and messages, in one query for all of
 * them (the hot path: Prisma's include would be one query per relation, several times the
 * CPU). One entry per id, in order; null for an unknown id.
 */
export async function loadDeliveries(prisma: PrismaClient, deliveryIds: string[]): Promise<(LoadedDelivery | null)[]> {
  const rows = await prisma.$queryRaw<(Row & { id: string })[]>`
    SELECT d.id::text AS id, to_jsonb(d) AS d, to_jsonb(e) AS e, to_jsonb(u) AS u, to_jsonb(p) AS p,
           COALESCE((SELECT jsonb_agg(to_jsonb(m)) FROM sms_messages m WHERE m.notification_delivery_id = d.id), '[]'::jsonb) AS m,
           COALESCE((SELECT jsonb_agg(jsonb_build_object('event_type', n.event_type, 'enabled', n.enabled)) FROM notification_preferences n
                      WHERE n.user_id = d.user_id AND n.channel = d.channel AND n.event_type IN (e.event_type, '*')), '[]'::jsonb) AS np
      FROM notification_deliveries d
      JOIN notification_events e ON e.id = d.event_id
      JOIN users u ON u.id = d.user_id
      LEFT JOIN user_sms_preferences p ON p.user_id = d.user_id
     WHERE d.id = ANY(${deliveryIds}::uuid[])`;
  const byId = new Map(rows.map((row) => [row.id, row]));
  return deliveryIds.map((id) => {
    const row = byId.get(id.toLowerCase());
    if (!row) return null;
    return {
      ...toModel<NotificationDelivery>(row.d),
      event: toModel<NotificationEvent>(row.e),
      user: { ...toModel<User>(row.u), smsPreferences: row.p ? toModel<UserSmsPreferences>(row.p) : null },
      smsMessages: row.m.map((m) => toModel<SmsMessage>(m)),
      channelPreferences: row.np,
    };
  });
}

export async function loadDelivery(prisma: PrismaClient, deliveryId: string): Promise<LoadedDelivery | null> {
  const [delivery] = await loadDeliveries(prisma, [deliveryId]);
  return delivery ?? null;
}
