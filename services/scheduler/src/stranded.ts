import type { PrismaClient } from '@hub/db';
import { classifyFailure, describeError, type Bus } from '@hub/bus';
import { HEADERS, notificationEventSchema, TOPICS, type NotificationEvent } from '@hub/contracts';

interface StrandedRow {
  id: string;
  event_type: string;
  target_user_id: string | null;
  payload: Record<string, unknown>;
  priority: NotificationEvent['priority'];
  scheduled_for: Date | null;
  source: string | null;
  occurred_at: Date;
}

/**
 * notification_events is the gateway's outbox: an event is stored, then published, then
 * marked published. A gateway that died in between (or a welcome SMS stored with a phone
 * verification) leaves a row nobody publishes; this publishes rows unpublished for longer
 * than `olderThanMs`. Claimed with SKIP LOCKED so two schedulers do not both publish one
 * (publishing twice would still be harmless: the router is idempotent per event id).
 */
export async function publishStrandedEvents(prisma: PrismaClient, bus: Bus, olderThanMs: number, limit = 100): Promise<number> {
  return prisma.$transaction(async (tx) => {
    let rows = await tx.$queryRaw<StrandedRow[]>`
      SELECT id, event_type, target_user_id, payload, priority::text AS priority, scheduled_for, source, occurred_at
        FROM notification_events
       WHERE published_at IS NULL AND publish_error IS NULL AND created_at < now() - make_interval(secs => ${olderThanMs / 1000})
       ORDER BY created_at
       LIMIT ${limit}
         FOR UPDATE SKIP LOCKED`;
    if (rows.length === 0) return 0;
    const messages = rows.map((r) => ({
      key: r.target_user_id ?? r.id,
      value: {
        id: r.id,
        type: r.event_type,
        ...(r.target_user_id ? { targetUserId: r.target_user_id } : {}),
        payload: r.payload,
        priority: r.priority,
        ...(r.scheduled_for ? { scheduledFor: r.scheduled_for.toISOString() } : {}),
        ...(r.source ? { source: r.source } : {}),
        occurredAt: r.occurred_at.toISOString(),
      },
      headers: { [HEADERS.eventId]: r.id, [HEADERS.correlationId]: r.id, [HEADERS.source]: 'scheduler-outbox' },
    }));
    const refused = new Map<string, string>();
    try {
      await bus.publish(TOPICS.events, notificationEventSchema, messages);
    } catch (err) {
      if (classifyFailure(err) === 'transient') throw err;
      // One row Kafka or the schema refuses must not hold back the others: publish one by one
      // and mark what can never be published (it is then skipped, with its reason).
      for (const m of messages) {
        try {
          await bus.publish(TOPICS.events, notificationEventSchema, [m]);
        } catch (one) {
          if (!neverPublishable(one)) throw one;
          refused.set(m.value.id, describeError(one));
        }
      }
    }
    for (const [id, error] of refused) {
      await tx.$executeRaw`UPDATE notification_events SET publish_error = ${error.slice(0, 2000)} WHERE id = ${id}`;
    }
    rows = rows.filter((r) => !refused.has(r.id));
    await tx.$executeRaw`UPDATE notification_events SET published_at = now() WHERE id = ANY(${rows.map((r) => r.id)}::text[])`;
    return rows.length + refused.size;
  }, { timeout: 30_000 });
}

/** Kafka refused the record for what it is (size), or it fails the topic's schema: retrying cannot help. */
function neverPublishable(err: unknown): boolean {
  return classifyFailure(err) === 'poison' || (err instanceof Error && err.name === 'ZodError');
}
