import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { INBOUND_SMS_LIMITS, inboundSmsSchema, SMS_STATUS_LIMITS, smsStatusSchema } from '@hub/contracts';
import { normalizeText, parseAddress } from '../src/normalize.ts';

const receivedAt = '2026-12-10T12:00:00.000Z';
const messageId = '6f1c1a38-3d5e-4b8e-9d3b-0c1f9f1d2a11';

describe('normalizeText', () => {
  it('strips NUL, replaces lone surrogates, keeps pairs whole when cutting', () => {
    expect(normalizeText('a\u0000b', 10)).toEqual({ value: 'ab', fixes: ['nul_stripped'] });
    expect(normalizeText('x\uD800y\uDC00', 10)).toEqual({ value: 'x\uFFFDy\uFFFD', fixes: ['surrogate_replaced'] });
    expect(normalizeText('ok 😀', 10)).toEqual({ value: 'ok 😀', fixes: [] });
    // 😀 is two code units: cutting between them would leave a lone surrogate.
    expect(normalizeText('abc😀', 4)).toEqual({ value: 'abc', fixes: ['truncated'] });
    expect(normalizeText('abcdef', 3)).toEqual({ value: 'abc', fixes: ['truncated'] });
  });

  it('any string normalised to a limit passes the storable-text check of both topic schemas', () => {
    const text = fc.oneof(fc.string({ unit: 'binary', maxLength: 400 }), fc.string({ unit: fc.constantFrom('\u0000', '\uD83D', '\uDE00', 'a', '😀'), maxLength: 400 }));
    fc.assert(fc.property(text, text, text, (a, b, c) => {
      const sid = normalizeText(`SM${a}`, SMS_STATUS_LIMITS.sid).value;
      const status = normalizeText(`s${b}`, SMS_STATUS_LIMITS.status).value;
      const errorMessage = normalizeText(c, SMS_STATUS_LIMITS.errorMessage).value;
      expect(smsStatusSchema.safeParse({ messageId, sid, status, errorMessage, receivedAt }).success).toBe(true);
      const from = normalizeText(`whatsapp:${a}`, INBOUND_SMS_LIMITS.address).value;
      const body = normalizeText(c.repeat(30), INBOUND_SMS_LIMITS.body).value;
      const parsed = inboundSmsSchema.safeParse({ sid, from, to: from, channel: parseAddress(from).channel, fromE164: parseAddress(from).e164, body, receivedAt });
      expect(parsed.success).toBe(true);
    }), { numRuns: 300 });
  });

  it('the schemas refuse what a producer forgot to normalise', () => {
    expect(smsStatusSchema.safeParse({ messageId, sid: 'SM1', status: 'delivered\u0000', receivedAt }).success).toBe(false);
    expect(smsStatusSchema.safeParse({ messageId, sid: 'SM1', status: 'x'.repeat(31), receivedAt }).success).toBe(false);
    expect(smsStatusSchema.safeParse({ messageId, sid: 'SM1', status: 'sent', errorCode: 2 ** 31, receivedAt }).success).toBe(false);
    expect(inboundSmsSchema.safeParse({ sid: 'SM1', from: '+1', to: '+1', body: 'a\uD800', receivedAt }).success).toBe(false);
  });

  it('reads a message published before channel and fromE164 existed as SMS', () => {
    expect(inboundSmsSchema.parse({ sid: 'SM1', from: '+14155550123', to: '+15005550006', body: 'STOP', receivedAt }))
      .toMatchObject({ channel: 'sms', fromE164: null, bodyTruncated: false, numMedia: 0 });
  });
});

describe('parseAddress', () => {
  it('keeps the raw address and derives E.164 for phone-based channels only', () => {
    expect(parseAddress('+14155550123')).toEqual({ raw: '+14155550123', channel: 'sms', e164: '+14155550123' });
    expect(parseAddress('whatsapp:+14155550123')).toEqual({ raw: 'whatsapp:+14155550123', channel: 'whatsapp', e164: '+14155550123' });
    expect(parseAddress('WhatsApp:+442071838750')).toMatchObject({ channel: 'whatsapp', e164: '+442071838750' });
    expect(parseAddress('rcs:+14155550123')).toMatchObject({ channel: 'rcs', e164: '+14155550123' });
    expect(parseAddress('messenger:1234567890123456')).toEqual({ raw: 'messenger:1234567890123456', channel: 'messenger', e164: null });
    expect(parseAddress('whatsapp:not-a-number')).toMatchObject({ channel: 'whatsapp', e164: null });
    expect(parseAddress('rcs:brand_agent')).toMatchObject({ channel: 'rcs', e164: null });
    // A short code or an alphanumeric sender: SMS, but no phone number.
    expect(parseAddress('12345')).toMatchObject({ channel: 'sms', e164: null });
    expect(parseAddress('ACME')).toMatchObject({ channel: 'sms', e164: null });
  });
});
