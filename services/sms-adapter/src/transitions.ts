import { randomUUID } from 'node:crypto';
import type { Prisma, PrismaClient } from '@hub/db';
import { HEADERS, type DeliveryRequest } from '@hub/contracts';
import type { SmsStatus } from '@hub/sms-rules';

/**
 * Every change of a delivery and its SMS happens here, each in one transaction, so
 * sms_messages and notification_deliveries always agree (invariant 3).
 */

export async function markSkipped(prisma: PrismaClient, deliveryId: string, reason: string, detail?: string): Promise<void> {
  await prisma.$transaction([
    prisma.notificationDelivery.updateMany({
      where: { id: deliveryId, status: { in: ['pending', 'deferred'] } },
      data: { status: 'skipped', skipReason: reason, lastError: detail ?? null },
    }),
    prisma.smsMessage.updateMany({ where: { notificationDeliveryId: deliveryId, status: { in: ['pending', 'scheduled'] } }, data: { status: 'cancelled' } }),
  ]);
}

export async function markFailed(prisma: PrismaClient, deliveryId: string, code: string, error: string, now: Date, messageId?: string, twilioCode?: number | null): Promise<void> {
  const ops: Prisma.PrismaPromise<unknown>[] = [
    prisma.notificationDelivery.updateMany({
      where: { id: deliveryId, status: { in: ['pending', 'deferred', 'sent'] } },
      data: { status: 'failed', lastErrorCode: code, lastError: error, failedAt: now },
    }),
  ];
  if (messageId) {
    ops.push(
      prisma.smsMessage.update({
        where: { id: messageId },
        data: { status: 'failed', twilioErrorCode: twilioCode ?? null, twilioErrorMessage: error, nextRetryAt: null },
      }),
      prisma.smsMessageEvent.create({ data: { smsMessageId: messageId, status: 'failed', errorCode: twilioCode ?? null, source: 'adapter' } }),
    );
  }
  await prisma.$transaction(ops);
}

/** Defers a delivery (quiet hours or a retry backoff) through scheduled_jobs, the outbox. */
export async function scheduleAgain(
  prisma: PrismaClient,
  args: {
    request: DeliveryRequest;
    until: Date;
    topic: string;
    kind: 'quiet_hours' | 'sms_retry' | 'reconcile' | 'scheduled_send';
    reason: DeliveryRequest['reason'];
    dedupeKey: string;
    now: Date;
    message?: { id: string; errorCode: number | null; error: string | null };
  },
): Promise<void> {
  const { request, until } = args;
  const payload = { ...request, reason: args.reason, requestedAt: args.now.toISOString() };
  const ops: Prisma.PrismaPromise<unknown>[] = [
    prisma.notificationDelivery.updateMany({
      where: { id: request.deliveryId, status: { in: ['pending', 'deferred', 'sent'] } },
      data: {
        status: 'deferred',
        deferredUntil: until,
        ...(args.message ? { lastErrorCode: args.message.errorCode === null ? null : String(args.message.errorCode), lastError: args.message.error } : {}),
      },
    }),
    prisma.scheduledJob.createMany({
      data: [{
        kind: args.kind,
        dueAt: until,
        topic: args.topic,
        key: request.userId,
        payload,
        headers: { [HEADERS.deliveryId]: request.deliveryId, [HEADERS.eventId]: request.eventId, [HEADERS.correlationId]: request.eventId },
        refId: request.deliveryId,
        dedupeKey: args.dedupeKey,
      }],
      skipDuplicates: true,
    }),
  ];
  if (args.message) {
    ops.push(
      prisma.smsMessage.update({
        where: { id: args.message.id },
        data: { status: 'scheduled', nextRetryAt: until, twilioErrorCode: args.message.errorCode, twilioErrorMessage: args.message.error },
      }),
    );
  }
  await prisma.$transaction(ops);
}

export interface NewAttempt {
  deliveryId: string;
  userId: string;
  phoneNumber: string;
  content: string;
  templateId: string | null;
  templateKey: string | null;
  templateVars: Prisma.InputJsonValue | null;
  priority: DeliveryRequest['priority'];
  segments: number;
  encoding: string;
  maxAttempts: number;
  /** Tracked short links in the content, written with the attempt. */
  links: { code: string; url: string }[];
  /** Twilio-native scheduling: the SendAt the provider will hold the message until. */
  scheduledFor?: Date | undefined;
  now: Date;
}

/**
 * Records that a send is about to start (status "sending", attempt + 1) before the provider
 * is called. Returns null when another instance already holds this attempt.
 */
