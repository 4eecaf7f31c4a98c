import type { PrismaClient } from '@hub/db';
import { describeError } from '@hub/bus';
import type { Clock, DeliveryRequest, SmsStatusUpdate } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import { ProviderError, type SmsProvider } from '@hub/sms-provider';
import { heldForOptedOutWhere } from './held.ts';

export interface ReconcilerDeps {
  prisma: PrismaClient;
  /** Publishes a looked-up status to notify.sms.status.v1. */
  publishStatus: (update: SmsStatusUpdate) => Promise<void>;
  log: Logger;
  clock: Clock;
  provider: SmsProvider;
  /** A message accepted by the provider but without a final status for this long is looked up. */
  staleAfterMs: number;
  intervalMs: number;
  batchSize?: number;
  /** Hands delivery requests back to this adapter's own topic (the stranded-send sweep). */
  requeue?: (requests: DeliveryRequest[]) => Promise<void>;
  /** While true (the channel is paused by a provider-wide failure) the provider is not asked. */
  paused?: () => boolean;
}

/**
 * A send left in "sending" with no provider id and nothing coming back for it: its request
 * was dead-lettered (an outage longer than the bus's retries) or lost with a crash before
 * its reconcile job was written. Its delivery would wait forever; it is handed back to the
 * adapter as a retry request, whose reconcile path asks the provider before any resend
 * (never a blind second send). Touching the row spaces the sweeps out.
 */
export async function requeueStrandedSends(deps: ReconcilerDeps): Promise<number> {
  if (!deps.requeue) return 0;
  const cutoff = new Date(deps.clock.now().getTime() - deps.staleAfterMs);
  const rows = await deps.prisma.$queryRaw<{ id: string; delivery_id: string; event_id: string; user_id: string; event_type: string; priority: string }[]>`
    SELECT m.id::text, d.id::text AS delivery_id, d.event_id, d.user_id::text, e.event_type, e.priority::text
      FROM sms_messages m
      JOIN notification_deliveries d ON d.id = m.notification_delivery_id
      JOIN notification_events e ON e.id = d.event_id
     WHERE m.status = 'sending' AND m.twilio_sid IS NULL AND m.updated_at < ${cutoff}
       AND d.status IN ('pending', 'deferred', 'sent')
     ORDER BY m.updated_at
     LIMIT ${deps.batchSize ?? 100}`;
  if (rows.length === 0) return 0;
  const now = deps.clock.now();
  await deps.requeue(rows.map((r) => ({
    deliveryId: r.delivery_id, eventId: r.event_id, userId: r.user_id, channel: 'sms', eventType: r.event_type,
    priority: r.priority as DeliveryRequest['priority'], reason: 'retry', requestedAt: now.toISOString(),
  })));
  await deps.prisma.$executeRaw`UPDATE sms_messages SET updated_at = ${now} WHERE id = ANY(${rows.map((r) => r.id)}::uuid[]) AND status = 'sending'`;
  deps.log.warn({ requeued: rows.length }, 'sends stranded in "sending" handed back for reconciliation');
  return rows.length;
}

/**
 * Callbacks can be lost (status-ingest down, a network cut). Messages the provider accepted
 * that stay non-final too long are fetched from the provider and their status is published
 * to notify.sms.status.v1 (source "lookup"), where it is applied like any callback: ranked,
 * idempotent, in one transaction with the delivery.
 */
export async function reconcileStale(deps: ReconcilerDeps): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - deps.staleAfterMs);
  const stale = await deps.prisma.smsMessage.findMany({
    where: { status: { in: ['queued', 'sending', 'sent'] }, twilioSid: { not: null }, updatedAt: { lt: cutoff } },
    select: { id: true, twilioSid: true },
    orderBy: { updatedAt: 'asc' },
    take: deps.batchSize ?? 100,
  });
  let published = 0;
  for (const m of stale) {
    try {
      const found = await deps.provider.fetch(m.twilioSid!);
      await deps.publishStatus({ messageId: m.id, sid: found.sid, status: found.status, errorCode: found.errorCode, errorMessage: found.errorMessage, receivedAt: deps.clock.now().toISOString(), source: 'lookup' });
      // Touch the row so it is not looked up again before the status is applied.
      await deps.prisma.smsMessage.updateMany({ where: { id: m.id, updatedAt: { lt: cutoff } }, data: { updatedAt: deps.clock.now() } });
      published++;
    } catch (err) {
      deps.log.warn({ messageId: m.id, sid: m.twilioSid, err: describeError(err) }, 'provider lookup failed; will retry');
    }
  }
  if (published > 0) deps.log.info({ published }, 'stale messages reconciled from the provider');
  return published;
}

/**
 * An opt-out (inbound STOP, an admin, error 21610) cancels what waits in the hub at once,
 * but a message Twilio holds until its SendAt is Twilio's: it is cancelled there, then
 * recorded as cancelled. (Twilio also refuses to send to a number that texted STOP, but
 * not to one opted out by an admin.)
 */
export async function cancelHeldForOptedOut(deps: Pick<ReconcilerDeps, 'prisma' | 'log' | 'clock' | 'provider' | 'batchSize'>): Promise<number> {
  const held = await deps.prisma.smsMessage.findMany({
    where: heldForOptedOutWhere(deps.clock.now()),
    select: { id: true, twilioSid: true, notificationDeliveryId: true },
    take: deps.batchSize ?? 100,
  });
  let cancelled = 0;
  for (const m of held) {
    try {
      await deps.provider.cancel(m.twilioSid!);
    } catch (err) {
      // Too late (already being sent): its callbacks will tell what happened. Otherwise the
      // next cycle tries again, until the send time passes.
      const late = err instanceof ProviderError && err.code === 'not_cancelable';
      deps.log.warn({ messageId: m.id, sid: m.twilioSid, err: describeError(err) }, late ? 'held message already on its way; not cancelled' : 'cancelling a held message failed; will retry');
      continue;
    }
    await deps.prisma.$transaction([
      deps.prisma.smsMessage.updateMany({ where: { id: m.id, status: 'scheduled' }, data: { status: 'cancelled' } }),
      ...(m.notificationDeliveryId
        ? [deps.prisma.notificationDelivery.updateMany({
            // The provider's "canceled" callback may have been applied first: still record why.
            where: { id: m.notificationDeliveryId, OR: [{ status: { in: ['pending', 'deferred', 'sent'] } }, { status: 'cancelled', skipReason: null }] },
            data: { status: 'cancelled', skipReason: 'opted_out' },
          })]
        : []),
    ]);
    cancelled++;
  }
  if (cancelled > 0) deps.log.info({ cancelled }, 'messages held by the provider cancelled after an opt-out');
  return cancelled;
}

export function startReconciler(deps: ReconcilerDeps): { stop(): Promise<void> } {
  let running = true;
  let current: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    // Paused: the held sends are 'sending' on purpose and the provider refuses lookups too.
    if (!running || deps.paused?.()) return;
    current = reconcileStale(deps)
      .then(() => requeueStrandedSends(deps))
      .then(() => cancelHeldForOptedOut(deps))
      .catch((err) => deps.log.warn({ err: describeError(err) }, 'reconciler cycle failed'));
  }, deps.intervalMs);
  timer.unref();
  return {
    stop: async () => {
      running = false;
      clearInterval(timer);
      await current;
    },
  };
}
