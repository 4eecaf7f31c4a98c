import { randomUUID } from 'node:crypto';
import { deferralOps, deliveryFailed, deliverySkipped, type Deferral } from '@hub/channel-kit';
import type { Prisma, PrismaClient } from '@hub/db';
import { hubMessageIdHeader, parseHubMessageId } from '@hub/email-rules';

/**
 * Every change of an email message and its delivery, each in one transaction (invariant 3).
 * The attempt is recorded as "sending" — with the Message-ID it will carry — before the
 * SMTP call (the send-once discipline: see docs/channels.md).
 */

export interface NewEmail {
  deliveryId: string;
  userId: string;
  to: string;
  from: string;
  subject: string;
  html: string;
  text: string;
  templateId: string | null;
  templateKey: string | null;
  templateVars: Prisma.InputJsonValue | null;
  priority: 'low' | 'normal' | 'high' | 'urgent';
  maxAttempts: number;
  domain: string;
  now: Date;
}

/** Our Message-ID for attempt n of a message (see @hub/email-rules message-id.ts). */
export const messageIdHeader = hubMessageIdHeader;
export const parseMessageIdHeader = parseHubMessageId;

/**
 * The first attempt: the message row in "sending", the delivery's attempt count, the audit
 * event and the template's usage, all or nothing; null when the delivery already has a
 * message (another instance, or a replay) or is no longer waiting (cancelled meanwhile: the
 * row lock orders this against a concurrent cancel).
 */
export async function createFirstAttempt(prisma: PrismaClient, a: NewEmail): Promise<{ id: string; attempt: number; header: string } | null> {
  const id = randomUUID();
  const header = messageIdHeader(id, 1, a.domain);
  const rows = await prisma.$queryRaw<{ id: string }[]>`
    WITH open AS (
      SELECT d.id FROM notification_deliveries d WHERE d.id = ${a.deliveryId}::uuid AND d.status IN ('pending', 'deferred') FOR UPDATE OF d
    ), m AS (
      INSERT INTO email_messages (id, user_id, email_address, from_address, subject, html_body, text_body, template_id, template_key, template_vars,
                                  status, priority, message_id_header, send_started_at, attempt_count, max_attempts, notification_delivery_id, updated_at)
      SELECT ${id}::uuid, ${a.userId}::uuid, ${a.to}, ${a.from}, ${a.subject}, ${a.html}, ${a.text}, ${a.templateId}::uuid, ${a.templateKey},
             ${a.templateVars === null ? null : JSON.stringify(a.templateVars)}::jsonb, 'sending', ${a.priority}::event_priority, ${header},
             ${a.now}, 1, ${a.maxAttempts}, o.id, now()
        FROM open o
      ON CONFLICT (notification_delivery_id) DO NOTHING
      RETURNING id, notification_delivery_id, template_id
    ), d AS (
      UPDATE notification_deliveries d SET attempts = d.attempts + 1, channel_identifier = ${a.to}, updated_at = now()
        FROM m WHERE d.id = m.notification_delivery_id
    ), e AS (
      INSERT INTO email_message_events (email_message_id, status, event, attempt, source) SELECT m.id, 'sending', 'adapter', 1, 'adapter' FROM m
    ), u AS (
      UPDATE email_templates t SET usage_count = t.usage_count + 1, last_used_at = ${a.now} FROM m WHERE t.id = m.template_id
    )
    SELECT id::text FROM m`;
  return rows.length > 0 ? { id, attempt: 1, header } : null;
}

/** A retry claims the message only if it still waits (another instance may hold it). */
export async function claimRetry(prisma: PrismaClient, args: { messageId: string; deliveryId: string; to: string; domain: string; now: Date }): Promise<{ id: string; attempt: number; header: string } | null> {
  return prisma.$transaction(async (tx) => {
    const rows = await tx.$queryRaw<{ attempt: number; header: string }[]>`
      UPDATE email_messages
         SET status = 'sending', attempt_count = attempt_count + 1, send_started_at = ${args.now}, next_retry_at = NULL,
             provider_queue_id = NULL, smtp_response = NULL,
             message_id_header = id::text || '.' || (attempt_count + 1)::text || '@' || ${args.domain}, updated_at = now()
       WHERE id = ${args.messageId}::uuid AND status IN ('pending', 'scheduled')
      RETURNING attempt_count AS attempt, message_id_header AS header`;
    const claimed = rows[0];
    if (!claimed) return null;
    await tx.notificationDelivery.update({ where: { id: args.deliveryId }, data: { attempts: { increment: 1 }, channelIdentifier: args.to } });
    await tx.emailMessageEvent.create({ data: { emailMessageId: args.messageId, status: 'sending', event: 'adapter', attempt: claimed.attempt, source: 'adapter' } });
    return { id: args.messageId, attempt: claimed.attempt, header: claimed.header };
  });
}

