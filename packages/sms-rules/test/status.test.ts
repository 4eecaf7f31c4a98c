import { describe, expect, it } from 'vitest';
import {
  DELIVERY_STATUSES,
  deliveryStatusFor,
  FINAL_DELIVERY_STATUSES,
  isFinalDeliveryStatus,
  isFinalSmsStatus,
  isSmsStatus,
  isTwilioStatus,
  mapTwilioStatus,
  shouldApplyStatus,
  SMS_STATUSES,
  smsStatusRank,
  TWILIO_STATUSES,
  type SmsStatus,
} from '../src/status.ts';

describe('mapTwilioStatus', () => {
  it.each([
    ['accepted', 'queued'],
    ['scheduled', 'scheduled'],
    ['queued', 'queued'],
    ['sending', 'sending'],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['read', 'delivered'],
    ['partially_delivered', 'delivered'],
    ['undelivered', 'undelivered'],
    ['failed', 'failed'],
    ['canceled', 'cancelled'],
  ])('maps %s to %s', (twilio, ours) => expect(mapTwilioStatus(twilio)).toBe(ours));

  it('maps inbound-only statuses to null', () => {
    expect(mapTwilioStatus('receiving')).toBeNull();
    expect(mapTwilioStatus('received')).toBeNull();
  });

  it('maps unknown statuses to null', () => {
    expect(mapTwilioStatus('exploded')).toBeNull();
    expect(mapTwilioStatus('')).toBeNull();
    expect(mapTwilioStatus('cancelled')).toBeNull(); // Twilio spells it "canceled"
  });

  it('ignores case and surrounding whitespace', () => {
    expect(mapTwilioStatus(' Delivered ')).toBe('delivered');
    expect(mapTwilioStatus('UNDELIVERED')).toBe('undelivered');
  });

  it('handles every Twilio status without throwing', () => {
    for (const status of TWILIO_STATUSES) {
      const mapped = mapTwilioStatus(status);
      expect(mapped === null || isSmsStatus(mapped)).toBe(true);
    }
  });
});

describe('final statuses', () => {
  it('knows the final SMS statuses', () => {
    expect(SMS_STATUSES.filter(isFinalSmsStatus)).toEqual(['delivered', 'failed', 'undelivered', 'cancelled']);
  });

  it('knows the final delivery statuses', () => {
    expect(DELIVERY_STATUSES.filter(isFinalDeliveryStatus)).toEqual([...FINAL_DELIVERY_STATUSES]);
    expect(isFinalDeliveryStatus('deferred')).toBe(false);
    expect(isFinalDeliveryStatus('skipped')).toBe(true);
  });

  it('recognises the closed lists', () => {
    expect(isSmsStatus('sent')).toBe(true);
    expect(isSmsStatus('canceled')).toBe(false);
    expect(isTwilioStatus('canceled')).toBe(true);
    expect(isTwilioStatus('cancelled')).toBe(false);
  });
});

describe('shouldApplyStatus', () => {
  it('applies forward progress along the happy path', () => {
    const path: SmsStatus[] = ['pending', 'scheduled', 'queued', 'sending', 'sent', 'delivered'];
    for (let i = 0; i < path.length; i++) {
      for (let j = 0; j < path.length; j++) {
        expect({ from: path[i], to: path[j], apply: shouldApplyStatus(path[i]!, path[j]!) }).toEqual({
          from: path[i],
          to: path[j],
          apply: j > i,
        });
      }
    }
  });

  it('ignores duplicates of every status', () => {
    for (const s of SMS_STATUSES) expect(shouldApplyStatus(s, s)).toBe(false);
  });

  it('ignores regressions from out-of-order callbacks', () => {
    expect(shouldApplyStatus('sent', 'queued')).toBe(false);
    expect(shouldApplyStatus('sent', 'sending')).toBe(false);
    expect(shouldApplyStatus('sending', 'queued')).toBe(false);
    expect(shouldApplyStatus('queued', 'scheduled')).toBe(false);
  });

  it('lets a failure replace any non-final status (sent → failed, queued → undelivered)', () => {
    for (const from of ['pending', 'scheduled', 'queued', 'sending', 'sent'] as const) {
      expect(shouldApplyStatus(from, 'failed')).toBe(true);
      expect(shouldApplyStatus(from, 'undelivered')).toBe(true);
      expect(shouldApplyStatus(from, 'cancelled')).toBe(true);
    }
  });

  it('never moves away from delivered', () => {
    for (const to of SMS_STATUSES) expect(shouldApplyStatus('delivered', to)).toBe(false);
  });

  it('lets a late delivery receipt replace a failure or a cancellation', () => {
    expect(shouldApplyStatus('failed', 'delivered')).toBe(true);
    expect(shouldApplyStatus('undelivered', 'delivered')).toBe(true);
    expect(shouldApplyStatus('cancelled', 'delivered')).toBe(true);
  });

  it('keeps the first of failed, undelivered and cancelled', () => {
    const finals = ['failed', 'undelivered', 'cancelled'] as const;
    for (const from of finals) for (const to of finals) expect(shouldApplyStatus(from, to)).toBe(false);
  });

  it('never moves from a final state back to an intermediate one', () => {
    for (const from of ['failed', 'undelivered', 'cancelled', 'delivered'] as const) {
      for (const to of ['pending', 'scheduled', 'queued', 'sending', 'sent'] as const) {
        expect(shouldApplyStatus(from, to)).toBe(false);
      }
    }
  });

  it('reaches the same final state whatever order the callbacks arrive in', () => {
    const callbacks: SmsStatus[] = ['queued', 'sending', 'sent', 'undelivered', 'delivered', 'sent', 'delivered'];
    const permutations = [callbacks, [...callbacks].reverse(), ['delivered', 'queued', 'undelivered', 'sent', 'sending'] as SmsStatus[]];
    for (const order of permutations) {
      let current: SmsStatus = 'sending';
      for (const incoming of order) if (shouldApplyStatus(current, incoming)) current = incoming;
      expect(current).toBe('delivered');
    }
  });

  it('ranks every status', () => {
    for (const s of SMS_STATUSES) expect(Number.isInteger(smsStatusRank(s))).toBe(true);
    expect(smsStatusRank('sent')).toBeGreaterThan(smsStatusRank('queued'));
  });
});

describe('deliveryStatusFor', () => {
  it.each([
    ['pending', 'pending'],
    ['scheduled', 'deferred'],
    ['queued', 'sent'],
    ['sending', 'sent'],
    ['sent', 'sent'],
    ['delivered', 'delivered'],
    ['failed', 'failed'],
    ['undelivered', 'failed'],
    ['cancelled', 'cancelled'],
  ] as const)('maps sms %s to delivery %s', (sms, delivery) => {
    expect(deliveryStatusFor(sms)).toBe(delivery);
  });

  it('maps final SMS statuses to final delivery statuses and no others', () => {
    for (const s of SMS_STATUSES) expect(isFinalDeliveryStatus(deliveryStatusFor(s))).toBe(isFinalSmsStatus(s));
  });
});
