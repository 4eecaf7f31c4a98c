import { Prisma, type PrismaClient } from '@hub/db';
import type { Bus, ConsumedMessage } from '@hub/bus';
import { deliveryRequestSchema, deliveryTopic, HEADERS, TOPICS, type Clock, type NotificationEvent } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import { failpoint } from '@hub/runtime';
import { channelAvailability } from './availability.ts';

export interface FanOutDeps {
  bus: Bus;
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
  channels: readonly string[];
  chunkSize: number;
  /**
   * Targeted events scheduled at most this far ahead are routed at once: their deliveries
   * wait in the channel adapter (Twilio-native scheduling, or the scheduler when the send
   * time is outside Twilio's window). 0 (default): every scheduled event waits here.
   */
  routeAheadMs?: number;
}

interface RecipientRow {
  user_id: string;
  channels: string[];
  phone_number: string | null;
  phone_verified: boolean | null;
  opted_out: boolean | null;
}

/** Scheduled events more than this far ahead go to the scheduler instead of being routed now. */
const SCHEDULE_TOLERANCE_MS = 1_000;

/**
 * Routes one event: records it, then writes one delivery row per (subscriber, channel) —
 * idempotently, in chunks — and publishes every delivery still pending. A replayed event
 * creates no new rows but republishes pending ones, so a crash between the DB write and
 * the publish loses nothing (the adapters are idempotent on delivery id).
 */
export async function routeEvent(deps: FanOutDeps, message: ConsumedMessage<NotificationEvent>, heartbeat: () => Promise<void>): Promise<void> {
  const event = message.value;
  const correlationId = message.headers[HEADERS.correlationId] ?? event.id;
  const log = deps.log.child({ eventId: event.id, correlationId });

  const lead = event.scheduledFor ? Date.parse(event.scheduledFor) - deps.clock.now().getTime() : 0;
  const routeAhead = Boolean(event.targetUserId) && lead <= (deps.routeAheadMs ?? 0);
  if (event.scheduledFor && lead > SCHEDULE_TOLERANCE_MS && !routeAhead) {
    await deps.prisma.scheduledJob.createMany({
      data: [{
        kind: 'event_due',
        dueAt: new Date(event.scheduledFor),
        topic: deps.bus.topic(TOPICS.events),
        key: message.key,
        payload: event as unknown as Prisma.InputJsonValue,
        headers: { [HEADERS.correlationId]: correlationId, [HEADERS.eventId]: event.id },
        refId: event.id,
        dedupeKey: `event:${event.id}`,
      }],
      skipDuplicates: true,
    });
    log.info({ scheduledFor: event.scheduledFor }, 'event scheduled');
    return;
  }

  let cursor = '00000000-0000-0000-0000-000000000000';
  let total = 0;
  for (;;) {
    const recipients = await loadRecipients(deps.prisma, event, cursor, deps.chunkSize);
    if (recipients.length === 0) break;
    total += await writeAndPublish(deps, event, recipients, correlationId);
    cursor = recipients[recipients.length - 1]!.user_id;
    failpoint('router.after_chunk');
    await heartbeat();
    if (event.targetUserId || recipients.length < deps.chunkSize) break;
  }
  await deps.prisma.notificationEvent.update({ where: { id: event.id }, data: { routedAt: deps.clock.now() } });
  log.info({ eventType: event.type, published: total, broadcast: !event.targetUserId }, 'event routed');
}

async function loadRecipients(prisma: PrismaClient, event: NotificationEvent, afterUserId: string, limit: number): Promise<RecipientRow[]> {
  const target = event.targetUserId
    ? Prisma.sql`AND u.external_id = ${event.targetUserId}`
    : Prisma.sql`AND u.id > ${afterUserId}::uuid`;
  return prisma.$queryRaw<RecipientRow[]>`
    SELECT u.id::text AS user_id, s.channels, p.phone_number, p.phone_verified, p.opted_out
      FROM notification_subscriptions s
      JOIN users u ON u.id = s.user_id
      LEFT JOIN user_sms_preferences p ON p.user_id = u.id
     WHERE s.event_type = ${event.type} AND s.active ${target}
     ORDER BY u.id
     LIMIT ${limit}`;
}

async function writeAndPublish(deps: FanOutDeps, event: NotificationEvent, recipients: RecipientRow[], correlationId: string): Promise<number> {
  const userIds: string[] = [];
  const channels: string[] = [];
  const identifiers: (string | null)[] = [];
  const statuses: string[] = [];
  const reasons: (string | null)[] = [];
  for (const r of recipients) {
    for (const channel of new Set(r.channels)) {
      const availability = channelAvailability(channel, deps.channels, {
        phoneNumber: r.phone_number,
        phoneVerified: r.phone_verified,
        optedOut: r.opted_out,
      });
      userIds.push(r.user_id);
      channels.push(channel);
      identifiers.push(availability.available ? availability.identifier : r.phone_number);
      statuses.push(availability.available ? 'pending' : 'skipped');
      reasons.push(availability.available ? null : availability.reason);
    }
  }
  if (userIds.length === 0) return 0;
  await deps.prisma.$executeRaw`
    INSERT INTO notification_deliveries (event_id, user_id, channel, channel_identifier, status, skip_reason)
    SELECT ${event.id}, t.user_id, t.channel, t.identifier, t.status::delivery_status, t.reason
      FROM unnest(${userIds}::uuid[], ${channels}::text[], ${identifiers}::text[], ${statuses}::text[], ${reasons}::text[])
           AS t(user_id, channel, identifier, status, reason)
    ON CONFLICT (event_id, user_id, channel) DO NOTHING`;

  const pending = await deps.prisma.$queryRaw<{ id: string; user_id: string; channel: string }[]>`
    SELECT id::text, user_id::text, channel FROM notification_deliveries
     WHERE event_id = ${event.id} AND user_id = ANY(${userIds}::uuid[]) AND status = 'pending'`;
  const byChannel = new Map<string, typeof pending>();
  for (const row of pending) {
    const list = byChannel.get(row.channel) ?? [];
    list.push(row);
    byChannel.set(row.channel, list);
  }
  const requestedAt = deps.clock.now().toISOString();
  for (const [channel, rows] of byChannel) {
    await deps.bus.publish(
      deliveryTopic(channel),
      deliveryRequestSchema,
      rows.map((row) => ({
        key: row.user_id,
        value: {
          deliveryId: row.id,
          eventId: event.id,
          userId: row.user_id,
          channel,
          eventType: event.type,
          priority: event.priority,
          reason: 'new' as const,
          requestedAt,
        },
        headers: { [HEADERS.correlationId]: correlationId, [HEADERS.eventId]: event.id, [HEADERS.deliveryId]: row.id },
      })),
    );
  }
  return pending.length;
}
