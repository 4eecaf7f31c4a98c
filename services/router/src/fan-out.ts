import { Prisma, type PrismaClient } from '@hub/db';
import type { Bus, ConsumedMessage } from '@hub/bus';
import { deliveryRequestSchema, deliveryTopic, HEADERS, TOPICS, type Clock, type NotificationEvent } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import { failpoint } from '@hub/runtime';
import { channelAvailability, type ChannelAddresses } from './availability.ts';
import { chainFor, loadPolicies, planChain } from './routing-policy.ts';
import { recordChains, type ChainedRecipient, type RoutingContext } from './routing-steps.ts';

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
  /** Fallback and escalation policies (docs/inbox.md); absent: every subscribed channel at once. */
  routing?: RoutingContext;
}

interface RecipientRow {
  user_id: string;
  channels: string[];
  /** Every channel's address of the user (view user_channel_addresses), null when none. */
  addresses: ChannelAddresses | null;
}

/** The user's addresses on every channel, one JSON object keyed by channel. */
const ADDRESSES = Prisma.sql`(SELECT jsonb_object_agg(a.channel, jsonb_build_object(
    'address', a.address, 'verified', a.verified, 'opted_out', a.opted_out, 'undeliverable', a.undeliverable))
  FROM user_channel_addresses a WHERE a.user_id = u.id) AS addresses`;

/** Scheduled events more than this far ahead go to the scheduler instead of being routed now. */
const SCHEDULE_TOLERANCE_MS = 1_000;

/** The delay-queue decision for one event: routed now, or held in scheduled_jobs until due. */
function routesNow(deps: FanOutDeps, event: NotificationEvent): boolean {
  if (!event.scheduledFor) return true;
  const lead = Date.parse(event.scheduledFor) - deps.clock.now().getTime();
  const routeAhead = Boolean(event.targetUserId) && lead <= (deps.routeAheadMs ?? 0);
  return lead <= SCHEDULE_TOLERANCE_MS || routeAhead;
}

const correlationOf = (message: ConsumedMessage<NotificationEvent>) => message.headers[HEADERS.correlationId] ?? message.value.id;

/**
 * Routes a Kafka batch of events in offset order. Consecutive events for one target user
 * that go out now are routed together (one recipient query, one insert, one publish for the
 * run); a broadcast or a scheduled event is routed on its own, between the runs around it.
 */
export async function routeEvents(deps: FanOutDeps, messages: ConsumedMessage<NotificationEvent>[], heartbeat: () => Promise<void>): Promise<void> {
  let run: ConsumedMessage<NotificationEvent>[] = [];
  const flush = async () => {
    if (run.length > 0) await routeTargeted(deps, run);
    run = [];
  };
  for (const message of messages) {
    if (message.value.targetUserId && routesNow(deps, message.value)) {
      run.push(message);
      continue;
    }
    await flush();
    await routeEvent(deps, message, heartbeat);
  }
  await flush();
}

/**
 * Routes one event: records it, then writes one delivery row per (subscriber, channel) —
 * idempotently, in chunks — and publishes every delivery still pending. A replayed event
 * creates no new rows but republishes pending ones, so a crash between the DB write and
 * the publish loses nothing (the adapters are idempotent on delivery id).
 */
