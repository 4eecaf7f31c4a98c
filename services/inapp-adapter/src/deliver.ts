import { decideChannelPolicy, deferralOps, deliveryFailed, deliverySkipped, isFinalDelivery, type ChannelPreferenceRow } from '@hub/channel-kit';
import type { Clock, DeliveryRequest } from '@hub/contracts';
import type { PrismaClient } from '@hub/db';
import type { Logger } from '@hub/logger';
import { failpoint } from '@hub/runtime';
import { inappTemplateKeyFor, renderItem } from './render.ts';
import { storeItem } from './store.ts';
import type { InappTemplateStore } from './templates.ts';

export interface InappDeliverDeps {
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
  templates: InappTemplateStore;
  /** Full topic name delayed requests go back to (this adapter's own input). */
  selfTopic: string;
}

export type InappDeliverOutcome = 'delivered' | 'skipped' | 'deferred' | 'failed' | 'already_final' | 'duplicate' | 'unknown_delivery';

interface Loaded {
  id: string;
  status: string;
  user_id: string;
  external_id: string;
  event_id: string;
  event_type: string;
  priority: string;
  payload: Record<string, unknown> | null;
  scheduled_for: Date | null;
  has_item: boolean;
  np: ChannelPreferenceRow[];
}

/**
 * One in-app delivery request: there is no provider, so the send-once discipline reduces to
 * the database — the item is unique per delivery and stored with the delivery's move to
 * "delivered" in one transaction; a redelivered request finds the delivery final (or the row
 * lock makes it wait for the first handler) and stores nothing. No unknown outcome exists.
 */
export async function deliverInapp(deps: InappDeliverDeps, request: DeliveryRequest): Promise<InappDeliverOutcome> {
  const { prisma } = deps;
  const log = deps.log.child({ deliveryId: request.deliveryId, eventId: request.eventId });
  const rows = await prisma.$queryRaw<Loaded[]>`
    SELECT d.id::text, d.status::text, d.user_id::text, u.external_id, d.event_id, e.event_type, e.priority::text, e.payload, e.scheduled_for,
           EXISTS (SELECT 1 FROM inapp_items i WHERE i.notification_delivery_id = d.id) AS has_item,
           COALESCE((SELECT jsonb_agg(jsonb_build_object('event_type', n.event_type, 'enabled', n.enabled)) FROM notification_preferences n
                      WHERE n.user_id = d.user_id AND n.channel = d.channel AND n.event_type IN (e.event_type, '*')), '[]'::jsonb) AS np
      FROM notification_deliveries d
      JOIN notification_events e ON e.id = d.event_id
      JOIN users u ON u.id = d.user_id
     WHERE d.id = ${request.deliveryId}::uuid`;
  const d = rows[0];
  if (!d) {
    log.warn('delivery request for an unknown delivery ignored');
    return 'unknown_delivery';
  }
  if (isFinalDelivery(d.status)) return 'already_final';
  if (d.has_item) return 'duplicate';
  const now = deps.clock.now();
  if (d.scheduled_for && d.scheduled_for.getTime() > now.getTime() + 1_000) {
    await prisma.$transaction(deferralOps(prisma, {
      request, until: d.scheduled_for, topic: deps.selfTopic, kind: 'scheduled_send', reason: 'scheduled',
      dedupeKey: `scheduled:${d.id}:${d.scheduled_for.getTime()}:${request.requestedAt}`, now,
    }));
    return 'deferred';
  }
  const decision = decideChannelPolicy({
    now, eventType: d.event_type, urgent: d.priority === 'urgent', preferences: d.np, quietHours: null, timezone: 'UTC', dailyLimit: null, sentToday: 0,
  });
  if (decision.action === 'skip') {
    await deliverySkipped(prisma, d.id, decision.reason);
    log.info({ reason: decision.reason }, 'in-app delivery skipped');
    return 'skipped';
  }
  const vars = { ...(d.payload ?? {}), user_id: d.external_id, event_type: d.event_type };
  const key = inappTemplateKeyFor(d.event_type);
  const template = await deps.templates.get(key);
  const rendered = renderItem(template, d.event_type, vars);
  if (!rendered.ok) {
    await deliveryFailed(prisma, d.id, rendered.code, rendered.message, now);
    log.warn({ code: rendered.code, error: rendered.message }, 'in-app item could not be rendered');
    return 'failed';
  }
  failpoint('inapp.before_store');
  const stored = await storeItem(prisma, {
    deliveryId: d.id, userId: d.user_id, eventId: d.event_id, eventType: d.event_type, priority: d.priority,
    content: rendered.content, data: d.payload ?? {}, templateKey: template ? key : null, now,
  });
  if (!stored) return 'duplicate';
  log.info({ itemId: stored.id, seq: stored.seq }, 'in-app item stored');
  return 'delivered';
}
