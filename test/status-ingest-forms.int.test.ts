import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import twilio from 'twilio';
import { Bus, ensureHubTopics } from '@hub/bus';
import { ManualClock, TOPICS, type TopicName } from '@hub/contracts';
import type { PrismaClient } from '@hub/db';
import { createLogger } from '@hub/logger';
import { createMetricsRegistry } from '@hub/runtime';
import { buildStatusIngest } from '@hub/status-ingest';
import { createTestPrisma, freePort, waitFor } from '@hub/testkit';
import type { Registry } from 'prom-client';

/**
 * Every form Twilio really sends gets a 2xx once the signature is valid: channel-prefixed
 * addresses (whatsapp:, messenger:, rcs:), long and empty bodies, oversize sids and statuses,
 * unknown fields, NUL and lone surrogates. What cannot be used is logged and counted, what is
 * published always validates (nothing reaches a DLQ), and a replayed callback leaves one
 * history row and one Kafka message. status-ingest alone, on a real database and broker.
 */
const AUTH_TOKEN = 'forms-test-auth-token';
const clock = new ManualClock(new Date('2026-12-10T15:00:00Z'));
const log = createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
let prisma: PrismaClient;
let closeDb: () => Promise<void>;
let bus: Bus;
let ingestBus: Bus;
let metrics: Registry;
let service: Awaited<ReturnType<typeof buildStatusIngest>>;
let baseUrl = '';

beforeAll(async () => {
  ({ prisma, close: closeDb } = await createTestPrisma(inject('baseDatabaseUrl'), inject('templateDatabase'), 6));
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const brokers = inject('kafkaBrokers');
  bus = new Bus({ clientId: `${prefix}-test`, brokers, topicPrefix: prefix, logger: log, sessionTimeoutMs: 6_000 });
  ingestBus = new Bus({ clientId: `${prefix}-status-ingest`, brokers, topicPrefix: prefix, logger: log, sessionTimeoutMs: 6_000 });
  await ensureHubTopics(bus, {
    partitions: Object.fromEntries(
      ['notify.events.v1', 'notify.deliveries.sms.v1', 'notify.sms.status.v1', 'notify.sms.inbound.v1', 'notify.schedule.v1'].map((t) => [t, 1]),
    ) as Record<TopicName, number>,
  });
  const port = await freePort();
  baseUrl = `http://127.0.0.1:${port}`;
  metrics = createMetricsRegistry('status-ingest');
  service = await buildStatusIngest({ bus: ingestBus, prisma, log, clock, metrics, authToken: AUTH_TOKEN, publicUrl: baseUrl, helpText: 'Forms help.' });
  await service.app.listen({ port, host: '127.0.0.1' });
  await service.ready;
});

afterAll(async () => {
  await service?.stop();
  await Promise.allSettled([bus?.close(), ingestBus?.close()]);
  await closeDb?.();
});

type Params = Record<string, string>;