export async function routeEvent(deps: FanOutDeps, message: ConsumedMessage<NotificationEvent>, heartbeat: () => Promise<void>): Promise<void> {
  const event = message.value;
  const correlationId = correlationOf(message);
  const log = deps.log.child({ eventId: event.id, correlationId });

  if (!routesNow(deps, event)) {
    await deps.prisma.scheduledJob.createMany({
      data: [{
        kind: 'event_due',
        dueAt: new Date(event.scheduledFor!),
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
  let written = 0;
  for (;;) {
    const recipients = await loadRecipients(deps.prisma, event, cursor, deps.chunkSize);
    if (recipients.length === 0) break;
    const chunk = await writeAndPublish(deps, [{ event, correlationId, recipients }]);
    total += chunk.published;
    written += chunk.written.get(event.id) ?? 0;
    cursor = recipients[recipients.length - 1]!.user_id;
    failpoint('router.after_chunk');
    await heartbeat();
    if (event.targetUserId || recipients.length < deps.chunkSize) break;
  }
  const note = written > 0 ? null : event.targetUserId ? (await unknownTargets(deps.prisma, [event.targetUserId])).size > 0 ? 'unknown_user' : 'no_subscription' : 'no_subscribers';
  await markRouted(deps, [{ id: event.id, deliveries: written, note }]);
  log.info({ eventType: event.type, published: total, broadcast: !event.targetUserId, deliveries: written, ...(note ? { note } : {}) }, 'event routed');
}

/** Events for one target user each, routed together: four statements and one publish for the lot. */
async function routeTargeted(deps: FanOutDeps, messages: ConsumedMessage<NotificationEvent>[]): Promise<void> {
  const events = messages.map((m) => m.value);
  const rows = await deps.prisma.$queryRaw<(RecipientRow & { event_id: string })[]>`
    SELECT t.event_id, u.id::text AS user_id, s.channels, ${ADDRESSES}
      FROM unnest(${events.map((e) => e.id)}::text[], ${events.map((e) => e.type)}::text[], ${events.map((e) => e.targetUserId!)}::text[])
           AS t(event_id, event_type, target)
      JOIN users u ON u.external_id = t.target
      JOIN notification_subscriptions s ON s.user_id = u.id AND s.event_type = t.event_type AND s.active`;
  const byEvent = new Map<string, RecipientRow[]>();
  for (const r of rows) byEvent.set(r.event_id, [...(byEvent.get(r.event_id) ?? []), r]);
  const items = messages.flatMap((m) => {
    const recipients = byEvent.get(m.value.id);
    return recipients ? [{ event: m.value, correlationId: correlationOf(m), recipients }] : [];
  });
  const { published, written } = await writeAndPublish(deps, items);
  const nobody = events.filter((e) => !written.get(e.id));
  const unknown = nobody.length === 0 ? new Set<string>() : await unknownTargets(deps.prisma, nobody.map((e) => e.targetUserId!));
  await markRouted(deps, events.map((e) => {
    const n = written.get(e.id) ?? 0;
    return { id: e.id, deliveries: n, note: n > 0 ? null : unknown.has(e.targetUserId!) ? 'unknown_user' : 'no_subscription' };
  }));
  deps.log.info({ events: events.length, published }, 'targeted events routed');
}

/**
 * Records that events were routed, with how many deliveries each got and, for none, why:
 * unknown_user (the target is not a recipient), no_subscription (the target has no active
 * subscription to the type), no_subscribers (a broadcast nobody subscribes to). A redelivered
 * event counts its rows again (they exist), so the figures are the same.
 */
async function markRouted(deps: FanOutDeps, routed: { id: string; deliveries: number; note: string | null }[]): Promise<void> {
  await deps.prisma.$executeRaw`
    UPDATE notification_events e SET routed_at = ${deps.clock.now()}, routed_deliveries = t.n, routing_note = t.note
      FROM unnest(${routed.map((r) => r.id)}::text[], ${routed.map((r) => r.deliveries)}::int[], ${routed.map((r) => r.note)}::text[]) AS t(id, n, note)
     WHERE e.id = t.id`;
}

/** Which of these external ids are no recipient of the hub. */
async function unknownTargets(prisma: PrismaClient, externalIds: string[]): Promise<Set<string>> {
  const known = await prisma.$queryRaw<{ external_id: string }[]>`SELECT external_id FROM users WHERE external_id = ANY(${externalIds}::text[])`;
  const have = new Set(known.map((k) => k.external_id));
  return new Set(externalIds.filter((x) => !have.has(x)));
}

async function loadRecipients(prisma: PrismaClient, event: NotificationEvent, afterUserId: string, limit: number): Promise<RecipientRow[]> {
  const target = event.targetUserId
    ? Prisma.sql`AND u.external_id = ${event.targetUserId}`
    : Prisma.sql`AND u.id > ${afterUserId}::uuid`;
  return prisma.$queryRaw<RecipientRow[]>`
    SELECT u.id::text AS user_id, s.channels, ${ADDRESSES}
      FROM notification_subscriptions s
      JOIN users u ON u.id = s.user_id
     WHERE s.event_type = ${event.type} AND s.active ${target}
     ORDER BY u.id
     LIMIT ${limit}`;
}

interface Routed {
  event: NotificationEvent;
  correlationId: string;
  recipients: RecipientRow[];
}

/** Published: requests sent now; written: delivery rows planned per event (what routing_deliveries records). */
interface Written {
  published: number;
  written: Map<string, number>;
}

async function writeAndPublish(deps: FanOutDeps, items: Routed[]): Promise<Written> {
  const eventIds: string[] = [];
  const userIds: string[] = [];
  const channels: string[] = [];
  const identifiers: (string | null)[] = [];
  const statuses: string[] = [];
  const reasons: (string | null)[] = [];
  const policies = deps.routing ? await loadPolicies(deps.prisma, [...new Set(items.map((i) => i.event.type))]) : new Map();
  const chained: ChainedRecipient[] = [];
  for (const { event, recipients } of items) {
    const policy = policies.get(event.type);
    for (const r of recipients) {
      // With a policy: one channel at a time, in its order (the unusable ones before it recorded skipped).
      const chain = chainFor(policy, r.channels);
      const planned = chain ? planChain(chain, (c) => {
        const a = channelAvailability(c, deps.channels, r.addresses);
        return { available: a.available, reason: a.available ? null : a.reason };
      }) : null;
      if (chain && planned && policy) chained.push({ eventId: event.id, userId: r.user_id, urgent: event.priority === 'urgent', chain, planned, policy });
      for (const channel of planned ? planned.map((p) => p.channel) : new Set(r.channels)) {
        const availability = channelAvailability(channel, deps.channels, r.addresses);
        eventIds.push(event.id);
        userIds.push(r.user_id);
        channels.push(channel);
        identifiers.push(availability.available ? availability.identifier : (r.addresses?.[channel]?.address ?? null));
        statuses.push(availability.available ? 'pending' : 'skipped');
        reasons.push(availability.available ? null : availability.reason);
      }
    }
  }
  const written = new Map<string, number>();
  for (const id of eventIds) written.set(id, (written.get(id) ?? 0) + 1);
  if (userIds.length === 0) return { published: 0, written };
  await deps.prisma.$executeRaw`
    INSERT INTO notification_deliveries (event_id, user_id, channel, channel_identifier, status, skip_reason)
    SELECT t.event_id, t.user_id, t.channel, t.identifier, t.status::delivery_status, t.reason
      FROM unnest(${eventIds}::text[], ${userIds}::uuid[], ${channels}::text[], ${identifiers}::text[], ${statuses}::text[], ${reasons}::text[])
           AS t(event_id, user_id, channel, identifier, status, reason)
    ON CONFLICT (event_id, user_id, channel) DO NOTHING`;
  failpoint('router.after_insert');
  if (deps.routing && chained.length > 0) await recordChains(deps.prisma, deps.clock, deps.routing, chained);

  // Pending rows, created now or by an earlier run that crashed before publishing.
  const pending = await deps.prisma.$queryRaw<{ id: string; event_id: string; user_id: string; channel: string }[]>`
    SELECT d.id::text, d.event_id, d.user_id::text, d.channel
      FROM notification_deliveries d
      JOIN (SELECT DISTINCT * FROM unnest(${eventIds}::text[], ${userIds}::uuid[]) AS t(event_id, user_id)) t
        ON d.event_id = t.event_id AND d.user_id = t.user_id
     WHERE d.status = 'pending'`;
  const itemOf = new Map(items.map((i) => [i.event.id, i]));
  const byChannel = new Map<string, typeof pending>();
  for (const row of pending) {
    const list = byChannel.get(row.channel) ?? [];
    list.push(row);
    byChannel.set(row.channel, list);
  }
  const requestedAt = deps.clock.now().toISOString();
  await Promise.all([...byChannel].map(([channel, rows]) =>
    deps.bus.publish(
      deliveryTopic(channel),
      deliveryRequestSchema,
      rows.map((row) => {
        const { event, correlationId } = itemOf.get(row.event_id)!;
        return {
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
        };
      }),
    )));
  return { published: pending.length, written };
}
