import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import type { DeliveryStatus } from '@hub/db';
import { startHub, type TestHub } from './support/hub.ts';
import { postReminder } from './support/events.ts';
import { seedUser, uniquePhone } from './support/seed.ts';
import { caller, type Caller, type Json } from '../services/gateway/test/helpers.ts';

/** The deliveries API: search, detail, resend and cancel, against the real pipeline. */
let hub: TestHub;
let admin: Caller;
let reader: Caller;
let producerKey: string;

beforeAll(async () => {
  hub = await startHub();
  admin = caller(hub.gateway, await hub.apiKey(['admin:write']));
  reader = caller(hub.gateway, await hub.apiKey(['admin:read']));
  producerKey = await hub.apiKey(['events:write']);
});
afterAll(async () => {
  await hub?.stop();
});

interface SeedDelivery { user: string; type: string; status: DeliveryStatus; channel?: string; at: Date; phone?: string }

/** Delivery rows written directly (one event each), with chosen creation times. */
async function seedDeliveries(rows: SeedDelivery[]): Promise<string[]> {
  const ids: string[] = [];
  for (const r of rows) {
    const user = await hub.prisma.user.findUniqueOrThrow({ where: { externalId: r.user } });
    const eventId = `seed-${randomUUID()}`;
    await hub.prisma.notificationEvent.create({ data: { id: eventId, eventType: r.type, targetUserId: r.user, payload: {}, createdAt: r.at, routedAt: r.at } });
    const d = await hub.prisma.notificationDelivery.create({
      data: { eventId, userId: user.id, channel: r.channel ?? 'sms', channelIdentifier: r.phone ?? null, status: r.status, createdAt: r.at, updatedAt: r.at },
    });
    ids.push(d.id);
  }
  return ids;
}

const ids = (res: { body: Json }) => (res.body.items as { id: string }[]).map((d) => d.id);

describe('GET /v1/deliveries', () => {
  const base = Date.UTC(2026, 1, 3, 9);
  const at = (s: number) => new Date(base + s * 1_000);
  let a: string[];
  let b: string[];

  beforeAll(async () => {
    await seedUser(hub.prisma, { externalId: 'dl-a', phone: '+14155550101' });
    await seedUser(hub.prisma, { externalId: 'dl-b', phone: '+14155550102' });
    a = await seedDeliveries([
      { user: 'dl-a', type: 'task.reminder', status: 'delivered', at: at(0), phone: '+14155550101' },
      { user: 'dl-a', type: 'task.reminder', status: 'failed', at: at(10), phone: '+14155550101' },
      { user: 'dl-a', type: 'brief.ready', status: 'delivered', at: at(20), phone: '+14155550101' },
      { user: 'dl-a', type: 'brief.ready', status: 'skipped', channel: 'email', at: at(30) },
    ]);
    b = await seedDeliveries([
      { user: 'dl-b', type: 'task.reminder', status: 'delivered', at: at(5), phone: '+14155550102' },
      { user: 'dl-b', type: 'urgent.task', status: 'failed', at: at(15), phone: '+14155550102' },
    ]);
  });

  const window = `from=${at(0).toISOString()}&to=${at(31).toISOString()}`;

  it.each([
    ['userId=dl-a', () => [a[3], a[2], a[1], a[0]]],
    ['phone=(415)%20555-0102', () => [b[1], b[0]]],
    ['phone=%2B14155550101', () => [a[2], a[1], a[0]]],
    ['eventType=brief.ready', () => [a[3], a[2]]],
    ['status=failed', () => [b[1], a[1]]],
    ['channel=email', () => [a[3]]],
    ['userId=dl-a&status=delivered&eventType=task.reminder', () => [a[0]]],
  ])('filters by %s (newest first)', async (filter, expected) => {
    const res = await reader('GET', `/v1/deliveries?${filter}&${window}`);
    expect(res.status).toBe(200);
    expect(ids(res)).toEqual(expected());
  });

  it('filters by a time range: from inclusive, to exclusive', async () => {
    const res = await reader('GET', `/v1/deliveries?from=${at(5).toISOString()}&to=${at(20).toISOString()}`);
    expect(ids(res)).toEqual([b[1], a[1], b[0]]);
  });

  it('returns each delivery with its event type, recipient and SMS summary', async () => {
    const res = await reader('GET', `/v1/deliveries?userId=dl-b&status=failed&${window}`);
    expect(res.body.items).toEqual([expect.objectContaining({ id: b[1], eventType: 'urgent.task', userId: 'dl-b', channel: 'sms', channelIdentifier: '+14155550102', status: 'failed', sms: null })]);
  });

  it('pages through every delivery once, in a stable order, even with equal timestamps', async () => {
    await seedUser(hub.prisma, { externalId: 'dl-pager' });
    const t = Date.UTC(2026, 1, 4, 9);
    // 17 rows, the first 7 sharing one timestamp: the id breaks the tie.
    await seedDeliveries(Array.from({ length: 17 }, (_, i) => ({ user: 'dl-pager', type: 'task.reminder', status: 'delivered' as const, at: new Date(t + (i < 7 ? 0 : i) * 1_000) })));
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await reader('GET', `/v1/deliveries?userId=dl-pager&limit=4${cursor ? `&cursor=${cursor}` : ''}`);
      expect(res.status).toBe(200);
      seen.push(...ids(res));
      cursor = res.body.nextCursor as string | null;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    const expected = await hub.prisma.notificationDelivery.findMany({ where: { user: { externalId: 'dl-pager' } }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], select: { id: true } });
    expect(seen).toEqual(expected.map((d) => d.id));
    expect(new Set(seen).size).toBe(17);
  });

  it.each([
    ['/v1/deliveries?status=lost', 'validation_failed'],
    ['/v1/deliveries?from=yesterday', 'validation_failed'],
    ['/v1/deliveries?to=2026-13-01T00:00:00Z', 'validation_failed'],
    ['/v1/deliveries?limit=0', 'validation_failed'],
    ['/v1/deliveries?cursor=bm9wZQ', 'invalid_cursor'],
    ['/v1/deliveries?phone=12', 'invalid_phone'],
  ])('refuses %s with 400 %s', async (url, code) => {
    const res = await reader('GET', url);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe(code);
  });
});

