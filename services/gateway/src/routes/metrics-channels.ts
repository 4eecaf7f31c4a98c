import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient } from '@hub/db';
import { CHANNEL_NAMES, type Clock } from '@hub/contracts';
import { requireScope } from '../plugins/auth.ts';
import { round } from '../pricing.ts';
import { authErrors } from './schemas.ts';

/**
 * Per-channel delivery metrics over the last `days` (by the deliveries' creation time):
 * volume, outcomes and skips by reason from notification_deliveries, for every registry
 * channel (or the one asked for); for email also the relay's view from email_messages:
 * accepted (sent_at set), bounce rate = bounced / accepted, complaint rate = complained /
 * accepted (null without accepted mail).
 */

const channelMetrics = z.object({
  channel: z.string(),
  total: z.number(), pending: z.number(), sent: z.number(), delivered: z.number(), failed: z.number(), cancelled: z.number(), skipped: z.number(),
  skippedByReason: z.array(z.object({ reason: z.string(), count: z.number() })),
  deliveryRate: z.number().nullable().describe('delivered / (delivered + failed)'),
  email: z.object({
    messages: z.number(), accepted: z.number(), delivered: z.number(), bounced: z.number(), hardBounces: z.number(), softBounces: z.number(),
    complained: z.number(), failed: z.number(), bounceRate: z.number().nullable(), complaintRate: z.number().nullable(),
  }).optional(),
});

export type EmailRates = { messages: number; accepted: number; delivered: number; bounced: number; hard: number; soft: number; complained: number; failed: number };

/** The email_messages figures since `since` (by creation time). */
export async function emailFigures(prisma: PrismaClient, since: Date, column: 'created_at' | 'updated_at' = 'created_at'): Promise<EmailRates> {
  const rows = column === 'created_at'
    ? await prisma.$queryRaw<EmailRates[]>`
      SELECT count(*)::int AS messages,
             count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS accepted,
             count(*) FILTER (WHERE status = 'delivered')::int AS delivered,
             count(*) FILTER (WHERE status = 'bounced' OR bounced_at IS NOT NULL)::int AS bounced,
             count(*) FILTER (WHERE bounce_type = 'hard')::int AS hard,
             count(*) FILTER (WHERE bounce_type = 'soft')::int AS soft,
             count(*) FILTER (WHERE complained_at IS NOT NULL)::int AS complained,
             count(*) FILTER (WHERE status = 'failed')::int AS failed
        FROM email_messages WHERE created_at >= ${since}`
    : await prisma.$queryRaw<EmailRates[]>`
      SELECT count(*)::int AS messages,
             count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS accepted,
             count(*) FILTER (WHERE status = 'delivered')::int AS delivered,
             count(*) FILTER (WHERE status = 'bounced' OR bounced_at IS NOT NULL)::int AS bounced,
             count(*) FILTER (WHERE bounce_type = 'hard')::int AS hard,
             count(*) FILTER (WHERE bounce_type = 'soft')::int AS soft,
             count(*) FILTER (WHERE complained_at IS NOT NULL)::int AS complained,
             count(*) FILTER (WHERE status = 'failed')::int AS failed
        FROM email_messages WHERE updated_at >= ${since}`;
  return rows[0] ?? { messages: 0, accepted: 0, delivered: 0, bounced: 0, hard: 0, soft: 0, complained: 0, failed: 0 };
}

const ratio = (n: number, d: number) => (d > 0 ? round(n / d) : null);

export function registerChannelMetricsRoutes(app: FastifyInstance, deps: { prisma: PrismaClient; clock: Clock }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/v1/metrics/channels', {
    onRequest: requireScope(deps.prisma, 'admin:read'),
    schema: {
      tags: ['metrics', 'email'], summary: 'Per channel: volume, outcomes, skips by reason; email also bounce and complaint rates',
      querystring: z.object({ days: z.coerce.number().int().min(1).max(365).default(7), channel: z.enum(CHANNEL_NAMES).optional() }),
      response: { 200: z.object({ days: z.number(), channels: z.array(channelMetrics) }), ...authErrors },
    },
  }, async (request) => {
    const { days, channel } = request.query;
    const since = new Date(deps.clock.now().getTime() - days * 86_400_000);
    const rows = await deps.prisma.$queryRaw<{ channel: string; status: string; skip_reason: string | null; count: number }[]>`
      SELECT channel, status::text AS status, skip_reason, count(*)::int AS count
        FROM notification_deliveries
       WHERE created_at >= ${since} AND (${channel ?? null}::text IS NULL OR channel = ${channel ?? null}::text)
       GROUP BY channel, status, skip_reason`;
    const names = channel ? [channel] : [...CHANNEL_NAMES];
    const out = await Promise.all(names.map(async (name) => {
      const mine = rows.filter((row) => row.channel === name);
      const sum = (...statuses: string[]) => mine.filter((row) => statuses.includes(row.status)).reduce((s, row) => s + row.count, 0);
      const skips = new Map<string, number>();
      for (const row of mine.filter((x) => x.status === 'skipped')) skips.set(row.skip_reason ?? 'unknown', (skips.get(row.skip_reason ?? 'unknown') ?? 0) + row.count);
      const delivered = sum('delivered');
      const failed = sum('failed');
      const base = {
        channel: name, total: mine.reduce((s, row) => s + row.count, 0), pending: sum('pending', 'deferred'), sent: sum('sent'), delivered, failed,
        cancelled: sum('cancelled'), skipped: sum('skipped'),
        skippedByReason: [...skips.entries()].map(([reason, count]) => ({ reason, count })).sort((a, b) => b.count - a.count || a.reason.localeCompare(b.reason)),
        deliveryRate: ratio(delivered, delivered + failed),
      };
      if (name !== 'email') return base;
      const e = await emailFigures(deps.prisma, since);
      return {
        ...base,
        email: {
          messages: e.messages, accepted: e.accepted, delivered: e.delivered, bounced: e.bounced, hardBounces: e.hard, softBounces: e.soft,
          complained: e.complained, failed: e.failed, bounceRate: ratio(e.bounced, e.accepted), complaintRate: ratio(e.complained, e.accepted),
        },
      };
    }));
    return { days, channels: out };
  });
}
