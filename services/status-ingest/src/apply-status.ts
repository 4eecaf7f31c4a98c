import type { Prisma, PrismaClient } from '@hub/db';
import { deliveryRequestSchema, HEADERS, type Clock, type SmsStatusUpdate } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import { deliveryStatusFor, mapTwilioStatus, retryDecision, shouldApplyStatus, type SmsStatus } from '@hub/sms-rules';
import { recordOptOut } from '@hub/db';

export interface ApplyDeps {
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
  /** Full topic name the retry jobs publish to (deliveries of the sms channel). */
  retryTopic: string;
  random?: () => number;
}

interface MessageRow {
  id: string;
  user_id: string;
  phone_number: string;
  status: SmsStatus;
  twilio_sid: string | null;
  attempt_count: number;
  max_attempts: number;
  notification_delivery_id: string | null;
  event_id: string | null;
  event_type: string | null;
  priority: string;
  sent_at: Date | null;
  provider_sent_at: Date | null;
}

export type ApplyOutcome = 'applied' | 'ignored' | 'replay' | 'unrecognised_status' | 'stale_attempt' | 'unknown_message' | 'retry_scheduled' | 'opted_out';

/**
 * Applies one provider status to sms_messages and its notification_deliveries row in one
 * transaction. Statuses are ranked: regressions and repeats are recorded in the history
 * but change nothing. An exact replay (the same sid and status already recorded for the
 * message: Twilio retrying a callback, or a replayed one) writes nothing at all: the history
 * holds one row per (message, sid, status) from callbacks and lookups, which the unique
 * index sms_message_events_replay_key guarantees (the insert skips a duplicate). A failure with a transient code schedules the next attempt through
 * scheduled_jobs in the same transaction (the outbox), so a crash loses nothing.
 */