describe('GET /v1/deliveries/:id', () => {
  it('shows the event, the message, every status change and the retry schedule of a retrying delivery', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'dl-retry', phone });
    hub.sandbox.setScenario(phone, { outcome: 'undelivered', errorCode: 30003 });
    await postReminder(hub, producerKey, 'dl-retry-1', 'dl-retry');
    // 30003 (unreachable) is transient: status-ingest schedules a retry about 15 minutes out.
    const d = await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'dl-retry-1', status: 'deferred' } })) ?? null, { what: 'delivery waiting for its retry' });

    const res = await reader('GET', `/v1/deliveries/${d.id}`);
    expect(res.status).toBe(200);
    const body = res.body as Json & { message: Json & { history: Json[] }; schedule: Json[] };
    expect(body).toMatchObject({
      id: d.id, status: 'deferred', attempts: 1, userId: 'dl-retry', channelIdentifier: phone, lastErrorCode: '30003',
      event: { id: 'dl-retry-1', type: 'task.reminder', priority: 'normal', payload: { task_name: 'dl-retry-1', due_time: 'soon' } },
    });
    expect(body.message).toMatchObject({
      text: 'Reminder: dl-retry-1 is due soon.', templateKey: 'task_reminder', segments: 1, encoding: 'GSM-7',
      status: 'scheduled', attemptCount: 1, maxAttempts: 3, errorCode: 30003,
    });
    const statuses = body.message.history.filter((h) => h.applied).map((h) => h.status);
    expect(statuses).toEqual(['sending', 'queued', 'sent', 'undelivered']);
    expect(body.message.history.find((h) => h.status === 'undelivered')).toMatchObject({ errorCode: 30003, attempt: 1 });
    for (const h of body.message.history) expect(Number.isNaN(Date.parse(h.at as string))).toBe(false);
    const retryAt = Date.parse(body.message.nextRetryAt as string);
    expect(retryAt).toBeGreaterThan(Date.parse(body.createdAt as string) + 60_000);
    expect(body.schedule).toEqual([{ kind: 'sms_retry', dueAt: new Date(retryAt).toISOString(), status: 'pending' }]);

    // And it can be cancelled while it waits: nothing more is sent.
    const cancel = await admin('POST', `/v1/deliveries/${d.id}/cancel`);
    expect(cancel).toMatchObject({ status: 200, body: { id: d.id, status: 'cancelled' } });
    const after = (await reader('GET', `/v1/deliveries/${d.id}`)).body as Json & { message: Json; schedule: Json[] };
    expect(after).toMatchObject({ status: 'cancelled', skipReason: 'cancelled_by_admin', message: { status: 'cancelled' } });
    expect(after.schedule).toEqual([expect.objectContaining({ kind: 'sms_retry', status: 'cancelled' })]);
    expect((await admin('POST', `/v1/deliveries/${d.id}/cancel`)).body.error?.code).toBe('already_final');
  });

  it('answers 404 for an unknown id and 400 for one that is not a uuid', async () => {
    expect((await reader('GET', `/v1/deliveries/${randomUUID()}`)).body.error?.code).toBe('delivery_not_found');
    const bad = await reader('GET', '/v1/deliveries/not-a-uuid');
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ code: 'validation_failed', fields: [expect.objectContaining({ field: 'params.id' })] });
  });
});

