import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { NotificationPreference, PrismaClient } from '@hub/db';
import { CHANNEL_NAMES, eventTypeSchema } from '@hub/contracts';
import { ALL_EVENT_TYPES } from '@hub/channel-kit';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { authErrors, errorSchema, userParams } from './schemas.ts';

/**
 * Preferences per user × event type × channel (notification_preferences): `enabled` for one
 * event type, or for every type of the channel with eventType '*'. The exact type wins over
 * '*'; no row means enabled (@hub/channel-kit preferenceEnabled, what the adapters apply).
 * A scoped one-click unsubscribe writes the same rows (source 'one_click'). SMS's own
 * per-category toggles (sms-preferences) still apply on top.
 */

const prefParams = userParams.extend({
  channel: z.enum(CHANNEL_NAMES),
  eventType: z.union([z.literal(ALL_EVENT_TYPES), eventTypeSchema]).describe("an event type, or '*' for all of the channel"),
});

const prefView = z.object({ channel: z.string(), eventType: z.string(), enabled: z.boolean(), source: z.string(), updatedAt: z.string() });
const toView = (p: NotificationPreference): z.infer<typeof prefView> => ({ channel: p.channel, eventType: p.eventType, enabled: p.enabled, source: p.source, updatedAt: p.updatedAt.toISOString() });

export function registerChannelPreferenceRoutes(app: FastifyInstance, deps: { prisma: PrismaClient }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['preferences'];
  const findUser = (externalId: string) => deps.prisma.user.findUnique({ where: { externalId }, select: { id: true } });
  const path = '/v1/users/:externalId/preferences/:channel/:eventType';

  r.get('/v1/users/:externalId/preferences', {
    onRequest: requireScope(deps.prisma, 'admin:read'),
    schema: { tags, summary: "A recipient's preferences per channel and event type ('*' = all; no row = enabled)", params: userParams, response: { 200: z.object({ items: z.array(prefView) }), 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const user = await findUser(request.params.externalId);
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    const rows = await deps.prisma.notificationPreference.findMany({ where: { userId: user.id }, orderBy: [{ channel: 'asc' }, { eventType: 'asc' }] });
    return { items: rows.map(toView) };
  });

  r.put(path, {
    onRequest: requireScope(deps.prisma, 'admin:write'),
    schema: { tags, summary: 'Enable or disable one event type (or all, with *) on one channel for a recipient', params: prefParams, body: z.strictObject({ enabled: z.boolean() }), response: { 200: prefView, 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const user = await findUser(request.params.externalId);
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    const { channel, eventType } = request.params;
    const data = { enabled: request.body.enabled, source: 'api' };
    const row = await deps.prisma.notificationPreference.upsert({
      where: { userId_channel_eventType: { userId: user.id, channel, eventType } },
      create: { userId: user.id, channel, eventType, ...data },
      update: data,
    });
    return toView(row);
  });

  r.delete(path, {
    onRequest: requireScope(deps.prisma, 'admin:write'),
    schema: { tags, summary: 'Remove a preference (back to the default: enabled, or what * says)', params: prefParams, response: { 204: z.null(), 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const user = await findUser(request.params.externalId);
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    const { channel, eventType } = request.params;
    const { count } = await deps.prisma.notificationPreference.deleteMany({ where: { userId: user.id, channel, eventType } });
    if (count === 0) return sendError(reply, 404, 'preference_not_found', `no ${channel} preference for ${eventType}`);
    return reply.code(204).send(null);
  });
}
