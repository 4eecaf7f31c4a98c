import { z } from 'zod';
import type { Prisma } from '@hub/db';
import { iso } from './schemas.ts';
import { emailEventView, toEmailEventView } from './email-messages.ts';

/** Response shapes of the deliveries routes (also the OpenAPI document's). */

const smsSummary = z.object({
  id: z.string(), status: z.string(), segments: z.number().int(), encoding: z.string(), twilioSid: z.string().nullable(), errorCode: z.number().int().nullable(),
});

const emailSummary = z.object({
  id: z.string(), status: z.string(), to: z.string(), subject: z.string(), messageIdHeader: z.string().nullable(), providerQueueId: z.string().nullable(), bounceType: z.string().nullable(),
});

export const deliverySchema = z.object({
  id: z.string(),
  eventId: z.string(),
  eventType: z.string(),
  userId: z.string().describe('the recipient external id'),
  channel: z.string(),
  channelIdentifier: z.string().nullable(),
  status: z.string(),
  skipReason: z.string().nullable(),
  attempts: z.number().int(),
  externalId: z.string().nullable(),
  lastError: z.string().nullable(),
  lastErrorCode: z.string().nullable(),
  deferredUntil: z.string().nullable(),
  sentAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
  failedAt: z.string().nullable(),
  createdAt: z.string(),
  updatedAt: z.string(),
  sms: smsSummary.nullable(),
  email: emailSummary.nullable().describe('the email message of an email delivery'),
});

export const deliveryPageSchema = z.object({ items: z.array(deliverySchema), nextCursor: z.string().nullable() });

const historyEntry = z.object({
  status: z.string(), twilioStatus: z.string().nullable(), sid: z.string().nullable(), attempt: z.number().int().nullable(),
  errorCode: z.number().int().nullable(), source: z.string(), applied: z.boolean(), at: z.string(),
});

export const deliveryDetailSchema = deliverySchema.extend({
  event: z.object({ id: z.string(), type: z.string(), priority: z.string(), payload: z.unknown(), scheduledFor: z.string().nullable(), occurredAt: z.string() }),
  message: z.object({
    id: z.string(), text: z.string().nullable(), templateKey: z.string().nullable(), segments: z.number().int(), encoding: z.string(), status: z.string(),
    attemptCount: z.number().int(), maxAttempts: z.number().int(), nextRetryAt: z.string().nullable(), twilioSid: z.string().nullable(),
    errorCode: z.number().int().nullable(), errorMessage: z.string().nullable(),
    history: z.array(historyEntry).describe('every status change of the message, oldest first'),
  }).nullable(),
  emailMessage: z.object({
    id: z.string(), to: z.string(), from: z.string(), subject: z.string(), templateKey: z.string().nullable(), status: z.string(),
    messageIdHeader: z.string().nullable(), providerQueueId: z.string().nullable(), smtpResponse: z.string().nullable(), bounceType: z.string().nullable(),
    attemptCount: z.number().int(), maxAttempts: z.number().int(), nextRetryAt: z.string().nullable(), errorCode: z.string().nullable(), errorMessage: z.string().nullable(),
    events: z.array(emailEventView).describe('every status change and provider event of the email, oldest first'),
  }).nullable().describe('the email of an email delivery (message is the SMS one)'),
  schedule: z.array(z.object({ kind: z.string(), dueAt: z.string(), status: z.string() })).describe('scheduler jobs of this delivery: deferrals, retries, resends'),
  adminActions: z.array(z.object({
    action: z.string().describe('e.g. POST /v1/deliveries/:id/cancel'), actor: z.string().describe('the API key name'),
    statusCode: z.number().int().nullable().describe('what the API answered'), at: z.string(),
  })).describe('admin requests on this delivery (resend, cancel), oldest first, from the audit trail'),
});

export const deliveryActionSchema = z.object({ id: z.string(), status: z.enum(['deferred', 'cancelled']) });

