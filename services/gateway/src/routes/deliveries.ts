import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Prisma, PrismaClient } from '@hub/db';
import { deliveryRequestSchema, deliveryTopic, HEADERS, type Clock } from '@hub/contracts';
import type { SmsProvider } from '@hub/sms-provider';
import type { Bus } from '@hub/bus';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { afterCursor, decodeCursor, encodeCursor, pageQuery } from './pagination.ts';

const DELIVERY_STATUSES = ['pending', 'deferred', 'sent', 'delivered', 'failed', 'skipped', 'cancelled'] as const;

export interface DeliveryRouteDeps {
  prisma: PrismaClient;
  bus: Bus;
  clock: Clock;
  provider?: SmsProvider;
}

const listQuery = z.object({
  userId: z.string().max(200).optional().describe('the recipient external id'),
  phone: z.string().max(20).optional(),
  eventType: z.string().max(100).optional(),
  eventId: z.string().max(128).optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  channel: z.string().max(20).optional(),
  from: z.iso.datetime({ offset: true }).optional(),
  to: z.iso.datetime({ offset: true }).optional(),
  ...pageQuery,
});

const idParams = z.object({ id: z.uuid() });

function deliveryView(d: Prisma.NotificationDeliveryGetPayload<{ include: { event: true; user: true; smsMessages: true } }>) {
  const sms = d.smsMessages[0];
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.event.eventType,
    userId: d.user.externalId,
    channel: d.channel,
    channelIdentifier: d.channelIdentifier,
    status: d.status,
    skipReason: d.skipReason,
    attempts: d.attempts,
    externalId: d.externalId,
    lastError: d.lastError,
    lastErrorCode: d.lastErrorCode,
    deferredUntil: d.deferredUntil?.toISOString() ?? null,
    sentAt: d.sentAt?.toISOString() ?? null,
    deliveredAt: d.deliveredAt?.toISOString() ?? null,
    failedAt: d.failedAt?.toISOString() ?? null,
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    sms: sms
      ? { id: sms.id, status: sms.status, segments: sms.segments, encoding: sms.encoding, twilioSid: sms.twilioSid, errorCode: sms.twilioErrorCode }
      : null,
  };
}

