import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient } from '@hub/db';
import { TOPICS, type Clock } from '@hub/contracts';
import type { Bus } from '@hub/bus';
import type { SmsProvider } from '@hub/sms-provider';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { cancelDelivery } from './delivery-cancel.ts';
import { authErrors, errorSchema } from './schemas.ts';

export interface EventCancelDeps {
  prisma: PrismaClient;
  bus: Bus;
  clock: Clock;
  provider?: SmsProvider;
}

/**
 * The router routes an event whose scheduledFor is at most this far ahead at once (its
 * SCHEDULE_TOLERANCE_MS is 1 s), else it parks it as an `event_due` job. Beyond this margin
 * a cancel can leave a tombstone job the router's insert then skips.
 */
const ROUTE_NOW_MARGIN_MS = 2_000;

const cancelledSchema = z.object({
  id: z.string(),
  status: z.literal('cancelled'),
  jobsCancelled: z.number().int().describe('pending event_due jobs (or a tombstone) cancelled: the event will not be routed'),
  deliveriesCancelled: z.number().int(),
  notCancelled: z.array(z.object({ deliveryId: z.string(), status: z.string(), reason: z.string() })).describe('deliveries already sent, final or being sent'),
});

type Result = z.infer<typeof cancelledSchema>;

/**
 * POST /v1/events/:id/cancel: stops an event that has not gone out. A scheduled event not yet
 * due has no deliveries, only the router's `event_due` job (dedupe key `event:<id>`): that job
 * is cancelled — or, when the router has not written it yet, a cancelled job is stored under
 * the same key, so the router's insert is skipped. A routed event has its non-final
 * deliveries cancelled one by one, each conditionally (as POST /v1/deliveries/:id/cancel).
 */
export function registerEventCancelRoute(app: FastifyInstance, deps: EventCancelDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post('/v1/events/:id/cancel', {
    // The producer that scheduled an event may take it back, and so may an admin.
    onRequest: requireScope(deps.prisma, ['events:write', 'admin:write']),
    schema: {
      tags: ['events'],
      summary: 'Cancel an event: its pending schedule and every delivery not sent yet; 409 when nothing is left to cancel',
      params: z.object({ id: z.string().min(1).max(128).describe('the event id (the producer idempotency key)') }),
      response: { 200: cancelledSchema, ...authErrors, 404: errorSchema, 409: errorSchema },
    },
  }, async (request, reply) => {
    const { id } = request.params;
    const event = await deps.prisma.notificationEvent.findUnique({ where: { id } });
    if (!event) return sendError(reply, 404, 'event_not_found', 'no such event');
    const dedupeKey = `event:${id}`;

    if (!event.routedAt) {
      const now = deps.clock.now();
      const farAhead = event.scheduledFor !== null && event.scheduledFor.getTime() - now.getTime() > ROUTE_NOW_MARGIN_MS;
      const cancelled = farAhead
        ? await deps.prisma.$queryRaw<{ id: string }[]>`
            INSERT INTO scheduled_jobs (kind, due_at, topic, key, payload, status, ref_id, dedupe_key, updated_at)
            VALUES ('event_due', ${event.scheduledFor}, ${deps.bus.topic(TOPICS.events)}, ${event.targetUserId ?? id}, ${JSON.stringify({ cancelled: id })}::jsonb,
                    'cancelled'::job_status, ${id}, ${dedupeKey}, now())
            ON CONFLICT (dedupe_key) DO UPDATE SET status = 'cancelled'::job_status, updated_at = now() WHERE scheduled_jobs.status = 'pending'::job_status
            RETURNING id::text`
        : (await deps.prisma.scheduledJob.updateMany({ where: { dedupeKey, status: 'pending' }, data: { status: 'cancelled' } })).count > 0 ? [{ id }] : [];
      if (cancelled.length > 0) {
        request.log.info({ eventId: id, actor: request.apiKey?.name }, 'scheduled event cancelled');
        return { id, status: 'cancelled' as const, jobsCancelled: 1, deliveriesCancelled: 0, notCancelled: [] };
      }
      const job = await deps.prisma.scheduledJob.findUnique({ where: { dedupeKey } });
      if (job?.status === 'cancelled') return sendError(reply, 409, 'already_cancelled', 'the event was already cancelled');
      // Due (or never scheduled) and on its way through the router: deliveries appear shortly.
      return sendError(reply, 409, 'event_in_flight', 'the event is being routed right now; retry in a moment to cancel its deliveries');
    }

    const result: Result = { id, status: 'cancelled', jobsCancelled: 0, deliveriesCancelled: 0, notCancelled: [] };
    const deliveries = await deps.prisma.notificationDelivery.findMany({ where: { eventId: id }, include: { smsMessages: true }, orderBy: { id: 'asc' } });
    for (const d of deliveries) {
      const outcome = await cancelDelivery(deps.prisma, deps.provider, d, 'event_cancelled');
      if (outcome.ok) result.deliveriesCancelled++;
      else result.notCancelled.push({ deliveryId: d.id, status: d.status, reason: outcome.code });
    }
    if (result.deliveriesCancelled === 0) {
      return sendError(reply, 409, 'already_sent', 'the event was routed and none of its deliveries can be cancelled any more', { deliveries: result.notCancelled });
    }
    request.log.info({ eventId: id, actor: request.apiKey?.name, cancelled: result.deliveriesCancelled }, 'event deliveries cancelled');
    return result;
  });
}
