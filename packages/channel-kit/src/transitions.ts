import type { Prisma, PrismaClient } from '@hub/db';
import { HEADERS, type DeliveryRequest } from '@hub/contracts';
import { LIVE_DELIVERY_STATUSES, OPEN_DELIVERY_STATUSES } from './delivery-state.ts';

/**
 * The delivery-row half of every transition, as Prisma statements a channel adapter runs in
 * one transaction with its own message-table statements (invariant 3: the channel's message
 * and the delivery always agree). Each statement names the statuses it leaves, so a delivery
 * cancelled or finished meanwhile is never moved (see delivery-state.ts).
 */

type Op = Prisma.PrismaPromise<unknown>;

export function deliverySkipped(prisma: PrismaClient, deliveryId: string, reason: string, detail?: string | null): Op {
  return prisma.notificationDelivery.updateMany({
    where: { id: deliveryId, status: { in: [...OPEN_DELIVERY_STATUSES] } },
    data: { status: 'skipped', skipReason: reason, lastError: detail ?? null },
  });
}

export function deliveryFailed(prisma: PrismaClient, deliveryId: string, code: string, error: string, now: Date): Op {
  return prisma.notificationDelivery.updateMany({
    where: { id: deliveryId, status: { in: [...LIVE_DELIVERY_STATUSES] } },
    data: { status: 'failed', lastErrorCode: code, lastError: error, failedAt: now },
  });
}

export interface Deferral {
  request: DeliveryRequest;
  until: Date;
  /** Full topic name the request is published to when due (the adapter's own input). */
  topic: string;
  /** scheduled_jobs.kind: quiet_hours, sms_retry, email_retry, reconcile, scheduled_send… */
  kind: string;
  reason: DeliveryRequest['reason'];
  /** scheduled_jobs.dedupe_key: a replay of the same deferral adds no second job. */
  dedupeKey: string;
  now: Date;
  /** Recorded on the delivery (a retry after an error). */
  lastError?: { code: string | null; message: string | null };
}

/**
 * Defers a delivery through the scheduler (scheduled_jobs is the outbox: the job is the
 * Kafka message, published when due): the delivery becomes "deferred" until then, and the
 * request comes back to the adapter with `reason`. Quiet hours, retry backoff, a send time
 * in the future, and the wait before reconciling a send of unknown outcome all go here.
 */
export function deferralOps(prisma: PrismaClient, d: Deferral): Op[] {
  const { request, until } = d;
  const payload = { ...request, reason: d.reason, requestedAt: d.now.toISOString() };
  return [
    prisma.notificationDelivery.updateMany({
      where: { id: request.deliveryId, status: { in: [...LIVE_DELIVERY_STATUSES] } },
      data: {
        status: 'deferred',
        deferredUntil: until,
        ...(d.lastError ? { lastErrorCode: d.lastError.code, lastError: d.lastError.message } : {}),
      },
    }),
    prisma.scheduledJob.createMany({
      data: [{
        kind: d.kind,
        dueAt: until,
        topic: d.topic,
        key: request.userId,
        payload,
        headers: { [HEADERS.deliveryId]: request.deliveryId, [HEADERS.eventId]: request.eventId, [HEADERS.correlationId]: request.eventId },
        refId: request.deliveryId,
        dedupeKey: d.dedupeKey,
      }],
      skipDuplicates: true,
    }),
  ];
}
