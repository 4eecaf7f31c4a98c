import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Prisma, PrismaClient } from '@hub/db';
import { deliveryRequestSchema, deliveryTopic, HEADERS, type Clock } from '@hub/contracts';
import type { SmsProvider } from '@hub/sms-provider';
import { normalizePhone } from '@hub/sms-rules';
import type { Bus } from '@hub/bus';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { afterCursor, decodeCursor, encodeCursor, pageQuery } from './pagination.ts';
import { authErrors, errorSchema, isoDateTime } from './schemas.ts';
import { normalizedEmail } from '../email/address.ts';
import { deliveryActionSchema, deliveryDetailSchema, deliveryDetailView, deliveryPageSchema, deliveryView } from './delivery-views.ts';
import { cancelDelivery, LostRace } from './delivery-cancel.ts';

const DELIVERY_STATUSES = ['pending', 'deferred', 'sent', 'delivered', 'failed', 'skipped', 'cancelled'] as const;

export interface DeliveryRouteDeps {
  prisma: PrismaClient;
  bus: Bus;
  clock: Clock;
  provider?: SmsProvider;
}

const listQuery = z.object({
  userId: z.string().max(200).optional().describe('the recipient external id'),
  phone: z.string().max(64).optional().describe('any form normalizePhone accepts; matched in E.164'),
  email: z.string().max(400).optional().describe('an email address; normalised, then matched exactly against the delivery address'),
  eventType: z.string().max(100).optional(),
  eventId: z.string().max(128).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  channel: z.string().max(20).optional(),
  from: isoDateTime.optional().describe('created at or after'),
  to: isoDateTime.optional().describe('created before'),
  ...pageQuery,
});

const idParams = z.object({ id: z.uuid() });
const actionErrors = { ...authErrors, 404: errorSchema, 409: errorSchema } as const;

