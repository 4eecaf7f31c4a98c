import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { EmailStatus, type Prisma, type PrismaClient } from '@hub/db';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { normalizedEmail } from '../email/address.ts';
import { afterCursor, decodeCursor, encodeCursor, pageQuery } from './pagination.ts';
import { authErrors, errorSchema, externalIdSchema, iso, isoDateTime } from './schemas.ts';

/** Email message search (newest first, the same opaque cursor as deliveries) and one message with its events. */

const listQuery = z.object({
  userId: externalIdSchema.optional(),
  email: z.string().max(400).optional().describe('an address; normalised, then matched exactly'),
  status: z.enum(Object.values(EmailStatus) as [EmailStatus, ...EmailStatus[]]).optional(),
  templateKey: z.string().max(100).optional(),
  since: isoDateTime.optional().describe('created at or after'),
  until: isoDateTime.optional().describe('created before'),
  ...pageQuery,
});

export const emailEventView = z.object({
  status: z.string().nullable(), event: z.string(), attempt: z.number().int(), smtpStatus: z.string().nullable(),
  detail: z.string().nullable(), source: z.string(), applied: z.boolean(), at: z.string(),
});

const messageView = z.object({
  id: z.string(), userId: z.string(), to: z.string(), from: z.string(), subject: z.string(), templateKey: z.string().nullable(),
  status: z.string(), priority: z.string(), messageIdHeader: z.string().nullable(), providerQueueId: z.string().nullable(), smtpResponse: z.string().nullable(),
  bounceType: z.string().nullable(), scheduledFor: z.string().nullable(), sentAt: z.string().nullable(), deliveredAt: z.string().nullable(),
  bouncedAt: z.string().nullable(), complainedAt: z.string().nullable(), errorCode: z.string().nullable(), errorMessage: z.string().nullable(),
  attemptCount: z.number().int(), maxAttempts: z.number().int(), nextRetryAt: z.string().nullable(), deliveryId: z.string().nullable(),
  createdAt: z.string(), updatedAt: z.string(),
});
const detailView = messageView.extend({ text: z.string(), html: z.string(), events: z.array(emailEventView).describe('every status change and provider event, oldest first') });

type Row = Prisma.EmailMessageGetPayload<{ include: { user: { select: { externalId: true } } } }>;
type EventRow = Prisma.EmailMessageEventGetPayload<object>;

export const toEmailEventView = (e: EventRow): z.infer<typeof emailEventView> => ({
  status: e.status, event: e.event, attempt: e.attempt, smtpStatus: e.smtpStatus, detail: e.detail, source: e.source, applied: e.applied, at: e.occurredAt.toISOString(),
});

const toView = (m: Row): z.infer<typeof messageView> => ({
  id: m.id, userId: m.user.externalId, to: m.emailAddress, from: m.fromAddress, subject: m.subject, templateKey: m.templateKey,
  status: m.status, priority: m.priority, messageIdHeader: m.messageIdHeader, providerQueueId: m.providerQueueId, smtpResponse: m.smtpResponse,
  bounceType: m.bounceType, scheduledFor: iso(m.scheduledFor), sentAt: iso(m.sentAt), deliveredAt: iso(m.deliveredAt),
  bouncedAt: iso(m.bouncedAt), complainedAt: iso(m.complainedAt), errorCode: m.errorCode, errorMessage: m.errorMessage,
  attemptCount: m.attemptCount, maxAttempts: m.maxAttempts, nextRetryAt: iso(m.nextRetryAt), deliveryId: m.notificationDeliveryId,
  createdAt: m.createdAt.toISOString(), updatedAt: m.updatedAt.toISOString(),
});

export function registerEmailMessageRoutes(app: FastifyInstance, deps: { prisma: PrismaClient }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read = requireScope(deps.prisma, 'admin:read');

  r.get('/v1/email-messages', {
    onRequest: read,
    schema: {
      tags: ['email', 'deliveries'], summary: 'Search email messages (newest first, cursor pagination)', querystring: listQuery,
      response: { 200: z.object({ items: z.array(messageView), nextCursor: z.string().nullable() }), ...authErrors },
    },
  }, async (request, reply) => {
    const q = request.query;
    const cursor = q.cursor ? decodeCursor(q.cursor) : null;
    if (q.cursor && !cursor) return sendError(reply, 400, 'invalid_cursor', 'the cursor is not valid');
    let address: string | undefined;
    if (q.email) {
      const email = normalizedEmail(reply, q.email, 'querystring.email');
      if (!email) return reply;
      address = email.address;
    }
    const where: Prisma.EmailMessageWhereInput = {
      ...(q.userId ? { user: { externalId: q.userId } } : {}),
      ...(address ? { emailAddress: address } : {}),
      ...(q.status ? { status: q.status } : {}),
      ...(q.templateKey ? { templateKey: q.templateKey } : {}),
      ...(q.since || q.until ? { createdAt: { ...(q.since ? { gte: new Date(q.since) } : {}), ...(q.until ? { lt: new Date(q.until) } : {}) } } : {}),
      ...afterCursor(cursor),
    };
    const rows = await deps.prisma.emailMessage.findMany({
      where, include: { user: { select: { externalId: true } } }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return { items: page.map(toView), nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null };
  });

  r.get('/v1/email-messages/:id', {
    onRequest: read,
    schema: { tags: ['email', 'deliveries'], summary: 'One email message with its bodies and events', params: z.object({ id: z.uuid() }), response: { 200: detailView, 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const m = await deps.prisma.emailMessage.findUnique({
      where: { id: request.params.id },
      include: { user: { select: { externalId: true } }, events: { orderBy: { id: 'asc' } } },
    });
    if (!m) return sendError(reply, 404, 'email_message_not_found', 'no such email message');
    return { ...toView(m), text: m.textBody, html: m.htmlBody, events: m.events.map(toEmailEventView) };
  });
}
