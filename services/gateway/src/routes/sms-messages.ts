import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SmsStatus, type Prisma, type PrismaClient } from '@hub/db';
import { normalizePhone } from '@hub/sms-rules';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { afterCursor, decodeCursor, encodeCursor, pageQuery } from './pagination.ts';
import { authErrors, externalIdSchema, iso, isoDateTime } from './schemas.ts';

/** SMS message search: newest first, the same opaque cursor as deliveries. */

const listQuery = z.object({
  userId: externalIdSchema.optional(),
  phone: z.string().max(64).optional().describe('any form normalizePhone accepts; matched in E.164'),
  status: z.enum(Object.values(SmsStatus) as [SmsStatus, ...SmsStatus[]]).optional(),
  templateKey: z.string().max(100).optional(),
  eventType: z.string().max(100).optional().describe('the type of the event whose delivery the message belongs to'),
  channel: z.string().max(20).optional().describe("the channel of the message's delivery; messages outside a delivery have none"),
  from: isoDateTime.optional().describe('created at or after'),
  to: isoDateTime.optional().describe('created before'),
  ...pageQuery,
});

const messageView = z.object({
  id: z.string(), userId: z.string(), phoneNumber: z.string(), text: z.string(), templateKey: z.string().nullable(),
  status: z.string(), priority: z.string(), segments: z.number().int(), encoding: z.string(),
  scheduledFor: z.string().nullable(), sentAt: z.string().nullable(), deliveredAt: z.string().nullable(),
  twilioSid: z.string().nullable(), twilioStatus: z.string().nullable(), errorCode: z.number().int().nullable(), errorMessage: z.string().nullable(),
  attemptCount: z.number().int(), maxAttempts: z.number().int(), nextRetryAt: z.string().nullable(), deliveryId: z.string().nullable(),
  createdAt: z.string(), updatedAt: z.string(),
});

type Row = Prisma.SmsMessageGetPayload<{ include: { user: { select: { externalId: true } } } }>;

const toView = (m: Row): z.infer<typeof messageView> => ({
  id: m.id, userId: m.user.externalId, phoneNumber: m.phoneNumber, text: m.messageContent, templateKey: m.templateKey,
  status: m.status, priority: m.priority, segments: m.segments, encoding: m.encoding,
  scheduledFor: iso(m.scheduledFor), sentAt: iso(m.sentAt), deliveredAt: iso(m.deliveredAt),
  twilioSid: m.twilioSid, twilioStatus: m.twilioStatus, errorCode: m.twilioErrorCode, errorMessage: m.twilioErrorMessage,
  attemptCount: m.attemptCount, maxAttempts: m.maxAttempts, nextRetryAt: iso(m.nextRetryAt), deliveryId: m.notificationDeliveryId,
  createdAt: m.createdAt.toISOString(), updatedAt: m.updatedAt.toISOString(),
});

export function registerSmsMessageRoutes(app: FastifyInstance, deps: { prisma: PrismaClient }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/v1/sms-messages', {
    onRequest: requireScope(deps.prisma, 'admin:read'),
    schema: {
      tags: ['deliveries'], summary: 'Search SMS messages (newest first, cursor pagination)', querystring: listQuery,
      response: { 200: z.object({ items: z.array(messageView), nextCursor: z.string().nullable() }), ...authErrors },
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
    const where: Prisma.SmsMessageWhereInput = {
      ...(q.userId ? { user: { externalId: q.userId } } : {}),
      ...(phone ? { phoneNumber: phone } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.templateKey ? { templateKey: q.templateKey } : {}),
      ...(q.eventType || q.channel
        ? { delivery: { ...(q.eventType ? { event: { eventType: q.eventType } } : {}), ...(q.channel ? { channel: q.channel } : {}) } }
        : {}),
      ...(q.from || q.to ? { createdAt: { ...(q.from ? { gte: new Date(q.from) } : {}), ...(q.to ? { lt: new Date(q.to) } : {}) } } : {}),
      ...afterCursor(cursor),
    };
    const rows = await deps.prisma.smsMessage.findMany({
      where,
      include: { user: { select: { externalId: true } } },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return { items: page.map(toView), nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
  });
}
