import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient, Prisma } from '@hub/db';
import { forEachInGroups, type Bus } from '@hub/bus';
import { HEADERS, notificationEventSchema, TOPICS, type Clock, type NotificationEvent } from '@hub/contracts';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import type { GatewayMetrics } from '../plugins/metrics.ts';
import { authErrors, errorSchema } from './schemas.ts';

export const eventInputSchema = notificationEventSchema.extend({
  occurredAt: notificationEventSchema.shape.occurredAt.optional(),
});

const acceptedSchema = z.object({
  id: z.string(),
  status: z.enum(['accepted', 'duplicate']),
  acceptedAt: z.string(),
});

export type EventInput = z.input<typeof eventInputSchema>;

export interface AcceptDeps {
  prisma: PrismaClient;
  bus: Bus;
  clock: Clock;
  metrics?: Pick<GatewayMetrics, 'eventsAccepted'>;
}

export interface EventRouteDeps extends AcceptDeps {
  maxBatch: number;
}

export type AcceptOutcome = { kind: 'accepted' | 'duplicate'; acceptedAt: Date } | { kind: 'conflict' };

/**
 * Stores an event row unless its id is already known (the idempotency key). Takes a
 * transaction client, so a caller can store an event atomically with its own change and
 * publish it with acceptEvent afterwards (the row is then the outbox).
 */
export async function storeEvent(db: Prisma.TransactionClient | PrismaClient, input: EventInput, now: Date): Promise<NotificationEvent> {
  const parsed = eventInputSchema.parse(input);
  const event: NotificationEvent = { ...parsed, occurredAt: parsed.occurredAt ?? now.toISOString() };
  await db.notificationEvent.createMany({
    data: [{
      id: event.id,
      eventType: event.type,
      targetUserId: event.targetUserId ?? null,
      payload: event.payload as Prisma.InputJsonValue,
      priority: event.priority,
      scheduledFor: event.scheduledFor ? new Date(event.scheduledFor) : null,
      source: event.source ?? null,
      occurredAt: new Date(event.occurredAt),
      createdAt: now,
    }],
    skipDuplicates: true,
  });
  return event;
}

/**
 * Accepts one event. The event id is the idempotency key: the row in notification_events
 * remembers it; a repost of a published event produces nothing. A row that was stored but
 * never published (a crash or a Kafka failure in between) is published on the repost.
 */
export async function acceptEvent(deps: AcceptDeps, input: EventInput): Promise<AcceptOutcome> {
  const outcome = await accept(deps, input);
  deps.metrics?.eventsAccepted.inc({ outcome: outcome.kind });
  return outcome;
}

interface StoredEventRow {
  event_type: string;
  target_user_id: string | null;
  payload: Record<string, unknown>;
  occurred_at: Date;
  created_at: Date;
  published_at: Date | null;
}

async function accept(deps: AcceptDeps, input: EventInput): Promise<AcceptOutcome> {
  const parsed = eventInputSchema.parse(input);
  const now = deps.clock.now();
  const event: NotificationEvent = { ...parsed, occurredAt: parsed.occurredAt ?? now.toISOString() };
  // Insert unless known, and read back what is stored under the id: one round trip.
  const rows = await deps.prisma.$queryRaw<StoredEventRow[]>`
    WITH ins AS (
      INSERT INTO notification_events (id, event_type, target_user_id, payload, priority, scheduled_for, source, occurred_at, created_at)
      VALUES (${event.id}, ${event.type}, ${event.targetUserId ?? null}, ${JSON.stringify(event.payload)}::jsonb, ${event.priority}::event_priority,
              ${event.scheduledFor ? new Date(event.scheduledFor) : null}::timestamptz, ${event.source ?? null}, ${new Date(event.occurredAt)}::timestamptz, ${now}::timestamptz)
      ON CONFLICT (id) DO NOTHING
      RETURNING event_type, target_user_id, payload, occurred_at, created_at, published_at
    )
    SELECT * FROM ins
    UNION ALL
    SELECT event_type, target_user_id, payload, occurred_at, created_at, published_at FROM notification_events
     WHERE id = ${event.id} AND NOT EXISTS (SELECT 1 FROM ins)`;
  const row = rows[0];
  if (!row) throw new Error(`event ${event.id} neither stored nor found`);
  if (row.event_type !== event.type || (row.target_user_id ?? undefined) !== event.targetUserId) return { kind: 'conflict' };
  if (row.published_at) return { kind: 'duplicate', acceptedAt: row.created_at };
  const stored: NotificationEvent = { ...event, payload: row.payload, occurredAt: row.occurred_at.toISOString() };
  await deps.bus.publish(TOPICS.events, notificationEventSchema, [
    { key: stored.targetUserId ?? stored.id, value: stored, headers: { [HEADERS.eventId]: stored.id, [HEADERS.correlationId]: stored.id, [HEADERS.source]: 'gateway' } },
  ]);
  await deps.prisma.$executeRaw`UPDATE notification_events SET published_at = ${deps.clock.now()} WHERE id = ${event.id} AND published_at IS NULL`;
  return { kind: 'accepted', acceptedAt: row.created_at };
}

export function registerEventRoutes(app: FastifyInstance, deps: EventRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post('/v1/events', {
    onRequest: requireScope(deps.prisma, 'events:write'),
    schema: {
      tags: ['events'],
      summary: 'Publish one notification event (202 once Kafka acknowledged it)',
      body: eventInputSchema,
      response: { 202: acceptedSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 409: errorSchema },
    },
  }, async (request, reply) => {
    const outcome = await acceptEvent(deps, request.body);
    if (outcome.kind === 'conflict') return sendError(reply, 409, 'idempotency_key_reused', `event id ${request.body.id} was already used for a different event`);
    if (outcome.kind === 'duplicate') void reply.header('idempotent-replayed', 'true');
    return reply.code(202).send({ id: request.body.id, status: outcome.kind, acceptedAt: outcome.acceptedAt.toISOString() });
  });

  r.post('/v1/events/batch', {
    onRequest: requireScope(deps.prisma, 'events:write'),
    schema: {
      tags: ['events'],
      summary: 'Publish up to GATEWAY_MAX_BATCH events; each result says accepted, duplicate or conflict',
      body: z.object({ events: z.array(eventInputSchema).min(1).max(deps.maxBatch) }),
      response: {
        202: z.object({ results: z.array(z.object({ id: z.string(), status: z.enum(['accepted', 'duplicate', 'conflict']) })) }).describe('one result per event, in request order'),
        ...authErrors,
      },
    },
  }, async (request, reply) => {
    const ids = request.body.events.map((e) => e.id);
    if (new Set(ids).size !== ids.length) return sendError(reply, 400, 'duplicate_ids', 'each event in a batch needs its own id');
    // Events for one recipient keep their order; the others are accepted concurrently.
    const status = new Map<string, AcceptOutcome['kind']>();
    await forEachInGroups(request.body.events, (e) => e.targetUserId ?? e.id, 16, async (event) => {
      status.set(event.id, (await acceptEvent(deps, event)).kind);
    });
    return reply.code(202).send({ results: request.body.events.map((e) => ({ id: e.id, status: status.get(e.id)! })) });
  });
}
