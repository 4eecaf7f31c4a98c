import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { parseSendgridEvents, sendgridUniqueArgsHeader, verifySendgridSignature } from '../src/index.ts';

// SendGrid's published Event Webhook test vector (key, signature, timestamp and payload as
// SendGrid documents them for checking a verifier).
const SG = {
  publicKey: 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==',
  signature: 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=',
  timestamp: '1588788367',
  payload: JSON.stringify({ category: 'example_payload', event: 'test_event', message_id: 'message_id' }),
};

function ownKeys() {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const spki = publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
  const signBody = (timestamp: string, body: string) => sign('sha256', Buffer.from(timestamp + body), privateKey).toString('base64');
  return { spki, signBody };
}

describe('verifySendgridSignature', () => {
  it("verifies SendGrid's test vector (the payload without a trailing CRLF; tolerance off)", () => {
    expect(verifySendgridSignature({ ...SG, rawBody: SG.payload, toleranceSeconds: 0 })).toEqual({ ok: true });
    expect(verifySendgridSignature({ ...SG, rawBody: Buffer.from(SG.payload), toleranceSeconds: 0 })).toEqual({ ok: true });
  });

  it('the vector with a trailing CRLF does not verify', () => {
    expect(verifySendgridSignature({ ...SG, rawBody: `${SG.payload}\r\n`, toleranceSeconds: 0 })).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('the vector is stale under the default 10-minute window', () => {
    expect(verifySendgridSignature({ ...SG, rawBody: SG.payload })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifySendgridSignature({ ...SG, rawBody: SG.payload, now: new Date(1588788367_000 + 599_000) })).toEqual({ ok: true });
  });

  it('own keys: verifies, and refuses a tampered body, another timestamp, the wrong key, a stale timestamp', () => {
    const k = ownKeys();
    const other = ownKeys();
    const now = new Date('2026-03-01T12:00:00Z');
    const ts = String(Math.floor(now.getTime() / 1000));
    const body = JSON.stringify([{ event: 'delivered', email: 'a@example.com', timestamp: Number(ts) }]);
    const signature = k.signBody(ts, body);
    expect(verifySendgridSignature({ publicKey: k.spki, signature, timestamp: ts, rawBody: body, now })).toEqual({ ok: true });
    expect(verifySendgridSignature({ publicKey: k.spki, signature, timestamp: ts, rawBody: body.replace('delivered', 'bounce'), now })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifySendgridSignature({ publicKey: k.spki, signature, timestamp: String(Number(ts) + 1), rawBody: body, now })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifySendgridSignature({ publicKey: other.spki, signature, timestamp: ts, rawBody: body, now })).toEqual({ ok: false, reason: 'bad_signature' });
    const old = String(Number(ts) - 601);
    expect(verifySendgridSignature({ publicKey: k.spki, signature: k.signBody(old, body), timestamp: old, rawBody: body, now })).toEqual({ ok: false, reason: 'stale_timestamp' });
    const future = String(Number(ts) + 601);
    expect(verifySendgridSignature({ publicKey: k.spki, signature: k.signBody(future, body), timestamp: future, rawBody: body, now, toleranceSeconds: 600 })).toEqual({ ok: false, reason: 'stale_timestamp' });
    expect(verifySendgridSignature({ publicKey: k.spki, signature: k.signBody(old, body), timestamp: old, rawBody: body, now, toleranceSeconds: 0 })).toEqual({ ok: true });
  });

  it('missing headers, a garbage signature, a bad key', () => {
    expect(verifySendgridSignature({ ...SG, signature: undefined, rawBody: SG.payload })).toEqual({ ok: false, reason: 'missing_header' });
    expect(verifySendgridSignature({ ...SG, timestamp: '', rawBody: SG.payload })).toEqual({ ok: false, reason: 'missing_header' });
    expect(verifySendgridSignature({ ...SG, signature: 'bm90IGEgc2lnbmF0dXJl', rawBody: SG.payload, toleranceSeconds: 0 })).toEqual({ ok: false, reason: 'bad_signature' });
    expect(verifySendgridSignature({ ...SG, publicKey: 'bm90IGEga2V5', rawBody: SG.payload })).toEqual({ ok: false, reason: 'bad_key' });
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ format: 'der', type: 'spki' }).toString('base64');
    expect(verifySendgridSignature({ ...SG, publicKey: rsa, rawBody: SG.payload })).toEqual({ ok: false, reason: 'bad_key' });
  });
});