export async function beginAttempt(prisma: PrismaClient, existing: { id: string; status: SmsStatus } | null, a: NewAttempt): Promise<{ id: string; attempt: number } | null> {
  const common = {
    messageContent: a.content,
    templateKey: a.templateKey,
    templateVars: a.templateVars ?? undefined,
    segments: a.segments,
    encoding: a.encoding,
    sendStartedAt: a.now,
    scheduledFor: a.scheduledFor,
    twilioSid: null,
    twilioStatus: null,
    nextRetryAt: null,
  };
  if (!existing) return createFirstAttempt(prisma, a);
  // A retry: claim the message only if it still waits (another instance may hold it).
  return prisma.$transaction(async (tx) => {
    const claimed = await tx.smsMessage.updateMany({
      where: { id: existing.id, status: { in: ['pending', 'scheduled'] } },
      data: { ...common, status: 'sending', attemptCount: { increment: 1 } },
    });
    if (claimed.count === 0) return null;
    const { attemptCount: attempt } = await tx.smsMessage.findUniqueOrThrow({ where: { id: existing.id }, select: { attemptCount: true } });
    await tx.notificationDelivery.update({ where: { id: a.deliveryId }, data: { attempts: { increment: 1 }, channelIdentifier: a.phoneNumber } });
    await tx.smsMessageEvent.create({ data: { smsMessageId: existing.id, status: 'sending', attempt, source: 'adapter' } });
    return { id: existing.id, attempt };
  });
}

/**
 * The first attempt of a delivery, in one statement (the hot path of every send): the
 * message row in status "sending", the delivery's attempt count, its tracked links, the
 * audit event and the template's usage — all or nothing. Returns null when another instance
 * created the delivery's message first (one message per delivery, a unique index).
 */
async function createFirstAttempt(prisma: PrismaClient, a: NewAttempt): Promise<{ id: string; attempt: number } | null> {
  const id = randomUUID();
  const vars = a.templateVars === null ? null : JSON.stringify(a.templateVars);
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    WITH m AS (
      INSERT INTO sms_messages (id, user_id, phone_number, message_content, template_id, template_key, template_vars, status, priority,
                                segments, encoding, scheduled_for, send_started_at, attempt_count, max_attempts, notification_delivery_id, updated_at)
      VALUES (${id}::uuid, ${a.userId}::uuid, ${a.phoneNumber}, ${a.content}, ${a.templateId}::uuid, ${a.templateKey}, ${vars}::jsonb, 'sending',
              ${a.priority}::event_priority, ${a.segments}, ${a.encoding}, ${a.scheduledFor ?? null}, ${a.now}, 1, ${a.maxAttempts}, ${a.deliveryId}::uuid, now())
      ON CONFLICT (notification_delivery_id) DO NOTHING
      RETURNING id
    ), d AS (
      UPDATE notification_deliveries SET attempts = attempts + 1, channel_identifier = ${a.phoneNumber}, updated_at = now()
       WHERE id = ${a.deliveryId}::uuid AND EXISTS (SELECT 1 FROM m)
    ), l AS (
      INSERT INTO sms_click_tracking (short_code, destination_url, delivery_id, sms_message_id)
      SELECT t.code, t.url, ${a.deliveryId}::uuid, m.id FROM m, unnest(${a.links.map((l) => l.code)}::text[], ${a.links.map((l) => l.url)}::text[]) AS t(code, url)
      ON CONFLICT (short_code) DO NOTHING
    ), e AS (
      INSERT INTO sms_message_events (sms_message_id, status, attempt, source) SELECT m.id, 'sending', 1, 'adapter' FROM m
    ), t AS (
      UPDATE sms_templates SET usage_count = usage_count + 1, last_used_at = ${a.now}
       WHERE id = ${a.templateId}::uuid AND EXISTS (SELECT 1 FROM m)
    )
    SELECT id::text FROM m`;
  return rows.length > 0 ? { id, attempt: 1 } : null;
}

/**
 * The provider accepted the message. A status callback may already have moved the message
 * further (it can arrive before this write): never move it back.
 */
export async function recordAccepted(prisma: PrismaClient, args: { messageId: string; deliveryId: string; sid: string; providerStatus: string; mapped: SmsStatus; now: Date; attempt: number }): Promise<void> {
  // One statement: atomic without a transaction's extra round trips.
  await prisma.$executeRaw`
    WITH m AS (
      UPDATE sms_messages
         SET twilio_sid = ${args.sid},
             twilio_status = COALESCE(twilio_status, ${args.providerStatus}),
             status = CASE WHEN status = 'sending' THEN ${args.mapped}::sms_status ELSE status END,
             sent_at = COALESCE(sent_at, ${args.now}),
             updated_at = now()
       WHERE id = ${args.messageId}::uuid AND (twilio_sid IS NULL OR twilio_sid = ${args.sid})
    ), d AS (
      UPDATE notification_deliveries
         SET status = 'sent', external_id = ${args.sid}, sent_at = COALESCE(sent_at, ${args.now}), updated_at = now()
       WHERE id = ${args.deliveryId}::uuid AND status IN ('pending', 'deferred')
    )
    INSERT INTO sms_message_events (sms_message_id, status, twilio_status, twilio_sid, attempt, source)
    VALUES (${args.messageId}::uuid, ${args.mapped}::sms_status, ${args.providerStatus}, ${args.sid}, ${args.attempt}, 'adapter')`;
}
