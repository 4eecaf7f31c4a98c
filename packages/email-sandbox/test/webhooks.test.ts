import { generateKeyPairSync, verify } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createEmailSandbox, SandboxError, verifyEventSignature } from '../src/index.ts';
import { startRig, type Rig } from './support.ts';

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(() => rig.close());

const kinds = (events: Record<string, unknown>[], email?: string) => events.filter((e) => email === undefined || e.email === email).map((e) => e.event);

describe('event webhooks', () => {
  it('posts processed then delivered per recipient, SendGrid fields and the unique_args merged', async () => {
    const info = await rig.send({
      to: ['ann@example.com', 'bob@example.com'],
      headers: { 'X-SMTPAPI': JSON.stringify({ unique_args: { messageId: 'hub-1', tenant: 't1', event: 'not-mine' }, category: ['welcome'] }) },
    });
    const queueId = /queued as (\w+)/.exec(info.response)?.[1] ?? '';
    const events = await rig.receiver.waitFor((e) => e.filter((x) => x.event === 'delivered').length === 2);
    expect(kinds(events, 'ann@example.com')).toEqual(['processed', 'delivered']);
    expect(kinds(events, 'bob@example.com')).toEqual(['processed', 'delivered']);
    const delivered = events.find((e) => e.event === 'delivered' && e.email === 'ann@example.com');
    expect(delivered).toMatchObject({
      email: 'ann@example.com',
      event: 'delivered', // a custom arg never replaces a standard field
      'smtp-id': info.messageId, // with the angle brackets
      messageId: 'hub-1',
      tenant: 't1',
      category: ['welcome'],
    });
    expect(delivered?.timestamp).toBeTypeOf('number');
    expect(String(delivered?.sg_message_id)).toMatch(new RegExp(`^${queueId}\\.filter0001\\.\\d+\\.0$`));
    expect(new Set(events.map((e) => e.sg_event_id)).size).toBe(events.length);
    expect(rig.receiver.posts.every((p) => p.valid)).toBe(true);
    expect(rig.sandbox.messages()[0]?.events).toEqual(['processed', 'processed', 'delivered', 'delivered']);
  });

  it('an invalid X-SMTPAPI header is ignored', async () => {
    await rig.send({ to: 'ann@example.com', headers: { 'X-SMTPAPI': '{not json' } });
    const events = await rig.receiver.waitFor((e) => e.length === 2);
    expect(Object.keys(events[0] ?? {}).sort()).toEqual(['email', 'event', 'sg_event_id', 'sg_message_id', 'smtp-id', 'timestamp']);
  });

  it.each([
    ['bounce@example.com', ['processed', 'bounce'], { type: 'bounce', status: '5.1.1', bounce_classification: 'Invalid Address' }],
    ['softbounce+x@example.com', ['processed', 'bounce'], { type: 'blocked', status: expect.stringMatching(/^4\./) }],
    ['complaint@example.com', ['processed', 'delivered', 'spamreport'], {}],
  ])('%s → %j', async (to, expected, last) => {
    await rig.send({ to });
    const events = await rig.receiver.waitFor((e) => e.length === expected.length);
    await rig.sandbox.drain();
    expect(kinds(rig.receiver.events())).toEqual(expected);
    expect(events.at(-1)).toMatchObject(last);
    if (expected.includes('bounce')) expect(events.at(-1)?.reason).toBeTypeOf('string');
  });

  it('setFault hard_bounce_later for one address; autoEvents: false posts nothing by itself', async () => {
    rig.sandbox.setFault('ann@example.com', 'hard_bounce_later');
    await rig.send({ to: 'ann@example.com' });
    expect(kinds(await rig.receiver.waitFor((e) => e.length === 2))).toEqual(['processed', 'bounce']);
    await rig.close();
    rig = await startRig({ autoEvents: false });
    await rig.send({ to: 'ann@example.com' });
    await new Promise((r) => setTimeout(r, 50));
    expect(rig.receiver.posts).toHaveLength(0);
  });

  it('postEvent posts one signed event for a stored message (angle brackets optional), extra fields included', async () => {
    const info = await rig.send({ to: 'ann@example.com', headers: { 'X-SMTPAPI': JSON.stringify({ unique_args: { mid: 'm9' } }) } });
    await rig.receiver.waitFor((e) => e.length === 2);
    await rig.sandbox.postEvent(info.messageId.slice(1, -1), 'open', { ip: '10.0.0.1' });
    await rig.sandbox.postEvent(info.messageId, 'deferred');
    expect(rig.receiver.events().slice(2)).toMatchObject([
      { event: 'open', ip: '10.0.0.1', mid: 'm9', 'smtp-id': info.messageId },
      { event: 'deferred', response: expect.stringMatching(/^4/), attempt: '1' },
    ]);
    await expect(rig.sandbox.postEvent('<nope@x>', 'open')).rejects.toMatchObject({ code: 'message_not_found' });
    rig.sandbox.setWebhookUrl(null);
    const err = await rig.sandbox.postEvent(info.messageId, 'open').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SandboxError);
    expect(err).toMatchObject({ code: 'no_webhook_url' });
  });

  it('retries a 500 answer (200 ms, 1 s, 5 s by default; shortened here) and keeps the order', async () => {
    rig.receiver.failNext(2, 500);
    await rig.send({ to: 'ann@example.com' });
    const events = await rig.receiver.waitFor((e) => e.length === 2);
    expect(kinds(events)).toEqual(['processed', 'delivered']);
    await rig.sandbox.drain();
    // the same POST twice refused, then taken; delivered behind it (in the same POST when
    // a slow machine fires both timers at once)
    const [first, second, third] = rig.receiver.posts;
    expect([first?.status, second?.status, third?.status]).toEqual([500, 500, 200]);
    expect(second?.rawBody).toBe(first?.rawBody);
    expect(kinds(first?.events ?? [])[0]).toBe('processed');
    expect(rig.receiver.posts.filter((p) => p.status === 500)).toHaveLength(2);
    expect(rig.sandbox.stats()).toMatchObject({ webhooksPosted: rig.receiver.posts.length - 2, webhookFailures: 0 });
  });

  it('gives up after the retries and counts a failure; postEvent rejects with webhook_failed', async () => {
    await rig.send({ to: 'ann@example.com' }, {});
    await rig.receiver.waitFor((e) => e.length === 2);
    rig.receiver.failNext(4, 503);
    await expect(rig.sandbox.postEvent(rig.sandbox.messages()[0]?.messageId ?? '', 'click')).rejects.toMatchObject({ code: 'webhook_failed' });
    expect(rig.receiver.posts.slice(2).map((p) => p.status)).toEqual([503, 503, 503, 503]);
    expect(rig.sandbox.stats().webhookFailures).toBe(1);
  });

  it('a network error is retried and counted the same way', async () => {
    rig.sandbox.setWebhookUrl('http://127.0.0.1:1/events');
    await rig.send({ to: 'ann@example.com' });
    await rig.sandbox.waitFor((m) => m.events.length === 2);
    await rig.sandbox.drain();
    expect(rig.sandbox.stats().webhooksPosted).toBe(0);
    expect(rig.sandbox.stats().webhookFailures).toBeGreaterThanOrEqual(1); // 2, or 1 when both events shared a POST
  });
});