describe('parseSendgridEvents', () => {
  const base = { email: 'ada@example.com', timestamp: 1700000000, 'smtp-id': '<3f2a-1@hub.local>', sg_event_id: 'ev1', sg_message_id: 'sgm.filter0001', hub_message_id: 'm-1', hub_attempt: '2' };

  it.each([
    ['processed', {}, 'processed'],
    ['deferred', { response: '451 4.3.0 try later', attempt: '1' }, 'deferred'],
    ['delivered', { response: '250 2.0.0 OK' }, 'delivered'],
    ['open', {}, 'open'],
    ['click', { url: 'https://x' }, 'click'],
    ['bounce', { type: 'bounce', status: '5.1.1', reason: '550 5.1.1 no such user' }, 'hard_bounce'],
    ['bounce', { type: 'blocked', status: '4.0.0', reason: 'blocked by spam filter' }, 'soft_bounce'],
    ['bounce', {}, 'hard_bounce'],
    ['dropped', { reason: 'Bounced Address' }, 'dropped'],
    ['spamreport', {}, 'complaint'],
    ['unsubscribe', {}, 'unsubscribe'],
    ['group_unsubscribe', { asm_group_id: 1 }, 'unsubscribe'],
    ['group_resubscribe', { asm_group_id: 1 }, 'resubscribe'],
  ] as const)('%s %j → %s', (event, extra, kind) => {
    const { events, rejected } = parseSendgridEvents([{ ...base, event, ...extra }]);
    expect(rejected).toEqual([]);
    expect(events[0]).toMatchObject({ kind, raw: event, email: 'ada@example.com', providerEventId: 'ev1', providerMessageId: 'sgm.filter0001', messageIdHeader: '3f2a-1@hub.local', hubMessageId: 'm-1', attempt: 2 });
    expect(events[0]?.occurredAt.toISOString()).toBe('2023-11-14T22:13:20.000Z');
  });

  it('status, reason / response, cut to 1000 characters', () => {
    const { events } = parseSendgridEvents([
      { ...base, event: 'bounce', type: 'bounce', status: '5.1.1', reason: 'x'.repeat(5000) },
      { ...base, event: 'deferred', response: '451 later' },
      { event: 'open', timestamp: 1 },
    ]);
    expect(events[0]?.smtpStatus).toBe('5.1.1');
    expect(events[0]?.reason).toHaveLength(1000);
    expect(events[1]?.reason).toBe('451 later');
    expect(events[2]).toMatchObject({ providerEventId: null, providerMessageId: null, messageIdHeader: null, hubMessageId: null, attempt: null, email: null, smtpStatus: null, reason: null });
  });

  it('keeps unknown and malformed entries as rejected, never throws', () => {
    const r = parseSendgridEvents([{ ...base, event: 'delivered' }, { ...base, event: 'mystery' }, null, 'x', [], { ...base, event: 'open', timestamp: 'soon' }, { ...base }]);
    expect(r.events).toHaveLength(1);
    expect(r.rejected.map((x) => x.index)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.rejected[0]?.reason).toMatch(/unknown event "mystery"/);
    expect(parseSendgridEvents({ event: 'delivered' })).toEqual({ events: [], rejected: [{ index: -1, reason: 'the body is not a JSON array' }] });
  });

  it('hub_attempt: a non-negative integer or null', () => {
    const attempts = ['3', 4, '-1', 'x', 1.5].map((hub_attempt) => parseSendgridEvents([{ ...base, event: 'open', hub_attempt }]).events[0]?.attempt);
    expect(attempts).toEqual([3, 4, null, null, null]);
  });
});

describe('sendgridUniqueArgsHeader', () => {
  it('builds {"unique_args":{…}} as one 7-bit line', () => {
    expect(sendgridUniqueArgsHeader({ hub_message_id: 'm-1', hub_attempt: '2' })).toBe('{"unique_args":{"hub_message_id":"m-1","hub_attempt":"2"}}');
    const tricky = sendgridUniqueArgsHeader({ note: 'a\r\nBcc: x@y.z "ü"' });
    expect(tricky).not.toMatch(/[\r\n\u0080-\uffff]/);
    expect(JSON.parse(tricky)).toEqual({ unique_args: { note: 'a\r\nBcc: x@y.z "ü"' } });
  });
});
