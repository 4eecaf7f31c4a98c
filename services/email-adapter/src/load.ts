import { rowToModel, type ChannelPreferenceRow } from '@hub/channel-kit';
import type { EmailMessage, NotificationDelivery, NotificationEvent, PrismaClient, User, UserEmailPreferences } from '@hub/db';

export type LoadedEmailDelivery = NotificationDelivery & {
  event: NotificationEvent;
  user: User;
  emailPreferences: UserEmailPreferences | null;
  message: EmailMessage | null;
  /** notification_preferences rows of the user on email for this event type or '*'. */
  channelPreferences: ChannelPreferenceRow[];
};

const DATE_FIELDS = new Set([
  'deferredUntil', 'sentAt', 'deliveredAt', 'failedAt', 'createdAt', 'updatedAt', 'scheduledFor', 'occurredAt', 'publishedAt', 'routedAt',
  'emailVerifiedAt', 'optedOutAt', 'undeliverableAt', 'sendStartedAt', 'bouncedAt', 'complainedAt', 'openedAt', 'nextRetryAt',
]);
const toModel = <T>(row: Record<string, unknown>) => rowToModel<T>(row, DATE_FIELDS);

interface Row {
  id: string;
  d: Record<string, unknown>;
  e: Record<string, unknown>;
  u: Record<string, unknown>;
  p: Record<string, unknown> | null;
  m: Record<string, unknown> | null;
  np: ChannelPreferenceRow[];
}

/** Deliveries with their event, user, email address state, message and preferences: one query for all. */
export async function loadEmailDeliveries(prisma: PrismaClient, ids: string[]): Promise<(LoadedEmailDelivery | null)[]> {
  const rows = await prisma.$queryRaw<Row[]>`
    SELECT d.id::text AS id, to_jsonb(d) AS d, to_jsonb(e) AS e, to_jsonb(u) AS u, to_jsonb(p) AS p, to_jsonb(m) AS m,
           COALESCE((SELECT jsonb_agg(jsonb_build_object('event_type', n.event_type, 'enabled', n.enabled)) FROM notification_preferences n
                      WHERE n.user_id = d.user_id AND n.channel = d.channel AND n.event_type IN (e.event_type, '*')), '[]'::jsonb) AS np
      FROM notification_deliveries d
      JOIN notification_events e ON e.id = d.event_id
      JOIN users u ON u.id = d.user_id
      LEFT JOIN user_email_preferences p ON p.user_id = d.user_id
      LEFT JOIN email_messages m ON m.notification_delivery_id = d.id
     WHERE d.id = ANY(${ids}::uuid[])`;
  const byId = new Map(rows.map((r) => [r.id, r]));
  return ids.map((id) => {
    const row = byId.get(id.toLowerCase());
    if (!row) return null;
    return {
      ...toModel<NotificationDelivery>(row.d),
      event: toModel<NotificationEvent>(row.e),
      user: toModel<User>(row.u),
      emailPreferences: row.p ? toModel<UserEmailPreferences>(row.p) : null,
      message: row.m ? toModel<EmailMessage>(row.m) : null,
      channelPreferences: row.np,
    };
  });
}
