import { z } from 'zod';
import { isStorableTime, stringProblem } from './storable.ts';
import { TOPICS, type TopicName } from './topics.ts';
import { CHANNEL_NAMES } from './channels.ts';

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

/** Every channel the hub knows (the registry: channels.ts). */
export const CHANNELS = CHANNEL_NAMES;
export type { Channel } from './channels.ts';

/** Producer-chosen idempotency key: letters, digits and . _ : - (1–128 chars). */
export const eventIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'may contain only letters, digits and . _ : -');

export const eventTypeSchema = z
  .string()
  .min(1)
  .max(100)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'lower-case letters, digits and . _ - (e.g. task.reminder)');

/** An ISO 8601 instant PostgreSQL can store (years 0001–9999; year 0000 is refused). */
export const isoDate = z.iso.datetime({ offset: true }).refine(isStorableTime, 'must be between 0001-01-01 and 9999-12-31');

/** notify.events.v1 — what upstream services publish (key: targetUserId, or id for broadcasts). */
export const notificationEventSchema = z.object({
  id: eventIdSchema,
  type: eventTypeSchema,
  /** The recipient's id in the upstream system (users.external_id). Absent = broadcast to subscribers. */
  targetUserId: z.string().min(1).max(200).optional(),
  payload: z.record(z.string(), z.unknown()).default({}),
  priority: z.enum(PRIORITIES).default('normal'),
  scheduledFor: isoDate.optional(),
  source: z.string().max(100).optional(),
  occurredAt: isoDate,
});
export type NotificationEvent = z.infer<typeof notificationEventSchema>;

/** notify.deliveries.<channel>.v1 — one delivery for one user on one channel (key: userId). */
export const deliveryRequestSchema = z.object({
  deliveryId: z.uuid(),
  eventId: eventIdSchema,
  userId: z.uuid(),
  channel: z.string().min(1).max(20),
  eventType: eventTypeSchema,
  priority: z.enum(PRIORITIES),
  /** Why this request exists: first try, a retry after a provider error, or a deferral released. */
  reason: z.enum(['new', 'retry', 'deferred', 'scheduled', 'resend']).default('new'),
  requestedAt: isoDate,
});
export type DeliveryRequest = z.infer<typeof deliveryRequestSchema>;

/**
 * Text PostgreSQL stores as sent (`stringProblem`: no NUL, no lone UTF-16 surrogate — the bus
 * would dead-letter it at decode). Lengths are in UTF-16 code units, which bound the
 * characters (code points) a varchar(n) counts. Producers normalise before publishing
 * (status-ingest: `normalizeText`), so a message that fails this is a producer bug, refused
 * at publish.
 */
const storableText = (max: number) =>
  z.string().max(max).refine((s) => stringProblem(s) === null, 'must contain no NUL and no lone surrogate');

/** Field sizes of the two Twilio topics, the columns they land in (prisma/schema.prisma). */
export const SMS_STATUS_LIMITS = { sid: 64, status: 30, errorMessage: 1_000 } as const;
export const INBOUND_SMS_LIMITS = { sid: 64, address: 256, channel: 32, e164: 20, body: 8_192 } as const;
const INT4_MAX = 2_147_483_647;

/** notify.sms.status.v1 — a provider status callback, as received (key: our message id). */
export const smsStatusSchema = z.object({
  messageId: z.uuid(),
  /** sms_messages.twilio_sid / sms_message_events.twilio_sid: varchar(64). */
  sid: storableText(SMS_STATUS_LIMITS.sid).min(1),
  /** Twilio's status word as sent (twilio_status varchar(30)); unknown words are recorded, not applied. */
  status: storableText(SMS_STATUS_LIMITS.status).min(1),
  /** An int4 column (twilio_error_code). */
  errorCode: z.number().int().min(-INT4_MAX - 1).max(INT4_MAX).nullable().default(null),
  errorMessage: storableText(SMS_STATUS_LIMITS.errorMessage).nullable().default(null),
  receivedAt: isoDate,
  source: z.enum(['callback', 'lookup']).default('callback'),
});
export type SmsStatusUpdate = z.infer<typeof smsStatusSchema>;

/**
 * notify.sms.inbound.v1 — an inbound message (STOP, HELP…) (key: the sender's raw address).
 * `from` / `to` are the addresses as Twilio sent them, channel prefix included
 * (`whatsapp:+14155550123`, `messenger:1234…`, `rcs:+1…`); `channel` is that prefix (`sms`
 * when none) and `fromE164` the phone number behind the sender when the channel is
 * phone-based, else null. Messages written before these fields existed read as SMS.
 */