/** Posts a form signed the way Twilio signs it (the SDK's own algorithm). */
async function post(path: string, params: Params, token = AUTH_TOKEN): Promise<{ status: number; text: string }> {
  const url = `${baseUrl}${path}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilio.getExpectedTwilioSignature(token, url, params) },
    body: new URLSearchParams(Object.entries(params)).toString(),
  });
  return { status: res.status, text: await res.text() };
}

async function topicEnd(topic: string): Promise<number> {
  const admin = bus.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(bus.topic(topic)).catch(() => []);
    return offsets.reduce((sum, p) => sum + Number(p.high), 0);
  } finally {
    await admin.disconnect();
  }
}

async function counter(name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = metrics.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, l]) => String(v.labels[k]) === l)).reduce((s, v) => s + v.value, 0);
}

let n = 0;
const phoneFor = (i: number) => `+1415777${String(i).padStart(4, '0')}`;
/** A user with a verified phone and one accepted message (status queued, sid known). */
async function accepted(): Promise<{ userId: string; phone: string; messageId: string; deliveryId: string; sid: string }> {
  n++;
  const phone = phoneFor(n);
  const user = await prisma.user.create({ data: { externalId: `forms-${n}` } });
  await prisma.userSmsPreferences.create({ data: { userId: user.id, phoneNumber: phone, phoneVerified: true, phoneVerifiedAt: new Date() } });
  await prisma.notificationEvent.create({ data: { id: `forms-ev-${n}`, eventType: 'task.reminder', payload: {}, occurredAt: new Date() } });
  const delivery = await prisma.notificationDelivery.create({ data: { eventId: `forms-ev-${n}`, userId: user.id, channel: 'sms', status: 'sent' } });
  const sid = `SM${randomBytes(16).toString('hex')}`;
  const message = await prisma.smsMessage.create({
    data: { userId: user.id, phoneNumber: phone, messageContent: 'hi', status: 'queued', twilioSid: sid, attemptCount: 1, notificationDeliveryId: delivery.id },
  });
  return { userId: user.id, phone, messageId: message.id, deliveryId: delivery.id, sid };
}

const callbacks = (messageId: string) => prisma.smsMessageEvent.findMany({ where: { smsMessageId: messageId, source: 'callback' }, orderBy: { id: 'asc' } });
const inboundSid = () => `SM${randomBytes(16).toString('hex')}`;
const inboundDone = (outcome: string, channel: string, atLeast: number) =>
  waitFor(async () => (await counter('hub_inbound_messages_total', { outcome, channel })) >= atLeast, { what: `${atLeast} inbound ${channel} ${outcome}` });

describe('status callbacks in every form Twilio sends', () => {
  it('oversize sid and status, unknown fields, NUL, an ErrorCode beyond int4: 204, recorded (cut to the columns), never 503', async () => {
    const m = await accepted();
    const path = `/webhooks/twilio/status?mid=${m.messageId}`;
    const extra: Params = Object.fromEntries([
      ['__proto__', 'x'], ['constructor', 'y'], ['ChannelToAddress', '+1415'], ['RawDlrDoneDate', '2612101500'], ['ApiVersion', '2010-04-01'], ['SomeFieldTwilioAddsTomorrow', 'z'.repeat(2_000)],
    ]);
    const longStatus = 'partially_delivered_to_a_very_long_status_name';
    const r1 = await post(path, { ...extra, MessageSid: m.sid, MessageStatus: longStatus, AccountSid: 'AC1' });
    const r2 = await post(path, { MessageSid: `${m.sid}${'9'.repeat(80)}`, MessageStatus: 'sent' });
    const r3 = await post(path, { MessageSid: m.sid, MessageStatus: 'undelivered', ErrorCode: '99999999999', ErrorMessage: `carrier\u0000said ${'no '.repeat(600)}` });
    expect([r1.status, r2.status, r3.status]).toEqual([204, 204, 204]);
    const rows = await waitFor(async () => { const list = await callbacks(m.messageId); return list.length >= 3 ? list : null; }, { what: 'three callbacks recorded' });
    expect(rows.map((r) => [r.twilioStatus, r.applied])).toEqual([
      [longStatus.slice(0, 30), false], // unknown status word: recorded, not applied
      ['sent', false], // a sid that is not the message's (cut to 64): a stale attempt
      ['undelivered', true],
    ]);
    expect(rows[1]!.twilioSid).toBe(`${m.sid}${'9'.repeat(80)}`.slice(0, 64));
    const sms = await prisma.smsMessage.findUniqueOrThrow({ where: { id: m.messageId } });
    // No usable code: an unknown, retryable failure (a retry is scheduled); the code is kept in the text.
    expect(sms).toMatchObject({ status: 'scheduled', twilioStatus: 'undelivered', twilioErrorCode: null });
    expect(sms.twilioErrorMessage!.startsWith('carriersaid no no')).toBe(true);
    expect(sms.twilioErrorMessage!.includes('\u0000')).toBe(false);
    expect(sms.twilioErrorMessage!.length).toBeLessThanOrEqual(1_000);
    expect(await counter('hub_webhook_normalised_total', { field: 'MessageStatus', fix: 'truncated' })).toBeGreaterThanOrEqual(1);
    expect(await counter('hub_webhook_normalised_total', { field: 'ErrorMessage', fix: 'nul_stripped' })).toBeGreaterThanOrEqual(1);
    expect(await counter('hub_webhook_normalised_total', { field: 'ErrorCode', fix: 'unparseable' })).toBeGreaterThanOrEqual(1);
    expect(await counter('hub_sms_status_applied_total', { outcome: 'unrecognised_status' })).toBeGreaterThanOrEqual(1);
  });

  it('a signed callback that cannot be used (no status, a mangled mid) is acknowledged, counted and not published', async () => {
    const m = await accepted();
    const before = await topicEnd(TOPICS.smsStatus);
    expect((await post(`/webhooks/twilio/status?mid=${m.messageId}`, { MessageSid: m.sid })).status).toBe(204);
    expect((await post('/webhooks/twilio/status?mid=not-a-uuid', { MessageSid: m.sid, MessageStatus: 'delivered' })).status).toBe(204);
    expect((await post('/webhooks/twilio/status', { MessageSid: m.sid, MessageStatus: 'delivered' })).status).toBe(204);
    expect(await topicEnd(TOPICS.smsStatus)).toBe(before);
    expect(await counter('hub_webhook_unusable_total', { route: 'status', reason: 'missing_fields' })).toBeGreaterThanOrEqual(1);
    expect(await counter('hub_webhook_unusable_total', { route: 'status', reason: 'invalid_message_id' })).toBeGreaterThanOrEqual(2);
  });

  it('a bad signature stays 403, whatever the form', async () => {
    const m = await accepted();
    const before = await topicEnd(TOPICS.smsStatus);
    const forged = await post(`/webhooks/twilio/status?mid=${m.messageId}`, { MessageSid: `${m.sid}${'x'.repeat(100)}`, MessageStatus: 'delivered\u0000' }, 'another-token');
    expect(forged.status).toBe(403);
    const inbound = await post('/webhooks/twilio/inbound', { MessageSid: inboundSid(), From: 'whatsapp:+14155550123', To: 'whatsapp:+15005550006', Body: 'STOP' }, 'another-token');
    expect(inbound.status).toBe(403);
    expect(await topicEnd(TOPICS.smsStatus)).toBe(before);
  });
});

describe('replayed status callbacks', () => {
  it('one history row per (message, status), and a replay of an applied status is not published again', async () => {
    const m = await accepted();
    const path = `/webhooks/twilio/status?mid=${m.messageId}`;
    const before = await topicEnd(TOPICS.smsStatus);
    expect((await post(path, { MessageSid: m.sid, MessageStatus: 'sent' })).status).toBe(204);
    await waitFor(async () => (await callbacks(m.messageId)).length === 1, { what: 'sent recorded' });
    for (let i = 0; i < 3; i++) expect((await post(path, { MessageSid: m.sid, MessageStatus: 'sent' })).status).toBe(204);
    expect(await topicEnd(TOPICS.smsStatus)).toBe(before + 1);
    expect(await counter('hub_webhook_replays_total', { route: 'status' })).toBeGreaterThanOrEqual(3);

    // A burst of the same callback, all in flight before any is applied: the database dedupes.
    const burst = await Promise.all(Array.from({ length: 6 }, () => post(path, { MessageSid: m.sid, MessageStatus: 'delivered' })));
    expect(burst.every((r) => r.status === 204)).toBe(true);
    await waitFor(async () => (await prisma.smsMessage.findUniqueOrThrow({ where: { id: m.messageId } })).status === 'delivered', { what: 'delivered applied' });
    // Let every published copy be consumed, then compare.
    const published = await topicEnd(TOPICS.smsStatus);
    await waitFor(() => consumedUpTo(published), { what: 'status topic consumed' });
    const rows = await callbacks(m.messageId);
    expect(rows.map((r) => `${r.twilioStatus}:${r.applied}`)).toEqual(['sent:true', 'delivered:true']);
    expect((await prisma.notificationDelivery.findUniqueOrThrow({ where: { id: m.deliveryId } })).status).toBe('delivered');
  });
});

/** Whether the status consumer group has committed up to the topic's current end. */
async function consumedUpTo(end: number): Promise<boolean> {
  const admin = bus.admin();
  await admin.connect();
  try {
    const groups = await admin.fetchOffsets({ groupId: bus.topic('status-ingest.status'), topics: [bus.topic(TOPICS.smsStatus)] });
    const committed = groups.flatMap((g) => g.partitions).reduce((s, p) => s + Math.max(0, Number(p.offset)), 0);
    return committed >= end;
  } finally {
    await admin.disconnect();
  }
}

describe('inbound messages in every form Twilio sends', () => {
  it('whatsapp: STOP keeps the raw address, derives the phone, and does not opt the phone out of SMS (Twilio applies it to WhatsApp only)', async () => {
    const m = await accepted();
    const sid = inboundSid();
    const res = await post('/webhooks/twilio/inbound', { MessageSid: sid, From: `whatsapp:${m.phone}`, To: 'whatsapp:+15005550006', Body: 'STOP', NumMedia: '0', ProfileName: 'Ann', WaId: m.phone.slice(1) });
    expect(res.status).toBe(200);
    await inboundDone('other_channel', 'whatsapp', 1);
    expect((await prisma.userSmsPreferences.findUniqueOrThrow({ where: { userId: m.userId } })).optedOut).toBe(false);
    expect(await prisma.smsOptOutEvent.count({ where: { messageSid: sid } })).toBe(0);
    expect(await counter('hub_inbound_unmapped_total', { channel: 'whatsapp', reason: 'other_channel' })).toBeGreaterThanOrEqual(1);
  });

  it('rcs: STOP opts the phone behind it out (Twilio unifies RCS and SMS opt-outs); messenger: STOP maps to no phone', async () => {
    const m = await accepted();
    const rcsSid = inboundSid();
    expect((await post('/webhooks/twilio/inbound', { MessageSid: rcsSid, From: `rcs:${m.phone}`, To: 'rcs:hub_agent', Body: 'stop' })).status).toBe(200);
    await waitFor(async () => (await prisma.userSmsPreferences.findUniqueOrThrow({ where: { userId: m.userId } })).optedOut, { what: 'opted out over RCS' });
    expect(await prisma.smsOptOutEvent.findFirstOrThrow({ where: { messageSid: rcsSid } })).toMatchObject({ userId: m.userId, phoneNumber: m.phone, action: 'opt_out' });

    const messengerSid = inboundSid();
    expect((await post('/webhooks/twilio/inbound', { MessageSid: messengerSid, From: 'messenger:2718281828459045', To: 'messenger:1234567890', Body: 'STOP' })).status).toBe(200);
    await inboundDone('other_channel', 'messenger', 1);
    expect(await prisma.smsOptOutEvent.count({ where: { messageSid: messengerSid } })).toBe(0);
  });

  it('long, empty (media-only), NUL and lone-surrogate bodies, an oversize From and unknown fields: 200, published valid, applied', async () => {
    const m = await accepted();
    const before = await counter('hub_inbound_messages_total');
    const forms: Params[] = [
      { Body: 'A long concatenated reply. '.repeat(80) }, // 2,160 characters
      { Body: '😀'.repeat(9_000) }, // past the topic's 8,192: cut, pair kept whole
      { Body: '', NumMedia: '1', MediaUrl0: 'https://api.twilio.com/2010-04-01/Accounts/AC1/Messages/MM1/Media/ME1', MediaContentType0: 'image/jpeg' },
      { Body: 'hello\u0000world' },
      { Body: 'broken \uD800 pair' }, // sent by URLSearchParams as U+FFFD, as any UTF-8 client does
      { Body: 'hi', From: `whatsapp:${m.phone}${'0'.repeat(300)}` },
      { Body: 'hi', SomeNewTwilioField: 'v', AddOns: '{"status":"successful"}', __ignored: '' },
    ];
    for (const form of forms) {
      const res = await post('/webhooks/twilio/inbound', { MessageSid: inboundSid(), From: m.phone, To: '+15005550006', ...form });
      expect(res.status).toBe(200);
      expect(res.text).toBe('<?xml version="1.0" encoding="UTF-8"?><Response></Response>');
    }
    await waitFor(async () => (await counter('hub_inbound_messages_total')) >= before + forms.length, { what: 'every inbound form applied' });
    expect(await counter('hub_webhook_normalised_total', { route: 'inbound', field: 'Body', fix: 'truncated' })).toBeGreaterThanOrEqual(1);
    expect(await counter('hub_webhook_normalised_total', { route: 'inbound', field: 'Body', fix: 'nul_stripped' })).toBeGreaterThanOrEqual(1);
    expect(await counter('hub_webhook_normalised_total', { route: 'inbound', field: 'From', fix: 'truncated' })).toBeGreaterThanOrEqual(1);
    expect((await prisma.userSmsPreferences.findUniqueOrThrow({ where: { userId: m.userId } })).optedOut).toBe(false);
  });

  it('a plain SMS STOP still opts out; a signed inbound without From is acknowledged and counted; HELP from WhatsApp gets the help text', async () => {
    const m = await accepted();
    const sid = inboundSid();
    expect((await post('/webhooks/twilio/inbound', { MessageSid: sid, From: m.phone, To: '+15005550006', Body: 'STOP' })).status).toBe(200);
    await waitFor(async () => (await prisma.userSmsPreferences.findUniqueOrThrow({ where: { userId: m.userId } })).optedOut, { what: 'opted out by SMS' });
    const missing = await post('/webhooks/twilio/inbound', { MessageSid: inboundSid(), To: '+15005550006', Body: 'STOP' });
    expect(missing.status).toBe(200);
    expect(await counter('hub_webhook_unusable_total', { route: 'inbound', reason: 'missing_fields' })).toBeGreaterThanOrEqual(1);
    const help = await post('/webhooks/twilio/inbound', { MessageSid: inboundSid(), From: 'whatsapp:+14155550199', To: 'whatsapp:+15005550006', Body: 'HELP' });
    expect(help.text).toContain('<Message>Forms help.</Message>');
  });
});

describe('nothing dead-lettered', () => {
  it('every message published on the two topics validated', async () => {
    expect(await topicEnd(`${TOPICS.smsStatus}.dlq`)).toBe(0);
    expect(await topicEnd(`${TOPICS.smsInbound}.dlq`)).toBe(0);
  });
});