export async function applyStatus(deps: ApplyDeps, update: SmsStatusUpdate): Promise<ApplyOutcome> {
  const incoming = mapTwilioStatus(update.status);
  const now = deps.clock.now();
  return deps.prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<MessageRow[]>`
      SELECT m.id::text, m.user_id::text, m.phone_number, m.status::text AS status, m.twilio_sid, m.attempt_count, m.max_attempts,
             m.notification_delivery_id::text, d.event_id, e.event_type, m.priority::text AS priority, m.sent_at, m.provider_sent_at
        FROM sms_messages m
        LEFT JOIN notification_deliveries d ON d.id = m.notification_delivery_id
        LEFT JOIN notification_events e ON e.id = d.event_id
       WHERE m.id = ${update.messageId}::uuid
       FOR UPDATE OF m`;
    const msg = rows[0];
    if (!msg) {
      deps.log.warn({ messageId: update.messageId, sid: update.sid }, 'status for an unknown message ignored');
      return 'unknown_message';
    }
    const replayed = await tx.$queryRaw<{ id: bigint }[]>`
      SELECT id FROM sms_message_events
       WHERE sms_message_id = ${msg.id}::uuid AND twilio_sid = ${update.sid} AND twilio_status = ${update.status} AND source IN ('callback', 'lookup')
       LIMIT 1`;
    if (replayed.length > 0) return 'replay';
    const history = (applied: boolean) =>
      tx.smsMessageEvent.createMany({
        skipDuplicates: true,
        data: {
          smsMessageId: msg.id,
          status: incoming ?? msg.status,
          twilioStatus: update.status,
          twilioSid: update.sid,
          attempt: msg.attempt_count,
          errorCode: update.errorCode,
          source: update.source,
          applied,
          occurredAt: new Date(update.receivedAt),
        },
      });

    if (incoming === null) {
      await history(false);
      deps.log.warn({ messageId: msg.id, sid: update.sid, status: update.status }, 'unrecognised provider status recorded, not applied');
      return 'unrecognised_status';
    }
    // A callback for the sid of an earlier attempt changes nothing now.
    if (msg.twilio_sid && msg.twilio_sid !== update.sid) {
      await history(false);
      return 'stale_attempt';
    }
    if (!msg.twilio_sid) {
      const earlier = await tx.smsMessageEvent.count({ where: { smsMessageId: msg.id, twilioSid: update.sid, attempt: { lt: msg.attempt_count } } });
      if (earlier > 0) {
        await history(false);
        return 'stale_attempt';
      }
    }
    const apply = shouldApplyStatus(msg.status, incoming);
    await history(apply);
    if (!apply) {
      // The outcome of a send we did not see finish is now known: keep the sid.
      if (!msg.twilio_sid) await tx.smsMessage.update({ where: { id: msg.id }, data: { twilioSid: update.sid } });
      return 'ignored';
    }

    const failed = incoming === 'failed' || incoming === 'undelivered';
    const decision = failed
      ? retryDecision({ errorCode: update.errorCode, attempt: msg.attempt_count, maxAttempts: msg.max_attempts, random: deps.random ?? Math.random })
      : null;

    const smsData: Prisma.SmsMessageUpdateInput = {
      status: incoming,
      twilioStatus: update.status,
      twilioSid: update.sid,
      twilioErrorCode: update.errorCode,
      twilioErrorMessage: update.errorMessage,
      // sent_at is Twilio's acceptance (set by the adapter) and is kept; the callback's own time apart.
      ...(incoming === 'sent' ? { ...(msg.sent_at ? {} : { sentAt: now }), ...(msg.provider_sent_at ? {} : { providerSentAt: new Date(update.receivedAt) }) } : {}),
      ...(incoming === 'delivered' ? { deliveredAt: now } : {}),
    };

    if (decision?.action === 'retry') {
      const dueAt = new Date(now.getTime() + decision.delayMs);
      await tx.smsMessage.update({ where: { id: msg.id }, data: { ...smsData, status: 'scheduled', nextRetryAt: dueAt } });
      if (msg.notification_delivery_id && msg.event_id && msg.event_type) {
        await tx.notificationDelivery.update({
          where: { id: msg.notification_delivery_id },
          data: { status: 'deferred', deferredUntil: dueAt, lastErrorCode: String(update.errorCode ?? ''), lastError: update.errorMessage ?? update.status },
        });
        const payload = deliveryRequestSchema.parse({
          deliveryId: msg.notification_delivery_id,
          eventId: msg.event_id,
          userId: msg.user_id,
          channel: 'sms',
          eventType: msg.event_type,
          priority: msg.priority,
          reason: 'retry',
          requestedAt: now.toISOString(),
        });
        await tx.scheduledJob.createMany({
          data: [{
            kind: 'sms_retry',
            dueAt,
            topic: deps.retryTopic,
            key: msg.user_id,
            payload,
            headers: { [HEADERS.deliveryId]: msg.notification_delivery_id, [HEADERS.messageId]: msg.id, [HEADERS.correlationId]: msg.id },
            refId: msg.notification_delivery_id,
            dedupeKey: `retry:${msg.id}:${msg.attempt_count}`,
          }],
          skipDuplicates: true,
        });
      }
      deps.log.info({ messageId: msg.id, errorCode: update.errorCode, attempt: msg.attempt_count, dueAt }, 'delivery failed with a transient error; retry scheduled');
      return 'retry_scheduled';
    }

    await tx.smsMessage.update({ where: { id: msg.id }, data: smsData });
    if (msg.notification_delivery_id) {
      const deliveryStatus = deliveryStatusFor(incoming);
      await tx.notificationDelivery.update({
        where: { id: msg.notification_delivery_id },
        data: {
          status: deliveryStatus,
          externalId: update.sid,
          ...(deliveryStatus === 'sent' ? { sentAt: now } : {}),
          ...(deliveryStatus === 'delivered' ? { deliveredAt: now } : {}),
          ...(deliveryStatus === 'failed'
            ? { failedAt: now, lastErrorCode: update.errorCode === null ? null : String(update.errorCode), lastError: update.errorMessage ?? `provider status ${update.status}` }
            : {}),
        },
      });
    }
    if (decision?.action === 'opt_out') {
      await recordOptOut(tx, { userId: msg.user_id, phoneNumber: msg.phone_number, source: 'provider_error', keyword: null, messageSid: update.sid, reason: `twilio_${update.errorCode}`, at: now });
      return 'opted_out';
    }
    return 'applied';
  });
}