export type DeliveryRow = Prisma.NotificationDeliveryGetPayload<{ include: { event: true; user: true; smsMessages: true } }> & {
  emailMessages?: Prisma.EmailMessageGetPayload<object>[];
};
type DetailRow = Prisma.NotificationDeliveryGetPayload<{ include: { event: true; user: true; smsMessages: { include: { events: true } }; emailMessages: { include: { events: true } } } }>;
type JobRow = { kind: string; dueAt: Date; status: string };
type AdminActionRow = { action: string; actor: string; statusCode: number | null; at: Date };

export function deliveryView(d: DeliveryRow): z.infer<typeof deliverySchema> {
  const sms = d.smsMessages[0];
  const email = d.emailMessages?.[0];
  return {
    id: d.id,
    eventId: d.eventId,
    eventType: d.event.eventType,
    userId: d.user.externalId,
    channel: d.channel,
    channelIdentifier: d.channelIdentifier,
    status: d.status,
    skipReason: d.skipReason,
    attempts: d.attempts,
    externalId: d.externalId,
    lastError: d.lastError,
    lastErrorCode: d.lastErrorCode,
    deferredUntil: iso(d.deferredUntil),
    sentAt: iso(d.sentAt),
    deliveredAt: iso(d.deliveredAt),
    failedAt: iso(d.failedAt),
    createdAt: d.createdAt.toISOString(),
    updatedAt: d.updatedAt.toISOString(),
    sms: sms
      ? { id: sms.id, status: sms.status, segments: sms.segments, encoding: sms.encoding, twilioSid: sms.twilioSid, errorCode: sms.twilioErrorCode }
      : null,
    email: email
      ? { id: email.id, status: email.status, to: email.emailAddress, subject: email.subject, messageIdHeader: email.messageIdHeader, providerQueueId: email.providerQueueId, bounceType: email.bounceType }
      : null,
  };
}

export function deliveryDetailView(d: DetailRow, jobs: JobRow[], adminActions: AdminActionRow[] = []): z.infer<typeof deliveryDetailSchema> {
  const sms = d.smsMessages[0];
  const email = d.emailMessages[0];
  return {
    ...deliveryView(d),
    event: { id: d.event.id, type: d.event.eventType, priority: d.event.priority, payload: d.event.payload, scheduledFor: iso(d.event.scheduledFor), occurredAt: d.event.occurredAt.toISOString() },
    message: sms
      ? {
          id: sms.id,
          text: sms.messageContent,
          templateKey: sms.templateKey,
          segments: sms.segments,
          encoding: sms.encoding,
          status: sms.status,
          attemptCount: sms.attemptCount,
          maxAttempts: sms.maxAttempts,
          nextRetryAt: iso(sms.nextRetryAt),
          twilioSid: sms.twilioSid,
          errorCode: sms.twilioErrorCode,
          errorMessage: sms.twilioErrorMessage,
          history: sms.events.map((e) => ({ status: e.status, twilioStatus: e.twilioStatus, sid: e.twilioSid, attempt: e.attempt, errorCode: e.errorCode, source: e.source, applied: e.applied, at: e.occurredAt.toISOString() })),
        }
      : null,
    emailMessage: email
      ? {
          id: email.id, to: email.emailAddress, from: email.fromAddress, subject: email.subject, templateKey: email.templateKey, status: email.status,
          messageIdHeader: email.messageIdHeader, providerQueueId: email.providerQueueId, smtpResponse: email.smtpResponse, bounceType: email.bounceType,
          attemptCount: email.attemptCount, maxAttempts: email.maxAttempts, nextRetryAt: iso(email.nextRetryAt), errorCode: email.errorCode, errorMessage: email.errorMessage,
          events: email.events.map(toEmailEventView),
        }
      : null,
    schedule: jobs.map((j) => ({ kind: j.kind, dueAt: j.dueAt.toISOString(), status: j.status })),
    adminActions: adminActions.map((a) => ({ action: a.action, actor: a.actor, statusCode: a.statusCode, at: a.at.toISOString() })),
  };
}
