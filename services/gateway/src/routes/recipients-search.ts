import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Prisma, PrismaClient } from '@hub/db';
import { normalizePhone } from '@hub/sms-rules';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { normalizedEmail } from '../email/address.ts';
import { afterCursor, decodeCursor, encodeCursor, pageQuery } from './pagination.ts';
import { authErrors, iso, isoDateTime } from './schemas.ts';

/**
 * Admin views the seeds' support work needs (issue 16, item 9): recipients found by phone,
 * email, verification, opt-out and creation time; clicks per link, per delivery and per
 * template.
 */

const flag = z.enum(['true', 'false']).transform((v) => v === 'true');

const recipientQuery = z.object({
  phone: z.string().max(64).optional().describe('any form normalizePhone accepts; matched in E.164 against the SMS number'),
  email: z.string().max(400).optional().describe('an email address, normalised; matched case-insensitively'),
  verified: flag.optional().describe('phone verified (true/false)'),
  optedOut: flag.optional().describe('opted out of SMS (true/false)'),
  createdFrom: isoDateTime.optional().describe('recipient created at or after'),
  createdTo: isoDateTime.optional().describe('recipient created before'),
  ...pageQuery,
});

const recipientView = z.object({
  externalId: z.string(), timezone: z.string(), locale: z.string(), createdAt: z.string(),
  sms: z.object({ phoneNumber: z.string().nullable(), phoneVerified: z.boolean(), optedOut: z.boolean(), optedOutAt: z.string().nullable() }).nullable(),
  email: z.object({ address: z.string().nullable(), verified: z.boolean(), optedOut: z.boolean(), undeliverable: z.boolean() }).nullable(),
});

const clickQuery = z.object({
  deliveryId: z.uuid().optional(),
  eventId: z.string().max(128).optional(),
  templateKey: z.string().max(100).optional(),
  from: isoDateTime.optional().describe('link created at or after'),
  to: isoDateTime.optional().describe('link created before'),
  ...pageQuery,
});

const linkView = z.object({
  shortCode: z.string(), destinationUrl: z.string(), clickCount: z.number().int(),
  firstClickedAt: z.string().nullable(), lastClickedAt: z.string().nullable(), createdAt: z.string(),
  deliveryId: z.string().nullable(), eventId: z.string().nullable(), templateKey: z.string().nullable(),
});

const templateClicks = z.object({
  templateKey: z.string().nullable().describe('null: messages without a template (fallback or ad-hoc text)'),
  links: z.number().int(), clickedLinks: z.number().int(), clicks: z.number().int(), deliveries: z.number().int(),
});

