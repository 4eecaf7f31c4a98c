import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient } from '@hub/db';
import type { Clock } from '@hub/contracts';
import { classifyTwilioError, TWILIO_ERROR_CATEGORIES } from '@hub/sms-rules';
import { requireScope } from '../plugins/auth.ts';
import { costByCountry, round, type PriceTable } from '../pricing.ts';
import { authErrors, timezoneSchema } from './schemas.ts';

/**
 * Delivery metrics for admins: the seeds' monitoring queries as SQL aggregates. Windows are
 * counted back from the gateway's clock; "delivery rate" is delivered / (delivered + failed +
 * undelivered), i.e. over messages whose outcome is known, null when there is none.
 */

const daysQuery = (max: number, dflt: number) => z.object({ days: z.coerce.number().int().min(1).max(max).default(dflt) });
const rate = (delivered: number, failed: number) => (delivered + failed > 0 ? round(delivered / (delivered + failed)) : null);
const daysAgo = (now: Date, days: number) => new Date(now.getTime() - days * 86_400_000);

export function registerMetricsApiRoutes(app: FastifyInstance, deps: { prisma: PrismaClient; clock: Clock; prices: PriceTable }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const read = requireScope(deps.prisma, 'admin:read');
  const tags = ['metrics'];
  const db = deps.prisma;

  r.get('/v1/metrics/daily', {
    onRequest: read,
    schema: {
      tags, summary: 'SMS volume and delivery rate per day (days in the given IANA zone, UTC by default)',
      querystring: daysQuery(90, 7).extend({ timezone: timezoneSchema.default('UTC') }),
      response: {
        200: z.object({ timezone: z.string(), days: z.array(z.object({ date: z.string(), total: z.number(), sent: z.number(), delivered: z.number(), failed: z.number(), segments: z.number(), deliveryRate: z.number().nullable() })) }),
        ...authErrors,
      },
    },
  }, async (request) => {
    const { days, timezone } = request.query;
    const now = deps.clock.now();
    const rows = await db.$queryRaw<{ date: string; total: number; sent: number; delivered: number; failed: number; segments: number }[]>`
      WITH days AS (
        SELECT generate_series(date_trunc('day', ${now}::timestamptz AT TIME ZONE ${timezone}) - (${days}::int - 1) * interval '1 day',
                               date_trunc('day', ${now}::timestamptz AT TIME ZONE ${timezone}), interval '1 day') AS day
      )
      SELECT to_char(d.day, 'YYYY-MM-DD') AS date,
             count(m.id)::int AS total,
             count(m.id) FILTER (WHERE m.twilio_sid IS NOT NULL)::int AS sent,
             count(m.id) FILTER (WHERE m.status = 'delivered')::int AS delivered,
             count(m.id) FILTER (WHERE m.status IN ('failed', 'undelivered'))::int AS failed,
             coalesce(sum(m.segments) FILTER (WHERE m.twilio_sid IS NOT NULL), 0)::int AS segments
        FROM days d
        LEFT JOIN sms_messages m ON m.created_at >= (d.day AT TIME ZONE ${timezone}) AND m.created_at < ((d.day + interval '1 day') AT TIME ZONE ${timezone})
       GROUP BY d.day
       ORDER BY d.day`;
    return { timezone, days: rows.map((row) => ({ ...row, deliveryRate: rate(row.delivered, row.failed) })) };
  });

  r.get('/v1/metrics/failures', {
    onRequest: read,
    schema: {
      tags, summary: 'Failed and undelivered SMS by Twilio error code, with category and retryability',
      querystring: daysQuery(90, 7),
      response: {
        200: z.object({
          days: z.number(), total: z.number(),
          byCategory: z.array(z.object({ category: z.enum(TWILIO_ERROR_CATEGORIES), count: z.number() })),
          byCode: z.array(z.object({ code: z.number().nullable(), count: z.number(), category: z.enum(TWILIO_ERROR_CATEGORIES), retryable: z.boolean(), description: z.string(), lastMessage: z.string().nullable(), lastAt: z.string() })),
        }),
        ...authErrors,
      },
    },
  }, async (request) => {
    const since = daysAgo(deps.clock.now(), request.query.days);
    const rows = await db.$queryRaw<{ code: number | null; count: number; last_message: string | null; last_at: Date }[]>`
      SELECT twilio_error_code AS code, count(*)::int AS count,
             (array_agg(twilio_error_message ORDER BY updated_at DESC))[1] AS last_message, max(updated_at) AS last_at
        FROM sms_messages
       WHERE status IN ('failed', 'undelivered') AND created_at >= ${since}
       GROUP BY twilio_error_code
       ORDER BY count DESC, code`;
    const byCode = rows.map((row) => {
      const info = classifyTwilioError(row.code);
      return { code: row.code, count: row.count, category: info.category, retryable: info.retryable, description: info.description, lastMessage: row.last_message, lastAt: row.last_at.toISOString() };
    });
    const categories = new Map<(typeof TWILIO_ERROR_CATEGORIES)[number], number>();
    for (const c of byCode) categories.set(c.category, (categories.get(c.category) ?? 0) + c.count);
    const byCategory = [...categories.entries()].map(([category, count]) => ({ category, count })).sort((a, b) => b.count - a.count);
    return { days: request.query.days, total: byCode.reduce((s, c) => s + c.count, 0), byCategory, byCode };
  });

  r.get('/v1/metrics/templates', {
    onRequest: read,
    schema: {
      tags, summary: 'Template usage: lifetime usage_count and last use, messages and deliveries in the window',
      querystring: daysQuery(365, 30),
      response: { 200: z.object({ days: z.number(), items: z.array(z.object({ key: z.string(), name: z.string(), isActive: z.boolean(), usageCount: z.number(), lastUsedAt: z.string().nullable(), messages: z.number(), delivered: z.number(), deliveryRate: z.number().nullable() })) }), ...authErrors },
    },
  }, async (request) => {
    const since = daysAgo(deps.clock.now(), request.query.days);
    const rows = await db.$queryRaw<{ key: string; name: string; is_active: boolean; usage_count: number; last_used_at: Date | null; messages: number; delivered: number; failed: number }[]>`
      SELECT t.template_key AS key, t.name, t.is_active, t.usage_count, t.last_used_at,
             count(m.id)::int AS messages,
             count(m.id) FILTER (WHERE m.status = 'delivered')::int AS delivered,
             count(m.id) FILTER (WHERE m.status IN ('failed', 'undelivered'))::int AS failed
        FROM sms_templates t
        LEFT JOIN sms_messages m ON m.template_id = t.id AND m.created_at >= ${since}
       GROUP BY t.id
       ORDER BY t.usage_count DESC, t.template_key`;
    return {
      days: request.query.days,
      items: rows.map((t) => ({ key: t.key, name: t.name, isActive: t.is_active, usageCount: t.usage_count, lastUsedAt: t.last_used_at?.toISOString() ?? null, messages: t.messages, delivered: t.delivered, deliveryRate: rate(t.delivered, t.failed) })),
    };
  });

  r.get('/v1/metrics/users', {
    onRequest: read,
    schema: {
      tags, summary: 'Recipients: verified phones, opted out, reachable; opt-outs and opt-ins in the window',
      querystring: daysQuery(365, 30),
      response: { 200: z.object({ users: z.number(), withPreferences: z.number(), verified: z.number(), optedOut: z.number(), reachable: z.number(), window: z.object({ days: z.number(), optOuts: z.number(), optIns: z.number() }) }), ...authErrors },
    },
  }, async (request) => {
    const since = daysAgo(deps.clock.now(), request.query.days);
    const [row] = await db.$queryRaw<{ users: number; with_preferences: number; verified: number; opted_out: number; reachable: number; opt_outs: number; opt_ins: number }[]>`
      SELECT (SELECT count(*) FROM users)::int AS users,
             count(p.id)::int AS with_preferences,
             count(p.id) FILTER (WHERE p.phone_verified)::int AS verified,
             count(p.id) FILTER (WHERE p.opted_out)::int AS opted_out,
             count(p.id) FILTER (WHERE p.phone_verified AND NOT p.opted_out)::int AS reachable,
             (SELECT count(*) FROM sms_opt_out_events WHERE action = 'opt_out' AND created_at >= ${since})::int AS opt_outs,
             (SELECT count(*) FROM sms_opt_out_events WHERE action = 'opt_in' AND created_at >= ${since})::int AS opt_ins
        FROM user_sms_preferences p`;
    const u = row!;
    return { users: u.users, withPreferences: u.with_preferences, verified: u.verified, optedOut: u.opted_out, reachable: u.reachable, window: { days: request.query.days, optOuts: u.opt_outs, optIns: u.opt_ins } };
  });

  r.get('/v1/metrics/cost', {
    onRequest: read,
    schema: {
      tags, summary: 'Segments sent and estimated cost by destination country (price table from config)',
      querystring: daysQuery(366, 30),
      response: {
        200: z.object({
          days: z.number(), currency: z.string(), totalSegments: z.number(), estimatedCost: z.number(), prices: z.record(z.string(), z.number()),
          byCountry: z.array(z.object({ country: z.string(), messages: z.number(), segments: z.number(), pricePerSegment: z.number(), estimatedCost: z.number() })),
        }),
        ...authErrors,
      },
    },
  }, async (request) => {
    const since = daysAgo(deps.clock.now(), request.query.days);
    // Per number in SQL (what the provider billed: accepted, not cancelled or still scheduled),
    // per country in code: NANP countries share +1, so only a phone-number parser tells them apart.
    const rows = await db.$queryRaw<{ phoneNumber: string; messages: number; segments: number }[]>`
      SELECT phone_number AS "phoneNumber", count(*)::int AS messages, coalesce(sum(segments), 0)::int AS segments
        FROM sms_messages
       WHERE twilio_sid IS NOT NULL AND status NOT IN ('cancelled', 'scheduled') AND created_at >= ${since}
       GROUP BY phone_number`;
    const byCountry = costByCountry(rows, deps.prices);
    return {
      days: request.query.days, currency: deps.prices.currency, prices: deps.prices.perSegment,
      totalSegments: byCountry.reduce((s, c) => s + c.segments, 0),
      estimatedCost: round(byCountry.reduce((s, c) => s + c.estimatedCost, 0)),
      byCountry,
    };
  });
}