export function registerDeliveryRoutes(app: FastifyInstance, deps: DeliveryRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read = requireScope(deps.prisma, 'admin:read');
  const write = requireScope(deps.prisma, 'admin:write');

  r.get('/v1/deliveries', {
    onRequest: read,
    schema: { tags: ['deliveries'], summary: 'Search deliveries (newest first, cursor pagination)', querystring: listQuery },
  }, async (request, reply) => {
    const q = request.query;
    const cursor = q.cursor ? decodeCursor(q.cursor) : null;
    if (q.cursor && !cursor) return sendError(reply, 400, 'invalid_cursor', 'the cursor is not valid');
    const where: Prisma.NotificationDeliveryWhereInput = {
      ...(q.userId ? { user: { externalId: q.userId } } : {}),
      ...(q.phone ? { channelIdentifier: q.phone } : {}),
      ...(q.eventType ? { event: { eventType: q.eventType } } : {}),
      ...(q.eventId ? { eventId: q.eventId } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.channel ? { channel: q.channel } : {}),
      ...(q.from || q.to ? { createdAt: { ...(q.from ? { gte: new Date(q.from) } : {}), ...(q.to ? { lt: new Date(q.to) } : {}) } } : {}),
      ...afterCursor(cursor),
    };
    const rows = await deps.prisma.notificationDelivery.findMany({
      where,
      include: { event: true, user: true, smsMessages: true },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return { items: page.map(deliveryView), nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
  });

  r.get('/v1/deliveries/:id', {
    onRequest: read,
    schema: { tags: ['deliveries'], summary: 'One delivery: event, message text, status history, retry schedule', params: idParams },
  }, async (request, reply) => {
    const d = await deps.prisma.notificationDelivery.findUnique({
      where: { id: request.params.id },
      include: { event: true, user: true, smsMessages: { include: { events: { orderBy: { id: 'asc' } } } } },
    });
    if (!d) return sendError(reply, 404, 'delivery_not_found', 'no such delivery');
    const jobs = await deps.prisma.scheduledJob.findMany({ where: { refId: d.id }, orderBy: { dueAt: 'asc' } });
    const sms = d.smsMessages[0];
    return {
      ...deliveryView({ ...d, smsMessages: d.smsMessages }),
      event: { id: d.event.id, type: d.event.eventType, priority: d.event.priority, payload: d.event.payload, scheduledFor: d.event.scheduledFor?.toISOString() ?? null, occurredAt: d.event.occurredAt.toISOString() },
      message: sms
        ? {
            id: sms.id,
            text: sms.messageContent,
            templateKey: sms.templateKey,
            segments: sms.segments,
            encoding: sms.encoding,
            status: sms.status,
            attemptCount: sms.attemptCount,
            maxAttempts: sms.maxAttempts,
            nextRetryAt: sms.nextRetryAt?.toISOString() ?? null,
            twilioSid: sms.twilioSid,
            errorCode: sms.twilioErrorCode,
            errorMessage: sms.twilioErrorMessage,
            history: sms.events.map((e) => ({ status: e.status, twilioStatus: e.twilioStatus, sid: e.twilioSid, attempt: e.attempt, errorCode: e.errorCode, source: e.source, applied: e.applied, at: e.occurredAt.toISOString() })),
          }
        : null,
      schedule: jobs.map((j) => ({ kind: j.kind, dueAt: j.dueAt.toISOString(), status: j.status })),
    };
  });

  r.post('/v1/deliveries/:id/resend', {
    onRequest: write,
    schema: { tags: ['deliveries'], summary: 'Send a failed delivery again (a new attempt, now)', params: idParams },
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
    await deps.prisma.$transaction([
      deps.prisma.notificationDelivery.update({ where: { id: d.id }, data: { status: 'deferred', deferredUntil: now } }),
      ...(sms ? [deps.prisma.smsMessage.update({ where: { id: sms.id }, data: { status: 'scheduled', nextRetryAt: now, maxAttempts: sms.attemptCount + 1 } })] : []),
      deps.prisma.scheduledJob.create({
        data: {
          kind: 'resend', dueAt: now, topic: deps.bus.topic(deliveryTopic(d.channel)), key: d.userId, payload,
          headers: { [HEADERS.deliveryId]: d.id, [HEADERS.correlationId]: d.eventId, 'x-actor': request.apiKey?.name ?? 'api' },
          refId: d.id,
        },
      }),
    ]);
    return reply.code(202).send({ id: d.id, status: 'deferred' });
  });

  r.post('/v1/deliveries/:id/cancel', {
    onRequest: write,
    schema: { tags: ['deliveries'], summary: 'Cancel a delivery that has not been sent yet (scheduled, deferred or retrying)', params: idParams },
  }, async (request, reply) => {
    const d = await deps.prisma.notificationDelivery.findUnique({ where: { id: request.params.id }, include: { smsMessages: true } });
    if (!d) return sendError(reply, 404, 'delivery_not_found', 'no such delivery');
    const sms = d.smsMessages[0];
    const nativeScheduled = sms?.status === 'scheduled' && sms.twilioSid !== null && d.status === 'sent';
    if (!['pending', 'deferred'].includes(d.status) && !nativeScheduled) {
      return sendError(reply, 409, 'not_cancellable', `only pending, deferred or scheduled deliveries can be cancelled (this one is ${d.status})`);
    }
    if (nativeScheduled && deps.provider && sms?.twilioSid) await deps.provider.cancel(sms.twilioSid);
    await deps.prisma.$transaction([
      deps.prisma.notificationDelivery.update({ where: { id: d.id }, data: { status: 'cancelled', skipReason: 'cancelled_by_admin' } }),
      deps.prisma.scheduledJob.updateMany({ where: { refId: d.id, status: 'pending' }, data: { status: 'cancelled' } }),
      ...(sms ? [deps.prisma.smsMessage.updateMany({ where: { id: sms.id, status: { in: ['pending', 'scheduled'] } }, data: { status: 'cancelled' } })] : []),
    ]);
    return { id: d.id, status: 'cancelled' };
  });
}