export function registerRecipientSearchRoutes(app: FastifyInstance, deps: { prisma: PrismaClient }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read = requireScope(deps.prisma, 'admin:read');

  r.get('/v1/recipients', {
    onRequest: read,
    schema: {
      tags: ['recipients'], summary: 'List and search recipients (phone, email, verified, opted out, created), newest first',
      querystring: recipientQuery,
      response: { 200: z.object({ items: z.array(recipientView), nextCursor: z.string().nullable() }), ...authErrors },
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
    let emailKey: string | undefined;
    if (q.email) {
      const parsed = normalizedEmail(reply, q.email, 'querystring.email');
      if (!parsed) return reply;
      emailKey = parsed.address.toLowerCase();
    }
    const sms: Prisma.UserSmsPreferencesWhereInput = {
      ...(phone ? { phoneNumber: phone } : {}),
      ...(q.verified !== undefined ? { phoneVerified: q.verified } : {}),
      ...(q.optedOut !== undefined ? { optedOut: q.optedOut } : {}),
    };
    const where: Prisma.UserWhereInput = {
      ...(Object.keys(sms).length > 0 ? { smsPreferences: { is: sms } } : {}),
      ...(emailKey ? { emailPreferences: { is: { emailKey } } } : {}),
      ...(q.createdFrom || q.createdTo ? { createdAt: { ...(q.createdFrom ? { gte: new Date(q.createdFrom) } : {}), ...(q.createdTo ? { lt: new Date(q.createdTo) } : {}) } } : {}),
      ...afterCursor(cursor),
    };
    const rows = await deps.prisma.user.findMany({
      where, include: { smsPreferences: true, emailPreferences: true }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: q.limit + 1,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((u) => ({
        externalId: u.externalId, timezone: u.timezone, locale: u.locale, createdAt: u.createdAt.toISOString(),
        sms: u.smsPreferences ? { phoneNumber: u.smsPreferences.phoneNumber, phoneVerified: u.smsPreferences.phoneVerified, optedOut: u.smsPreferences.optedOut, optedOutAt: iso(u.smsPreferences.optedOutAt) } : null,
        email: u.emailPreferences ? { address: u.emailPreferences.emailAddress, verified: u.emailPreferences.emailVerified, optedOut: u.emailPreferences.optedOut, undeliverable: u.emailPreferences.undeliverable } : null,
      })),
      nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null,
    };
  });

  r.get('/v1/clicks', {
    onRequest: read,
    schema: {
      tags: ['links'], summary: 'Tracked links with their click counts, by delivery, event or template (newest first)',
      querystring: clickQuery,
      response: { 200: z.object({ items: z.array(linkView), totalClicks: z.number().int(), nextCursor: z.string().nullable() }), ...authErrors },
    },
  }, async (request, reply) => {
    const q = request.query;
    const cursor = q.cursor ? decodeCursor(q.cursor) : null;
    if (q.cursor && !cursor) return sendError(reply, 400, 'invalid_cursor', 'the cursor is not valid');
    const delivery: Prisma.NotificationDeliveryWhereInput = {
      ...(q.eventId ? { eventId: q.eventId } : {}),
      ...(q.templateKey ? { smsMessages: { some: { templateKey: q.templateKey } } } : {}),
    };
    const base: Prisma.SmsClickTrackingWhereInput = {
      ...(q.deliveryId ? { deliveryId: q.deliveryId } : {}),
      ...(Object.keys(delivery).length > 0 ? { delivery: { is: delivery } } : {}),
      ...(q.from || q.to ? { createdAt: { ...(q.from ? { gte: new Date(q.from) } : {}), ...(q.to ? { lt: new Date(q.to) } : {}) } } : {}),
    };
    const [rows, total] = await Promise.all([
      deps.prisma.smsClickTracking.findMany({
        where: { ...base, ...afterCursor(cursor) },
        include: { delivery: { select: { eventId: true, smsMessages: { select: { templateKey: true }, take: 1 } } } },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], take: q.limit + 1,
      }),
      deps.prisma.smsClickTracking.aggregate({ where: base, _sum: { clickCount: true } }),
    ]);
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return {
      items: page.map((l) => ({
        shortCode: l.shortCode, destinationUrl: l.destinationUrl, clickCount: l.clickCount,
        firstClickedAt: iso(l.firstClickedAt), lastClickedAt: iso(l.lastClickedAt), createdAt: l.createdAt.toISOString(),
        deliveryId: l.deliveryId, eventId: l.delivery?.eventId ?? null, templateKey: l.delivery?.smsMessages[0]?.templateKey ?? null,
      })),
      totalClicks: total._sum.clickCount ?? 0,
      nextCursor: rows.length > q.limit && last ? encodeCursor(last) : null,
    };
  });

  r.get('/v1/clicks/by-template', {
    onRequest: read,
    schema: {
      tags: ['links'], summary: 'Clicks per SMS template: links sent, links clicked, clicks, deliveries with links',
      querystring: z.object({ from: isoDateTime.optional().describe('link created at or after'), to: isoDateTime.optional().describe('link created before') }),
      response: { 200: z.object({ items: z.array(templateClicks) }), ...authErrors },
    },
  }, async (request) => {
    const from = request.query.from ? new Date(request.query.from) : null;
    const to = request.query.to ? new Date(request.query.to) : null;
    const rows = await deps.prisma.$queryRaw<{ template_key: string | null; links: number; clicked: number; clicks: number; deliveries: number }[]>`
      SELECT m.template_key, count(*)::int AS links, count(*) FILTER (WHERE c.click_count > 0)::int AS clicked,
             COALESCE(sum(c.click_count), 0)::int AS clicks, count(DISTINCT c.delivery_id)::int AS deliveries
        FROM sms_click_tracking c
        LEFT JOIN sms_messages m ON m.notification_delivery_id = c.delivery_id
       WHERE (${from}::timestamptz IS NULL OR c.created_at >= ${from}::timestamptz)
         AND (${to}::timestamptz IS NULL OR c.created_at < ${to}::timestamptz)
       GROUP BY m.template_key
       ORDER BY clicks DESC, m.template_key NULLS LAST`;
    return { items: rows.map((r) => ({ templateKey: r.template_key, links: r.links, clickedLinks: r.clicked, clicks: r.clicks, deliveries: r.deliveries })) };
  });
}