describe('signature', () => {
  it('verifies with node:crypto over timestamp + raw body; a tampered body or timestamp does not', async () => {
    await rig.send({ to: 'ann@example.com' });
    await rig.receiver.waitFor((e) => e.length === 2);
    const post = rig.receiver.posts[0];
    if (!post) throw new Error('no post');
    const key = { key: Buffer.from(rig.sandbox.publicKey, 'base64'), format: 'der' as const, type: 'spki' as const };
    const ok = (ts: string, body: string) => verify('sha256', Buffer.from(ts + body), key, Buffer.from(post.signature, 'base64'));
    expect(post.timestamp).toMatch(/^\d{10}$/);
    expect(Math.abs(Number(post.timestamp) - Date.now() / 1000)).toBeLessThan(5);
    expect(ok(post.timestamp, post.rawBody)).toBe(true);
    expect(ok(post.timestamp, post.rawBody.replace('processed', 'delivered'))).toBe(false);
    expect(ok(String(Number(post.timestamp) + 1), post.rawBody)).toBe(false);
  });

  it('publicKey is base64 DER SPKI of a P-256 key; a given private key is used', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const sandbox = createEmailSandbox({ privateKey });
    expect(sandbox.publicKey).toBe(publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
    expect(sandbox.publicKey).toMatch(/^MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE/);
    expect(() => createEmailSandbox({ privateKey: generateKeyPairSync('ec', { namedCurve: 'secp384r1' }).privateKey })).toThrow(/P-256/);
  });

  it("verifies SendGrid's published test vector with the same call (the scheme is the documented one)", () => {
    const publicKey = 'MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA==';
    const signature = 'MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0=';
    const timestamp = '1588788367';
    const payload = JSON.stringify({ category: 'example_payload', event: 'test_event', message_id: 'message_id' });
    const key = { key: Buffer.from(publicKey, 'base64'), format: 'der' as const, type: 'spki' as const };
    const check = (body: string) => verify('sha256', Buffer.from(timestamp + body), key, Buffer.from(signature, 'base64'));
    const results = { bare: check(payload), crlf: check(`${payload}\r\n`) };
    console.log('SendGrid test vector:', results);
    expect(results).toEqual(VECTOR_RESULT);
    expect(verifyEventSignature({ publicKey, signature, timestamp, payload: VECTOR_RESULT.crlf ? `${payload}\r\n` : payload })).toBe(true);
  });
});

/** Measured: the vector verifies over exactly the JSON.stringify output, not with "\r\n" appended. */
const VECTOR_RESULT = { bare: true, crlf: false };
