import type { Prisma } from './generated/client.ts';

type Tx = Prisma.TransactionClient;

/**
 * An opt-out or opt-in on a channel other than SMS (email today), from any source: the
 * one-click unsubscribe link (RFC 8058), a complaint reported by the provider, an admin.
 * `scope` is 'all' (every message of the channel) or one event type.
 */
export interface ChannelOptChange {
  channel: 'email';
  userId: string;
  address: string;
  scope: 'all' | (string & {});
  source: 'one_click' | 'unsubscribe_page' | 'complaint' | 'provider_unsubscribe' | 'admin';
  detail?: string | null;
  actor?: string | null;
  at: Date;
}

async function audit(tx: Tx, change: ChannelOptChange, action: 'opt_out' | 'opt_in'): Promise<void> {
  await tx.channelOptOutEvent.create({
    data: {
      channel: change.channel, userId: change.userId, address: change.address, action, scope: change.scope,
      source: change.source, detail: change.detail?.slice(0, 200) ?? null, actor: change.actor ?? null, createdAt: change.at,
    },
  });
}

/**
 * Opts a user out of a channel (scope 'all': the channel's own preferences row) or of one
 * event type on it (notification_preferences), audits it, and cancels at once what waits:
 * the channel's deliveries still pending or deferred (of that type, for a scoped opt-out),
 * their scheduler jobs and their messages not yet sent. Returns the cancelled deliveries.
 */
export async function recordChannelOptOut(tx: Tx, change: ChannelOptChange): Promise<number> {
  await audit(tx, change, 'opt_out');
  if (change.scope === 'all') {
    await tx.userEmailPreferences.updateMany({
      where: { userId: change.userId },
      data: { optedOut: true, optedOutAt: change.at, optOutReason: change.source },
    });
  } else {
    await tx.notificationPreference.upsert({
      where: { userId_channel_eventType: { userId: change.userId, channel: change.channel, eventType: change.scope } },
      create: { userId: change.userId, channel: change.channel, eventType: change.scope, enabled: false, source: change.source },
      update: { enabled: false, source: change.source },
    });
  }
  const scope = change.scope === 'all' ? null : change.scope;
  const cancelled = await tx.$queryRaw<{ id: string }[]>`
    UPDATE notification_deliveries d SET status = 'cancelled', skip_reason = ${scope ? 'preference_off' : 'opted_out'}, updated_at = now()
      FROM notification_events e
     WHERE e.id = d.event_id AND d.user_id = ${change.userId}::uuid AND d.channel = ${change.channel}
       AND d.status IN ('pending', 'deferred') AND (${scope}::text IS NULL OR e.event_type = ${scope}::text)
    RETURNING d.id::text`;
  const ids = cancelled.map((r) => r.id);
  if (ids.length > 0) {
    await tx.$executeRaw`UPDATE scheduled_jobs SET status = 'cancelled', updated_at = now() WHERE status = 'pending' AND ref_id = ANY(${ids})`;
    await tx.$executeRaw`
      UPDATE email_messages SET status = 'cancelled', next_retry_at = NULL, updated_at = now()
       WHERE notification_delivery_id = ANY(${ids}::uuid[]) AND status IN ('pending', 'scheduled')`;
  }
  return ids.length;
}

/** Opts a user back in (scope 'all' or one event type), audited. */
export async function recordChannelOptIn(tx: Tx, change: ChannelOptChange): Promise<void> {
  await audit(tx, change, 'opt_in');
  if (change.scope === 'all') {
    await tx.userEmailPreferences.updateMany({ where: { userId: change.userId }, data: { optedOut: false, optedOutAt: null, optOutReason: null } });
  } else {
    await tx.notificationPreference.upsert({
      where: { userId_channel_eventType: { userId: change.userId, channel: change.channel, eventType: change.scope } },
      create: { userId: change.userId, channel: change.channel, eventType: change.scope, enabled: true, source: change.source },
      update: { enabled: true, source: change.source },
    });
  }
}
