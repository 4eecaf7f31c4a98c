import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CHANNEL_NAMES, eventIdSchema, eventTypeSchema } from '@hub/contracts';
import type { PrismaClient } from '@hub/db';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { authErrors, errorSchema, externalIdSchema } from './schemas.ts';

/**
 * Admin API of cross-channel routing (docs/inbox.md): per event type, an ordered fallback
 * list of channels and escalation steps; and the routing timeline of an event for a user
 * (which channel was used, and why the next one was). No policy: every subscribed channel
 * at once, as before.
 */

const MAX_STEP_SECONDS = 30 * 86_400;
const stepSchema = z.strictObject({
  channel: z.enum(CHANNEL_NAMES),
  afterSeconds: z.number().int().min(1).max(MAX_STEP_SECONDS).describe('counted from when the event was routed'),
  urgentOnly: z.boolean().default(false).describe('only for events of priority urgent'),
});
const policyBody = z.strictObject({
  fallback: z.array(z.enum(CHANNEL_NAMES)).min(1).max(CHANNEL_NAMES.length)
    .refine((c) => new Set(c).size === c.length, 'a channel may appear once')
    .describe('channels in order: the first usable one is sent; the next on unavailable or permanent failure'),
  escalation: z.array(stepSchema).max(5).default([])
    .refine((s) => s.every((x, i) => i === 0 || x.afterSeconds > s[i - 1]!.afterSeconds), 'steps must come later and later (afterSeconds increasing)')
    .describe('while the in-app item is unread: send on each step\'s channel after its delay; reading the item cancels what is left'),
}).refine((p) => p.escalation.length === 0 || p.fallback[0] === 'inapp', { message: 'escalation is anchored to the in-app item: fallback must start with inapp', path: ['escalation'] });

const policyView = z.object({
  eventType: z.string(), fallback: z.array(z.string()),
  escalation: z.array(z.object({ channel: z.string(), afterSeconds: z.number(), urgentOnly: z.boolean() })), updatedAt: z.string(),
});
interface PolicyRow { event_type: string; fallback: string[]; escalation: { channel: string; afterMs: number; urgentOnly: boolean }[]; updated_at: Date }
const toView = (r: PolicyRow): z.infer<typeof policyView> => ({
  eventType: r.event_type, fallback: r.fallback,
  escalation: r.escalation.map((s) => ({ channel: s.channel, afterSeconds: Math.round(s.afterMs / 1000), urgentOnly: s.urgentOnly })), updatedAt: r.updated_at.toISOString(),
});

const stepView = z.object({
  kind: z.string(), channel: z.string().nullable(), fromChannel: z.string().nullable(), deliveryId: z.string().nullable(), reason: z.string().nullable(), at: z.string(),
});

