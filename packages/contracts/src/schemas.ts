import { z } from 'zod';
import { TOPICS, type TopicName } from './topics.ts';

export const PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type Priority = (typeof PRIORITIES)[number];

export const CHANNELS = ['sms'] as const;
export type Channel = (typeof CHANNELS)[number];

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

const isoDate = z.iso.datetime({ offset: true });

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

/** notify.sms.status.v1 — a provider status callback, as received (key: our message id). */
export const smsStatusSchema = z.object({
  messageId: z.uuid(),
  sid: z.string().min(1).max(64),
  status: z.string().min(1).max(30),
  errorCode: z.number().int().nullable().default(null),
  errorMessage: z.string().nullable().default(null),
  receivedAt: isoDate,
  source: z.enum(['callback', 'lookup']).default('callback'),
});
export type SmsStatusUpdate = z.infer<typeof smsStatusSchema>;

/** notify.sms.inbound.v1 — an inbound SMS (STOP, HELP…) (key: from number). */
export const inboundSmsSchema = z.object({
  sid: z.string().min(1).max(64),
  from: z.string().min(1).max(20),
  to: z.string().min(1).max(20),
  body: z.string().max(1600),
  receivedAt: isoDate,
});
export type InboundSms = z.infer<typeof inboundSmsSchema>;

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
export const TOPIC_SCHEMAS = {
  [TOPICS.events]: notificationEventSchema,
  [TOPICS.smsDeliveries]: deliveryRequestSchema,
  [TOPICS.smsStatus]: smsStatusSchema,
  [TOPICS.smsInbound]: inboundSmsSchema,
  [TOPICS.schedule]: scheduleRequestSchema,
} as const satisfies Record<TopicName, z.ZodType>;

export type TopicPayload<T extends TopicName> = z.infer<(typeof TOPIC_SCHEMAS)[T]>;