export const inboundSmsSchema = z.object({
  sid: storableText(INBOUND_SMS_LIMITS.sid).min(1),
  from: storableText(INBOUND_SMS_LIMITS.address).min(1),
  to: storableText(INBOUND_SMS_LIMITS.address).min(1),
  channel: storableText(INBOUND_SMS_LIMITS.channel).min(1).default('sms'),
  fromE164: z.string().regex(/^\+[1-9]\d{1,14}$/).nullable().default(null),
  /** Empty for a media-only message; cut at 8,192 characters (bodyTruncated). */
  body: storableText(INBOUND_SMS_LIMITS.body),
  bodyTruncated: z.boolean().default(false),
  numMedia: z.number().int().min(0).max(INT4_MAX).default(0),
  receivedAt: isoDate,
});
export type InboundSms = z.infer<typeof inboundSmsSchema>;

/** Field sizes of notify.email.status.v1, the columns they land in (email_message_events). */
export const EMAIL_STATUS_LIMITS = { providerEventId: 100, providerMessageId: 255, smtpStatus: 20, reason: 1_000, raw: 30 } as const;

/** Provider reports about an email, normalised (the SendGrid webhook today: @hub/email-rules). */
export const EMAIL_EVENT_KINDS = [
  'processed', 'deferred', 'delivered', 'open', 'click', 'hard_bounce', 'soft_bounce', 'dropped', 'complaint', 'unsubscribe', 'resubscribe',
] as const;
export type EmailEventKind = (typeof EMAIL_EVENT_KINDS)[number];

/** notify.email.status.v1 — one provider event about one of our emails (key: our message id). */
export const emailStatusSchema = z.object({
  /** email_messages.id (from the Message-ID header <id>.<attempt>@domain, or the custom arg). */
  messageId: z.uuid(),
  /** The attempt the event is about (0 when the provider did not say). */
  attempt: z.number().int().min(0).max(1_000).default(0),
  kind: z.enum(EMAIL_EVENT_KINDS),
  /** The provider's own event word (bounce, blocked, spamreport…). */
  raw: storableText(EMAIL_STATUS_LIMITS.raw).min(1),
  providerEventId: storableText(EMAIL_STATUS_LIMITS.providerEventId).nullable().default(null),
  providerMessageId: storableText(EMAIL_STATUS_LIMITS.providerMessageId).nullable().default(null),
  /** RFC 3463 enhanced status (5.1.1), when given. */
  smtpStatus: storableText(EMAIL_STATUS_LIMITS.smtpStatus).nullable().default(null),
  reason: storableText(EMAIL_STATUS_LIMITS.reason).nullable().default(null),
  occurredAt: isoDate,
  receivedAt: isoDate,
  source: z.enum(['webhook', 'dsn', 'adapter']).default('webhook'),
});
export type EmailStatusUpdate = z.infer<typeof emailStatusSchema>;

/** notify.schedule.v1 — ask the scheduler to publish `payload` to `topic` at `dueAt`. */
export const scheduleRequestSchema = z.object({
  kind: z.string().min(1).max(50),
  dueAt: isoDate,
  topic: z.string().min(1).max(200),
  key: z.string().max(200).nullable().default(null),
  payload: z.record(z.string(), z.unknown()),
  refId: z.string().max(128).optional(),
  dedupeKey: z.string().max(200).optional(),
});
export type ScheduleRequest = z.infer<typeof scheduleRequestSchema>;

/** One schema per topic; producers and consumers import the same one. */
/**
 * notify.routing.v1: a fallback or escalation step for one (event, user), published by the
 * scheduler from a job written with the change that caused it (docs/inbox.md); keyed by user id.
 */
export const routingStepSchema = z.object({
  kind: z.enum(['fallback', 'escalation']),
  eventId: eventIdSchema,
  userId: z.string().uuid(),
  /** fallback: the channel that failed or was unusable. */
  fromChannel: z.string().max(20).optional(),
  /** fallback: its delivery. escalation: the delivery whose reading cancels the step. */
  deliveryId: z.string().uuid().optional(),
  reason: z.string().max(200).optional(),
  /** escalation: the step's index in the policy, and the channel it sends on. */
  step: z.number().int().min(0).max(10).optional(),
  channel: z.string().max(20).optional(),
  requestedAt: isoDate,
});
export type RoutingStep = z.infer<typeof routingStepSchema>;

export const TOPIC_SCHEMAS = {
  [TOPICS.events]: notificationEventSchema,
  [TOPICS.smsDeliveries]: deliveryRequestSchema,
  [TOPICS.smsStatus]: smsStatusSchema,
  [TOPICS.smsInbound]: inboundSmsSchema,
  [TOPICS.emailDeliveries]: deliveryRequestSchema,
  [TOPICS.emailStatus]: emailStatusSchema,
  [TOPICS.inappDeliveries]: deliveryRequestSchema,
  [TOPICS.routing]: routingStepSchema,
  [TOPICS.schedule]: scheduleRequestSchema,
} as const satisfies Record<TopicName, z.ZodType>;

export type TopicPayload<T extends TopicName> = z.infer<(typeof TOPIC_SCHEMAS)[T]>;