describe('POST /v1/deliveries/:id/resend', () => {
  it('resends a failed delivery once through the pipeline, even when asked twice at the same time', async () => {
    // +15005550001 is an invalid number: the provider refuses it (21211, permanent).
    const userId = await seedUser(hub.prisma, { externalId: 'dl-resend', phone: '+15005550001' });
    await postReminder(hub, producerKey, 'dl-resend-1', 'dl-resend');
    const d = await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'dl-resend-1', status: 'failed' } })) ?? null, { what: 'delivery failed' });
    const failed = (await reader('GET', `/v1/deliveries/${d.id}`)).body as Json & { message: Json & { history: Json[] } };
    expect(failed).toMatchObject({ status: 'failed', lastErrorCode: '21211', message: { status: 'failed', errorCode: 21211 } });
    expect(failed.message.history.map((h) => h.status)).toEqual(['sending', 'failed']);

    // The recipient fixes the number; an admin resends (twice, concurrently).
    const phone = uniquePhone();
    await hub.prisma.userSmsPreferences.update({ where: { userId }, data: { phoneNumber: phone, phoneVerified: true } });
    const [r1, r2] = await Promise.all([admin('POST', `/v1/deliveries/${d.id}/resend`), admin('POST', `/v1/deliveries/${d.id}/resend`)]);
    expect([r1.status, r2.status].sort()).toEqual([202, 409]);
    expect([r1, r2].find((r) => r.status === 202)!.body).toEqual({ id: d.id, status: 'deferred' });
    expect([r1, r2].find((r) => r.status === 409)!.body.error?.code).toBe('not_resendable');
    expect(await hub.prisma.scheduledJob.count({ where: { refId: d.id, kind: 'resend' } })).toBe(1);

    await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { id: d.id, status: 'delivered' } })) ?? null, { what: 'resent delivery delivered' });
    await hub.sandbox.drain();
    const sms = await hub.prisma.smsMessage.findFirstOrThrow({ where: { notificationDeliveryId: d.id } });
    expect(hub.sandbox.sends({ messageId: sms.id })).toEqual([expect.objectContaining({ to: phone, body: 'Reminder: dl-resend-1 is due soon.' })]);
    expect(sms).toMatchObject({ status: 'delivered', attemptCount: 2 });

    // Delivered now: nothing to resend.
    const again = await admin('POST', `/v1/deliveries/${d.id}/resend`);
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe('not_resendable');
  });

  it('answers 404 for an unknown delivery, 400 for a non-uuid id, 403 without admin:write', async () => {
    expect((await admin('POST', `/v1/deliveries/${randomUUID()}/resend`)).status).toBe(404);
    const bad = await admin('POST', '/v1/deliveries/42/resend');
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('validation_failed');
    expect((await reader('POST', `/v1/deliveries/${randomUUID()}/resend`)).status).toBe(403);
  });
});

describe('POST /v1/deliveries/:id/cancel', () => {
  /** A delivery whose message is in the given state, as the sms-adapter leaves it. */
  async function deliveryWithSms(tag: string, delivery: DeliveryStatus, sms: 'sending' | 'sent' | 'pending') {
    const userId = await seedUser(hub.prisma, { externalId: tag });
    const eventId = `${tag}-event`;
    await hub.prisma.notificationEvent.create({ data: { id: eventId, eventType: 'task.reminder', targetUserId: tag, payload: {}, routedAt: new Date() } });
    const d = await hub.prisma.notificationDelivery.create({ data: { eventId, userId, channel: 'sms', status: delivery, attempts: 1 } });
    await hub.prisma.smsMessage.create({ data: { userId, phoneNumber: uniquePhone(), messageContent: 'x', status: sms, notificationDeliveryId: d.id, attemptCount: 1 } });
    return d.id;
  }

  it('refuses while the SMS is being sent (outcome unknown) and once it was handed over, changing nothing', async () => {
    const sending = await deliveryWithSms('dl-sending', 'pending', 'sending');
    const res = await admin('POST', `/v1/deliveries/${sending}/cancel`);
    expect(res.status).toBe(409);
    expect(res.body.error?.code).toBe('send_in_progress');
    expect(await hub.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: sending } })).toMatchObject({ status: 'pending' });
    expect(await hub.prisma.smsMessage.findFirstOrThrow({ where: { notificationDeliveryId: sending } })).toMatchObject({ status: 'sending' });

    const sent = await deliveryWithSms('dl-sent', 'sent', 'sent');
    expect((await admin('POST', `/v1/deliveries/${sent}/cancel`)).body.error?.code).toBe('already_sent');
    expect(await hub.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: sent } })).toMatchObject({ status: 'sent' });
  });

  it('cancels exactly once when two cancels race', async () => {
    const id = await deliveryWithSms('dl-race', 'deferred', 'pending');
    const results = await Promise.all([admin('POST', `/v1/deliveries/${id}/cancel`), admin('POST', `/v1/deliveries/${id}/cancel`)]);
    expect(results.map((r) => r.status).sort()).toEqual([200, 409]);
    expect(await hub.prisma.notificationDelivery.findUniqueOrThrow({ where: { id } })).toMatchObject({ status: 'cancelled' });
  });

  it('answers 404 for an unknown delivery and 400 for a non-uuid id', async () => {
    expect((await admin('POST', `/v1/deliveries/${randomUUID()}/cancel`)).body.error?.code).toBe('delivery_not_found');
    expect((await admin('POST', '/v1/deliveries/xyz/cancel')).status).toBe(400);
  });
});
