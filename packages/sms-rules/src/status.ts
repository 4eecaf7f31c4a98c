import { assertNever } from './assert-never.ts';

/**
 * SMS, Twilio and delivery statuses, and the rule that keeps a status from moving
 * backwards when Twilio's callbacks arrive late, out of order or more than once.
 *
 * shouldApplyStatus(current, incoming) is true only for real progress:
 * 1. the same status again is a duplicate: ignored;
 * 2. `delivered` is terminal: nothing replaces it (delivered → undelivered is ignored);
 * 3. `delivered` replaces any other status, final ones included (failed/undelivered/
 *    cancelled → delivered). A delivery receipt is proof the handset got the message,
 *    while the others are claims that it did not or will not; letting proof win also makes
 *    the outcome independent of the order in which callbacks arrive;
 * 4. the other final states (failed, undelivered, cancelled) are terminal among
 *    themselves: the first one recorded stays;
 * 5. a final state replaces any non-final one (sent → failed, queued → undelivered,
 *    scheduled → cancelled);
 * 6. between non-final states only a strictly higher rank applies:
 *    pending < scheduled < queued < sending < sent.
 */

export const SMS_STATUSES = [
  'pending',
  'scheduled',
  'queued',
  'sending',
  'sent',
  'delivered',
  'failed',
  'undelivered',
  'cancelled',
] as const;
export type SmsStatus = (typeof SMS_STATUSES)[number];

export const FINAL_SMS_STATUSES = ['delivered', 'failed', 'undelivered', 'cancelled'] as const satisfies readonly SmsStatus[];

/** Message statuses of Twilio's Messages API (note Twilio spells "canceled"). */
export const TWILIO_STATUSES = [
  'accepted',
  'scheduled',
  'queued',
  'sending',
  'sent',
  'delivered',
  'undelivered',
  'failed',
  'receiving',
  'received',
  'read',
  'canceled',
  'partially_delivered',
] as const;
export type TwilioStatus = (typeof TWILIO_STATUSES)[number];

export const DELIVERY_STATUSES = ['pending', 'deferred', 'sent', 'delivered', 'failed', 'skipped', 'cancelled'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export const FINAL_DELIVERY_STATUSES = ['delivered', 'failed', 'skipped', 'cancelled'] as const satisfies readonly DeliveryStatus[];

export function isSmsStatus(value: string): value is SmsStatus {
  return (SMS_STATUSES as readonly string[]).includes(value);
}

export function isTwilioStatus(value: string): value is TwilioStatus {
  return (TWILIO_STATUSES as readonly string[]).includes(value);
}

export function isFinalSmsStatus(status: SmsStatus): boolean {
  return (FINAL_SMS_STATUSES as readonly SmsStatus[]).includes(status);
}

export function isFinalDeliveryStatus(status: DeliveryStatus): boolean {
  return (FINAL_DELIVERY_STATUSES as readonly DeliveryStatus[]).includes(status);
}

/**
 * Twilio's status (any case, as received) → ours. null for a status that does not apply to
 * an outbound message (receiving, received) and for one we do not know: the caller records
 * it and changes nothing.
 * - accepted (a Messaging Service took it) → queued;
 * - read (RCS/WhatsApp read receipt) → delivered;
 * - partially_delivered → delivered: part of the message reached the handset, and sending
 *   the whole message again would duplicate that part.
 */
export function mapTwilioStatus(twilioStatus: string): SmsStatus | null {
  const status = twilioStatus.trim().toLowerCase();
  if (!isTwilioStatus(status)) return null;
  switch (status) {
    case 'accepted':
    case 'queued':
      return 'queued';
    case 'scheduled':
      return 'scheduled';
    case 'sending':
      return 'sending';
    case 'sent':
      return 'sent';
    case 'delivered':
    case 'read':
    case 'partially_delivered':
      return 'delivered';
    case 'undelivered':
      return 'undelivered';
    case 'failed':
      return 'failed';
    case 'canceled':
      return 'cancelled';
    case 'receiving':
    case 'received':
      return null;
    default:
      return assertNever(status, 'Twilio status');
  }
}

/** Position of a non-final status on the way to the handset; finals are handled apart. */
export function smsStatusRank(status: SmsStatus): number {
  switch (status) {
    case 'pending':
      return 0;
    case 'scheduled':
      return 1;
    case 'queued':
      return 2;
    case 'sending':
      return 3;
    case 'sent':
      return 4;
    case 'failed':
    case 'undelivered':
    case 'cancelled':
      return 5;
    case 'delivered':
      return 6;
    default:
      return assertNever(status, 'SMS status');
  }
}

export function shouldApplyStatus(current: SmsStatus, incoming: SmsStatus): boolean {
  if (incoming === current) return false;
  if (current === 'delivered') return false;
  if (incoming === 'delivered') return true;
  if (isFinalSmsStatus(current)) return false;
  if (isFinalSmsStatus(incoming)) return true;
  return smsStatusRank(incoming) > smsStatusRank(current);
}

/**
 * The notification_deliveries status that mirrors an SMS status. The delivery statuses
 * have no "undelivered": an undelivered SMS is a `failed` delivery (the SMS row keeps the
 * distinction and the error code). Queued, sending and sent all mean the provider has the
 * message: `sent`. An SMS waiting to be (re)sent is `deferred`. `skipped` never comes from
 * an SMS: a skipped delivery has none.
 */
export function deliveryStatusFor(smsStatus: SmsStatus): DeliveryStatus {
  switch (smsStatus) {
    case 'pending':
      return 'pending';
    case 'scheduled':
      return 'deferred';
    case 'queued':
    case 'sending':
    case 'sent':
      return 'sent';
    case 'delivered':
      return 'delivered';
    case 'failed':
    case 'undelivered':
      return 'failed';
    case 'cancelled':
      return 'cancelled';
    default:
      return assertNever(smsStatus, 'SMS status');
  }
}