/**
 * The SMTP server accepted the message (250 after DATA). A provider event may already have
 * moved it further (its webhook can outrun this write): never move it back.
 */
export async function recordAccepted(prisma: PrismaClient, args: { messageId: string; deliveryId: string; attempt: number; queueId: string | null; response: string; now: Date }): Promise<void> {
  // One statement (atomic on its own): the message, the delivery, the history row.
  await prisma.$executeRaw`
    WITH m AS (
      UPDATE email_messages
         SET provider_queue_id = ${args.queueId?.slice(0, 255) ?? null}, smtp_response = ${args.response.slice(0, 1000)},
             status = CASE WHEN status = 'sending' THEN 'sent'::email_status ELSE status END,
             sent_at = COALESCE(sent_at, ${args.now}), updated_at = now()
       WHERE id = ${args.messageId}::uuid AND attempt_count = ${args.attempt}
    ), d AS (
      UPDATE notification_deliveries
         SET status = 'sent', external_id = ${args.messageId}, sent_at = ${args.now}, updated_at = now()
       WHERE id = ${args.deliveryId}::uuid AND status IN ('pending', 'deferred')
    )
    INSERT INTO email_message_events (email_message_id, status, event, attempt, detail, source)
    VALUES (${args.messageId}::uuid, 'sent', 'adapter', ${args.attempt}, ${args.response.slice(0, 1000)}, 'adapter')`;
}

export async function markSkipped(prisma: PrismaClient, deliveryId: string, reason: string, detail?: string | null): Promise<void> {
  await prisma.$transaction([
    deliverySkipped(prisma, deliveryId, reason, detail),
    prisma.emailMessage.updateMany({ where: { notificationDeliveryId: deliveryId, status: { in: ['pending', 'scheduled'] } }, data: { status: 'cancelled', nextRetryAt: null } }),
  ]);
}

export interface Failure {
  deliveryId: string;
  code: string;
  error: string;
  now: Date;
  message?: { id: string; attempt: number; status: 'failed' | 'bounced'; bounceType?: 'hard' | 'soft'; smtpStatus?: string | null };
  /** A permanent refusal of the address (5xx at RCPT, a hard bounce): later deliveries skip it. */
  undeliverable?: { userId: string; address: string; reason: string };
}

export async function markFailed(prisma: PrismaClient, f: Failure): Promise<void> {
  const ops: Prisma.PrismaPromise<unknown>[] = [deliveryFailed(prisma, f.deliveryId, f.code, f.error, f.now)];
  if (f.message) {
    ops.push(
      prisma.emailMessage.updateMany({
        where: { id: f.message.id, status: { notIn: ['delivered', 'failed', 'bounced', 'cancelled'] } },
        data: {
          status: f.message.status, errorCode: f.code, errorMessage: f.error, nextRetryAt: null,
          ...(f.message.status === 'bounced' ? { bouncedAt: f.now, bounceType: f.message.bounceType ?? 'hard' } : {}),
        },
      }),
      prisma.emailMessageEvent.create({
        data: { emailMessageId: f.message.id, status: f.message.status, event: 'adapter', attempt: f.message.attempt, smtpStatus: f.message.smtpStatus ?? null, detail: f.error.slice(0, 1000), source: 'adapter' },
      }),
    );
  }
  if (f.undeliverable) ops.push(markUndeliverable(prisma, f.undeliverable, f.now));
  await prisma.$transaction(ops);
}

/** The address is known undeliverable (only while it is still the user's address). */
export function markUndeliverable(prisma: PrismaClient, u: { userId: string; address: string; reason: string }, now: Date): Prisma.PrismaPromise<unknown> {
  return prisma.userEmailPreferences.updateMany({
    where: { userId: u.userId, emailKey: u.address.toLowerCase() },
    data: { undeliverable: true, undeliverableAt: now, undeliverableReason: u.reason.slice(0, 200) },
  });
}

/** A retry after a temporary failure: the message waits in "scheduled", the request in the scheduler. */
export async function scheduleRetry(prisma: PrismaClient, d: Deferral, message?: { id: string; code: string; error: string }): Promise<void> {
  const ops: Prisma.PrismaPromise<unknown>[] = deferralOps(prisma, { ...d, ...(message ? { lastError: { code: message.code, message: message.error } } : {}) });
  if (message) {
    ops.push(prisma.emailMessage.updateMany({
      where: { id: message.id, status: { in: ['sending', 'sent', 'scheduled'] } },
      data: { status: 'scheduled', nextRetryAt: d.until, errorCode: message.code, errorMessage: message.error },
    }));
  }
  await prisma.$transaction(ops);
}
