import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient } from '@hub/db';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { authErrors, dbString, errorSchema, iso } from './schemas.ts';

/**
 * One event and what became of it: whether and when the router routed it, how many
 * deliveries it wrote and — for none — why (routing_note), and every delivery on every
 * channel with its state, plus counts by channel and status.
 */

const deliveryRow = z.object({
  id: z.string(), channel: z.string(), userId: z.string(), channelIdentifier: z.string().nullable(), status: z.string(),
  skipReason: z.string().nullable(), attempts: z.number().int(), lastErrorCode: z.string().nullable(),
  createdAt: z.string(), sentAt: z.string().nullable(), deliveredAt: z.string().nullable(), failedAt: z.string().nullable(),
});

const eventDetail = z.object({
  id: z.string(), type: z.string(), targetUserId: z.string().nullable(), priority: z.string(), source: z.string().nullable(),
  scheduledFor: z.string().nullable(), createdAt: z.string(), publishedAt: z.string().nullable(), publishError: z.string().nullable(),
  routing: z.object({
    routedAt: z.string().nullable().describe('null: not routed yet (scheduled, or still in Kafka)'),
    deliveries: z.number().int().nullable().describe('deliveries the router wrote (null before routing)'),
    reason: z.string().nullable().describe('why it reached nobody: unknown_user, no_subscription, no_subscribers'),
  }),
  counts: z.record(z.string(), z.record(z.string(), z.number().int())).describe('deliveries by channel, then status'),
  deliveries: z.array(deliveryRow).describe('at most 500, oldest first (a broadcast: use GET /v1/deliveries?eventId= to page)'),
});

export function registerEventDetailRoute(app: FastifyInstance, deps: { prisma: PrismaClient }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/v1/events/:id', {
    onRequest: requireScope(deps.prisma, 'admin:read'),
    schema: {
      tags: ['events'], summary: 'One event: its routing (deliveries written, or why none) and its deliveries on every channel',
      params: z.object({ id: dbString('notification_events.id').min(1) }),
      response: { 200: eventDetail, 404: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const e = await deps.prisma.notificationEvent.findUnique({ where: { id: request.params.id } });
    if (!e) return sendError(reply, 404, 'event_not_found', 'no such event');
    const [deliveries, grouped] = await Promise.all([
      deps.prisma.notificationDelivery.findMany({ where: { eventId: e.id }, orderBy: [{ createdAt: 'asc' }, { id: 'asc' }], take: 500, include: { user: { select: { externalId: true } } } }),
      deps.prisma.notificationDelivery.groupBy({ by: ['channel', 'status'], where: { eventId: e.id }, _count: { _all: true } }),
    ]);
    const counts: Record<string, Record<string, number>> = {};
    for (const g of grouped) (counts[g.channel] ??= {})[g.status] = g._count._all;
    return {
      id: e.id, type: e.eventType, targetUserId: e.targetUserId, priority: e.priority, source: e.source,
      scheduledFor: iso(e.scheduledFor), createdAt: e.createdAt.toISOString(), publishedAt: iso(e.publishedAt), publishError: e.publishError,
      routing: { routedAt: iso(e.routedAt), deliveries: e.routedDeliveries, reason: e.routingNote },
      counts,
      deliveries: deliveries.map((d) => ({
        id: d.id, channel: d.channel, userId: d.user.externalId, channelIdentifier: d.channelIdentifier, status: d.status, skipReason: d.skipReason,
        attempts: d.attempts, lastErrorCode: d.lastErrorCode, createdAt: d.createdAt.toISOString(), sentAt: iso(d.sentAt), deliveredAt: iso(d.deliveredAt), failedAt: iso(d.failedAt),
      })),
    };
  });
}
