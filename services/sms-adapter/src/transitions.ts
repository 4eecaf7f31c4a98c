import type { Prisma, PrismaClient } from '@hub/db';
import type { DeliveryRequest } from '@hub/contracts';
import { deferralOps, deliveryFailed, deliverySkipped } from '@hub/channel-kit';
import type { SmsStatus } from '@hub/sms-rules';
import type { HotPath } from './hot-path.ts';

/**
 * Every change of a delivery and its SMS happens here, each in one transaction, so
 * sms_messages and notification_deliveries always agree (invariant 3).
 */

export async function markSkipped(prisma: PrismaClient, deliveryId: string, reason: string, detail?: string): Promise<void> {
  await prisma.$transaction([
    deliverySkipped(prisma, deliveryId, reason, detail),
    prisma.smsMessage.updateMany({ where: { notificationDeliveryId: deliveryId, status: { in: ['pending', 'scheduled'] } }, data: { status: 'cancelled' } }),
  ]);
}

export async function markFailed(prisma: PrismaClient, deliveryId: string, code: string, error: string, now: Date, messageId?: string, twilioCode?: number | null): Promise<void> {
  const ops: Prisma.PrismaPromise<unknown>[] = [deliveryFailed(prisma, deliveryId, code, error, now)];
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
    kind: 'quiet_hours' | 'sms_retry' | 'reconcile' | 'scheduled_send' | 'rate_limit';
    reason: DeliveryRequest['reason'];
    dedupeKey: string;
    now: Date;
    message?: { id: string; errorCode: number | null; error: string | null };
  },
): Promise<void> {
  const ops: Prisma.PrismaPromise<unknown>[] = deferralOps(prisma, {
    ...args,
    ...(args.message ? { lastError: { code: args.message.errorCode === null ? null : String(args.message.errorCode), message: args.message.error } } : {}),
  });
  if (args.message) {
    ops.push(
      prisma.smsMessage.update({
        where: { id: args.message.id },
        data: { status: 'scheduled', nextRetryAt: args.until, twilioErrorCode: args.message.errorCode, twilioErrorMessage: args.message.error },
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
export async function beginAttempt(prisma: PrismaClient, hot: Pick<HotPath, 'createFirstAttempt'>, existing: { id: string; status: SmsStatus } | null, a: NewAttempt): Promise<{ id: string; attempt: number } | null> {
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
  if (!existing) return hot.createFirstAttempt(a);
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
