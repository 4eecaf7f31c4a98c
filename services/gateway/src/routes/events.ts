import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient, Prisma } from '@hub/db';
import type { Bus } from '@hub/bus';
import { HEADERS, notificationEventSchema, TOPICS, type Clock, type NotificationEvent } from '@hub/contracts';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import type { GatewayMetrics } from '../plugins/metrics.ts';
import { errorSchema } from './schemas.ts';

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

async function accept(deps: AcceptDeps, input: EventInput): Promise<AcceptOutcome> {
  const event = await storeEvent(deps.prisma, input, deps.clock.now());
  const row = await deps.prisma.notificationEvent.findUniqueOrThrow({ where: { id: event.id } });
  if (row.eventType !== event.type || (row.targetUserId ?? undefined) !== event.targetUserId) return { kind: 'conflict' };
  if (row.publishedAt) return { kind: 'duplicate', acceptedAt: row.createdAt };
  const stored: NotificationEvent = {
    ...event,
    payload: row.payload as Record<string, unknown>,
    occurredAt: row.occurredAt.toISOString(),
  };
  await deps.bus.publish(TOPICS.events, notificationEventSchema, [
    { key: stored.targetUserId ?? stored.id, value: stored, headers: { [HEADERS.eventId]: stored.id, [HEADERS.correlationId]: stored.id, [HEADERS.source]: 'gateway' } },
  ]);
  await deps.prisma.notificationEvent.update({ where: { id: event.id }, data: { publishedAt: deps.clock.now() } });
  return { kind: 'accepted', acceptedAt: row.createdAt };
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
        202: z.object({ results: z.array(z.object({ id: z.string(), status: z.enum(['accepted', 'duplicate', 'conflict']) })) }),
        400: errorSchema,
      },
    },
  }, async (request, reply) => {
    const ids = request.body.events.map((e) => e.id);
    if (new Set(ids).size !== ids.length) return sendError(reply, 400, 'duplicate_ids', 'each event in a batch needs its own id');
    const results = [];
    for (const event of request.body.events) {
      const outcome = await acceptEvent(deps, event);
      results.push({ id: event.id, status: outcome.kind });
    }
    return reply.code(202).send({ results });
  });
}