export function registerDeliveryRoutes(app: FastifyInstance, deps: DeliveryRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read = requireScope(deps.prisma, 'admin:read');
  const write = requireScope(deps.prisma, 'admin:write');

  r.get('/v1/deliveries', {
    onRequest: read,
    schema: {
      tags: ['deliveries'], summary: 'Search deliveries (newest first, cursor pagination)', querystring: listQuery,
      response: { 200: deliveryPageSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const q = request.query;
    const cursor = q.cursor ? decodeCursor(q.cursor) : null;
    if (q.cursor && !cursor) return sendError(reply, 400, 'invalid_cursor', 'the cursor is not valid');
    let phone: string | undefined;
    if (q.phone) {
      const parsed = normalizePhone(q.phone);
      if (!parsed.ok) return sendError(reply, 400, 'invalid_phone', parsed.error.message, { fields: [{ field: 'querystring.phone', message: parsed.error.message }] });
      phone = parsed.e164;
    }
    let email: string | undefined;
    if (q.email) {
      const parsed = normalizedEmail(reply, q.email, 'querystring.email');
      if (!parsed) return reply;
      email = parsed.address;
    }
    if (phone && email) return sendError(reply, 400, 'conflicting_filters', 'filter by phone or by email, not both (a delivery has one address)');
    const where: Prisma.NotificationDeliveryWhereInput = {
      ...(q.userId ? { user: { externalId: q.userId } } : {}),
      ...(phone ? { channelIdentifier: phone } : {}),
      ...(email ? { channelIdentifier: email, channel: 'email' } : {}),
      ...(q.eventType ? { event: { eventType: q.eventType } } : {}),
      ...(q.eventId ? { eventId: q.eventId } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.channel ? { channel: q.channel } : {}),
      ...(q.from || q.to ? { createdAt: { ...(q.from ? { gte: new Date(q.from) } : {}), ...(q.to ? { lt: new Date(q.to) } : {}) } } : {}),
      ...afterCursor(cursor),
    };
    const rows = await deps.prisma.notificationDelivery.findMany({
      where,
      include: { event: true, user: true, smsMessages: true, emailMessages: true },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return { items: page.map(deliveryView), nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
  });

  r.get('/v1/deliveries/:id', {
    onRequest: read,
    schema: {
      tags: ['deliveries'], summary: 'One delivery: event, message text, status history, retry schedule', params: idParams,
      response: { 200: deliveryDetailSchema, ...authErrors, 404: errorSchema },
    },
  }, async (request, reply) => {
    const d = await deps.prisma.notificationDelivery.findUnique({
      where: { id: request.params.id },
      include: { event: true, user: true, smsMessages: { include: { events: { orderBy: { id: 'asc' } } } }, emailMessages: { include: { events: { orderBy: { id: 'asc' } } } } },
    });
    if (!d) return sendError(reply, 404, 'delivery_not_found', 'no such delivery');
    const [jobs, adminActions] = await Promise.all([
      deps.prisma.scheduledJob.findMany({ where: { refId: d.id }, orderBy: [{ dueAt: 'asc' }, { createdAt: 'asc' }] }),
      deps.prisma.adminAuditEvent.findMany({ where: { targetType: 'delivery', targetId: d.id }, orderBy: [{ at: 'asc' }, { id: 'asc' }], take: 100 }),
    ]);
    return deliveryDetailView(d, jobs, adminActions);
  });

  r.post('/v1/deliveries/:id/resend', {
    onRequest: write,
    schema: {
      tags: ['deliveries'], summary: 'Send a failed delivery again (a new attempt, now); 409 unless it is failed', params: idParams,
      response: { 202: deliveryActionSchema, ...actionErrors },
    },
  }, async (request, reply) => {
    const d = await deps.prisma.notificationDelivery.findUnique({ where: { id: request.params.id }, include: { event: true, smsMessages: true } });
    if (!d) return sendError(reply, 404, 'delivery_not_found', 'no such delivery');
    if (d.status !== 'failed') return sendError(reply, 409, 'not_resendable', `only failed deliveries can be resent (this one is ${d.status})`);
    const now = deps.clock.now();
    const sms = d.smsMessages[0];
    const payload = deliveryRequestSchema.parse({
      deliveryId: d.id, eventId: d.eventId, userId: d.userId, channel: d.channel, eventType: d.event.eventType,
      priority: d.event.priority, reason: 'resend', requestedAt: now.toISOString(),
    });
    // Conditional writes: of two concurrent resends (or a resend racing any other change),
    // only the one that still finds the delivery failed moves it; the job's dedupe key
    // (one per failed attempt) makes a second job impossible even so.
    try {
      await deps.prisma.$transaction(async (tx) => {
        if (sms) {
          const moved = await tx.smsMessage.updateMany({
            where: { id: sms.id, status: { in: ['failed', 'undelivered'] } },
            data: { status: 'scheduled', nextRetryAt: now, maxAttempts: sms.attemptCount + 1 },
          });
          if (moved.count === 0) throw new LostRace();
        }
        const moved = await tx.notificationDelivery.updateMany({ where: { id: d.id, status: 'failed' }, data: { status: 'deferred', deferredUntil: now } });
        if (moved.count === 0) throw new LostRace();
        const job = await tx.scheduledJob.createMany({
          data: [{
            kind: 'resend', dueAt: now, topic: deps.bus.topic(deliveryTopic(d.channel)), key: d.userId, payload,
            headers: { [HEADERS.deliveryId]: d.id, [HEADERS.correlationId]: d.eventId, 'x-actor': request.apiKey?.name ?? 'api' },
            refId: d.id, dedupeKey: `resend:${d.id}:${d.attempts}`,
          }],
          skipDuplicates: true,
        });
        if (job.count === 0) throw new LostRace();
      });
    } catch (err) {
      if (err instanceof LostRace) return sendError(reply, 409, 'not_resendable', 'the delivery changed meanwhile (another resend or cancel); fetch it and retry');
      throw err;
    }
    return reply.code(202).send({ id: d.id, status: 'deferred' as const });
  });

  r.post('/v1/deliveries/:id/cancel', {
    onRequest: write,
    schema: {
      tags: ['deliveries'],
      summary: 'Cancel a delivery not sent yet (pending, deferred, retrying or natively scheduled); 409 while sending or once final',
      params: idParams,
      response: { 200: deliveryActionSchema, ...actionErrors },
    },
  }, async (request, reply) => {
    const d = await deps.prisma.notificationDelivery.findUnique({ where: { id: request.params.id }, include: { smsMessages: true } });
    if (!d) return sendError(reply, 404, 'delivery_not_found', 'no such delivery');
    const outcome = await cancelDelivery(deps.prisma, deps.provider, d, 'cancelled_by_admin');
    if (!outcome.ok) return sendError(reply, 409, outcome.code, outcome.message);
    return { id: d.id, status: 'cancelled' as const };
  });
}