export function registerRoutingRoutes(app: FastifyInstance, deps: { prisma: PrismaClient }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tags = ['routing'];
  const params = z.object({ eventType: eventTypeSchema });

  r.get('/v1/routing-policies', {
    onRequest: requireScope(deps.prisma, 'admin:read'),
    schema: { tags, summary: 'Fallback and escalation policies by event type', response: { 200: z.object({ items: z.array(policyView) }), ...authErrors } },
  }, async () => {
    const rows = await deps.prisma.$queryRaw<PolicyRow[]>`SELECT event_type, fallback, escalation, updated_at FROM routing_policies ORDER BY event_type`;
    return { items: rows.map(toView) };
  });

  r.get('/v1/routing-policies/:eventType', {
    onRequest: requireScope(deps.prisma, 'admin:read'),
    schema: { tags, summary: "An event type's fallback and escalation policy", params, response: { 200: policyView, 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const [row] = await deps.prisma.$queryRaw<PolicyRow[]>`SELECT event_type, fallback, escalation, updated_at FROM routing_policies WHERE event_type = ${request.params.eventType}`;
    return row ? toView(row) : sendError(reply, 404, 'policy_not_found', 'no routing policy for this event type (every subscribed channel is sent at once)');
  });

  r.put('/v1/routing-policies/:eventType', {
    onRequest: requireScope(deps.prisma, 'admin:write'),
    schema: { tags, summary: 'Set the fallback order and escalation steps of an event type', params, body: policyBody, response: { 200: policyView, ...authErrors } },
  }, async (request) => {
    const escalation = request.body.escalation.map((s) => ({ channel: s.channel, afterMs: s.afterSeconds * 1000, urgentOnly: s.urgentOnly }));
    const [row] = await deps.prisma.$queryRaw<PolicyRow[]>`
      INSERT INTO routing_policies (event_type, fallback, escalation, updated_at)
      VALUES (${request.params.eventType}, ${request.body.fallback}::text[], ${JSON.stringify(escalation)}::jsonb, now())
      ON CONFLICT (event_type) DO UPDATE SET fallback = EXCLUDED.fallback, escalation = EXCLUDED.escalation, updated_at = now()
      RETURNING event_type, fallback, escalation, updated_at`;
    return toView(row!);
  });

  r.delete('/v1/routing-policies/:eventType', {
    onRequest: requireScope(deps.prisma, 'admin:write'),
    schema: { tags, summary: 'Remove the policy: back to every subscribed channel at once', params, response: { 204: z.null(), 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const n = await deps.prisma.$executeRaw`DELETE FROM routing_policies WHERE event_type = ${request.params.eventType}`;
    return n === 0 ? sendError(reply, 404, 'policy_not_found', 'no routing policy for this event type') : reply.code(204).send(null);
  });

  r.get('/v1/events/:eventId/routing/:externalId', {
    onRequest: requireScope(deps.prisma, 'admin:read'),
    schema: {
      tags, summary: "The routing timeline of an event for one recipient: each channel used and why the next one was (fallback, escalation, cancellation)",
      params: z.object({ eventId: eventIdSchema, externalId: externalIdSchema }),
      response: {
        200: z.object({
          steps: z.array(stepView),
          deliveries: z.array(z.object({ id: z.string(), channel: z.string(), status: z.string(), skipReason: z.string().nullable(), lastErrorCode: z.string().nullable(), deliveredAt: z.string().nullable(), seenAt: z.string().nullable(), readAt: z.string().nullable(), createdAt: z.string() })),
        }),
        404: errorSchema, ...authErrors,
      },
    },
  }, async (request, reply) => {
    const user = await deps.prisma.user.findUnique({ where: { externalId: request.params.externalId }, select: { id: true } });
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    const steps = await deps.prisma.$queryRaw<{ kind: string; channel: string | null; from_channel: string | null; delivery_id: string | null; reason: string | null; created_at: Date }[]>`
      SELECT kind, channel, from_channel, delivery_id::text, reason, created_at FROM routing_steps WHERE event_id = ${request.params.eventId} AND user_id = ${user.id}::uuid ORDER BY id`;
    const deliveries = await deps.prisma.$queryRaw<{ id: string; channel: string; status: string; skip_reason: string | null; last_error_code: string | null; delivered_at: Date | null; seen_at: Date | null; read_at: Date | null; created_at: Date }[]>`
      SELECT id::text, channel, status::text, skip_reason, last_error_code, delivered_at, seen_at, read_at, created_at FROM notification_deliveries
       WHERE event_id = ${request.params.eventId} AND user_id = ${user.id}::uuid ORDER BY created_at, channel`;
    const iso = (d: Date | null) => (d ? d.toISOString() : null);
    return {
      steps: steps.map((s) => ({ kind: s.kind, channel: s.channel, fromChannel: s.from_channel, deliveryId: s.delivery_id, reason: s.reason, at: s.created_at.toISOString() })),
      deliveries: deliveries.map((d) => ({ id: d.id, channel: d.channel, status: d.status, skipReason: d.skip_reason, lastErrorCode: d.last_error_code, deliveredAt: iso(d.delivered_at), seenAt: iso(d.seen_at), readAt: iso(d.read_at), createdAt: d.created_at.toISOString() })),
    };
  });
}
