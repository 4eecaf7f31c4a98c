import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient } from '@hub/db';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { authErrors, errorSchema, userParams } from './schemas.ts';

/**
 * A recipient's opt-out history, newest first: the audit rows of sms_opt_out_events (STOP /
 * START keywords, Twilio error 21610, admins) and channel_opt_out_events (one-click
 * unsubscribe, complaints, admins, per event type or channel-wide). SMS rows written while
 * nobody held the number (user_id null) are included when the number is the recipient's now.
 * The changes themselves are the admin:write opt-out / opt-in routes of sms-preferences.ts
 * and email-address.ts, which recordOptOut / recordChannelOptOut audit.
 */

const entrySchema = z.object({
  at: z.string(),
  channel: z.string(),
  action: z.enum(['opt_out', 'opt_in']),
  scope: z.string().describe("'all' (the whole channel) or the event type"),
  source: z.string().describe('inbound_sms, provider_error, admin, unsubscribe_link, complaint…'),
  address: z.string().describe('the phone number or email address it applied to'),
  keyword: z.string().nullable().describe('the inbound keyword (STOP, START…) of an SMS opt-out'),
  detail: z.string().nullable().describe('the message sid of an SMS change, or the detail of a channel change'),
  actor: z.string().nullable().describe('the API key name of an admin change'),
});

const querySchema = z.object({ limit: z.coerce.number().int().min(1).max(500).default(100) });

interface Row { at: Date; channel: string; action: string; scope: string; source: string; address: string; keyword: string | null; detail: string | null; actor: string | null }

export function registerOptOutHistoryRoute(app: FastifyInstance, deps: { prisma: PrismaClient }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/v1/users/:externalId/opt-out-history', {
    onRequest: requireScope(deps.prisma, 'admin:read'),
    schema: {
      tags: ['recipients'],
      summary: "A recipient's opt-outs and opt-ins on every channel, newest first (the audit trail)",
      params: userParams, querystring: querySchema,
      response: { 200: z.object({ items: z.array(entrySchema) }), 404: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const user = await deps.prisma.user.findUnique({ where: { externalId: request.params.externalId }, include: { smsPreferences: { select: { phoneNumber: true } } } });
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    const phone = user.smsPreferences?.phoneNumber ?? null;
    const limit = request.query.limit;
    const rows = await deps.prisma.$queryRaw<Row[]>`
      (SELECT created_at AS at, 'sms'::text AS channel, action, 'all'::text AS scope, source, phone_number AS address, keyword, message_sid AS detail, actor
         FROM sms_opt_out_events
        WHERE user_id = ${user.id}::uuid OR (user_id IS NULL AND phone_number = ${phone})
        ORDER BY created_at DESC, id DESC LIMIT ${limit})
      UNION ALL
      (SELECT created_at, channel, action, scope, source, address, NULL, detail, actor
         FROM channel_opt_out_events
        WHERE user_id = ${user.id}::uuid
        ORDER BY created_at DESC, id DESC LIMIT ${limit})
      ORDER BY at DESC LIMIT ${limit}`;
    return {
      items: rows.map((x) => ({
        at: x.at.toISOString(), channel: x.channel, action: x.action === 'opt_in' ? 'opt_in' as const : 'opt_out' as const, scope: x.scope, source: x.source,
        address: x.address, keyword: x.keyword, detail: x.detail, actor: x.actor,
      })),
    };
  });
}
