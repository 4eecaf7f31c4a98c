import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PrismaClient } from '@hub/db';
import { createTestPrisma } from '@hub/testkit';
import { countSentInDays, createFirstAttempts, HotPath, phonesSentBefore, recordAcceptedMany } from '../src/hot-path.ts';
import { loadDeliveries } from '../src/load.ts';
import { sentInDayWhere } from '../src/held.ts';
import type { NewAttempt } from '../src/transitions.ts';

let prisma: PrismaClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ prisma, close } = await createTestPrisma(inject('baseDatabaseUrl'), inject('templateDatabase'), 4));
});
afterAll(async () => {
  await close?.();
});

let seq = 0;
async function delivery(externalId = `hp-${++seq}`) {
  const user = await prisma.user.create({ data: { externalId } });
  const eventId = `hp-ev-${++seq}`;
  await prisma.notificationEvent.create({ data: { id: eventId, eventType: 'task.reminder', payload: {}, occurredAt: new Date() } });
  const d = await prisma.notificationDelivery.create({ data: { eventId, userId: user.id, channel: 'sms' } });
  return { userId: user.id, deliveryId: d.id };
}

function attempt(d: { userId: string; deliveryId: string }, over: Partial<NewAttempt> = {}): NewAttempt {
  return {
    deliveryId: d.deliveryId, userId: d.userId, phoneNumber: '+15005550006', content: 'hello', templateId: null, templateKey: null,
    templateVars: null, priority: 'normal', segments: 1, encoding: 'GSM-7', maxAttempts: 3, links: [], now: new Date('2026-06-01T12:00:00Z'), ...over,
  };
}

describe('countSentInDays is the same rule as the Prisma filter sentInDayWhere', () => {
  it('agrees on every kind of message, with and without an excluded message', async () => {
    const d = await delivery();
    const day = { start: new Date('2026-06-01T04:00:00Z'), end: new Date('2026-06-02T04:00:00Z') };
    const inDay = new Date('2026-06-01T10:00:00Z');
    const before = new Date('2026-06-01T03:59:59Z');
    const after = new Date('2026-06-02T04:00:00Z');
    const kinds = [
      { status: 'sent', sendStartedAt: inDay },
      { status: 'delivered', sendStartedAt: inDay },
      { status: 'sending', sendStartedAt: inDay },
      { status: 'queued', sendStartedAt: before },
      { status: 'failed', sendStartedAt: inDay },
      { status: 'undelivered', sendStartedAt: inDay },
      { status: 'sent', sendStartedAt: after },
      { status: 'scheduled', twilioSid: 'SMheld1', scheduledFor: inDay, sendStartedAt: before }, // held by Twilio for today
      { status: 'scheduled', twilioSid: 'SMheld2', scheduledFor: after, sendStartedAt: inDay }, // held for tomorrow
      { status: 'scheduled', twilioSid: 'SMretry', scheduledFor: inDay, nextRetryAt: inDay, sendStartedAt: inDay }, // a retry waiting
      { status: 'sent', scheduledFor: inDay, sendStartedAt: before },
      { status: 'sent', scheduledFor: after, sendStartedAt: inDay },
      { status: 'cancelled', scheduledFor: inDay, sendStartedAt: inDay },
    ] as const;
    const ids: string[] = [];
    for (const k of kinds) {
      const m = await prisma.smsMessage.create({ data: { userId: d.userId, phoneNumber: '+15005550006', messageContent: 'x', segments: 1, encoding: 'GSM-7', ...k } });
      ids.push(m.id);
    }
    const other = await delivery();
    await prisma.smsMessage.create({ data: { userId: other.userId, phoneNumber: '+15005550006', messageContent: 'x', segments: 1, encoding: 'GSM-7', status: 'sent', sendStartedAt: inDay } });

    const cases = [
      { userId: d.userId, day },
      { userId: d.userId, day, excludeId: ids[0] },
      { userId: d.userId, day, excludeId: ids[7] },
      { userId: other.userId, day },
      { userId: d.userId, day: { start: after, end: new Date('2026-06-03T04:00:00Z') } },
    ];
    const expected = await Promise.all(cases.map((c) => prisma.smsMessage.count({ where: sentInDayWhere(c.userId, c.day, c.excludeId) })));
    expect(await countSentInDays(prisma, cases)).toEqual(expected);
    expect(expected).toEqual([5, 4, 4, 1, 3]); // the fixtures do reach every branch
  });
});

describe('batched first attempts', () => {
  it('creates each message with its links, audit event and template usage; null for a delivery that already has one', async () => {
    const template = await prisma.smsTemplate.create({ data: { templateKey: `hp_t_${++seq}`, name: 'hot path', messageTemplate: 'x', requiredVars: [] } });
    const a = await delivery();
    const b = await delivery();
    const taken = await delivery();
    await prisma.smsMessage.create({ data: { userId: taken.userId, phoneNumber: '+15005550006', messageContent: 'first', segments: 1, encoding: 'GSM-7', status: 'sending', notificationDeliveryId: taken.deliveryId } });
    const now = new Date('2026-06-01T12:00:00Z');
    const result = await createFirstAttempts(prisma, [
      attempt(a, { templateId: template.id, templateKey: template.templateKey, templateVars: { n: 1 }, links: [{ code: `c${seq}a1xyzq`, url: 'https://example.com/a' }, { code: `c${seq}a2xyzq`, url: 'https://example.com/b' }], now }),
      attempt(taken),
      attempt(b, { templateId: template.id, templateKey: template.templateKey, scheduledFor: new Date('2026-06-02T12:00:00Z'), priority: 'urgent', content: 'ünïcödé', encoding: 'UCS-2' }),
    ]);
    expect(result[0]).toEqual({ id: expect.any(String), attempt: 1 });
    expect(result[1]).toBeNull();
    expect(result[2]).toEqual({ id: expect.any(String), attempt: 1 });

    const ma = await prisma.smsMessage.findUniqueOrThrow({ where: { id: result[0]!.id } });
    expect(ma).toMatchObject({ status: 'sending', attemptCount: 1, maxAttempts: 3, notificationDeliveryId: a.deliveryId, templateVars: { n: 1 }, sendStartedAt: now, scheduledFor: null });
    const mb = await prisma.smsMessage.findUniqueOrThrow({ where: { id: result[2]!.id } });
    expect(mb).toMatchObject({ priority: 'urgent', messageContent: 'ünïcödé', encoding: 'UCS-2', scheduledFor: new Date('2026-06-02T12:00:00Z'), templateVars: null });
    expect(await prisma.notificationDelivery.findUniqueOrThrow({ where: { id: a.deliveryId } })).toMatchObject({ attempts: 1, channelIdentifier: '+15005550006' });
    expect(await prisma.notificationDelivery.findUniqueOrThrow({ where: { id: taken.deliveryId } })).toMatchObject({ attempts: 0 });
    expect(await prisma.smsClickTracking.count({ where: { smsMessageId: ma.id } })).toBe(2);
    expect(await prisma.smsMessageEvent.count({ where: { smsMessageId: { in: [ma.id, mb.id] }, status: 'sending' } })).toBe(2);
    expect(await prisma.smsTemplate.findUniqueOrThrow({ where: { id: template.id } })).toMatchObject({ usageCount: 2 });
  });
});

describe('a first attempt for a delivery no longer waiting', () => {
  it('is not created when the delivery was cancelled (or skipped) since it was loaded', async () => {
    const cancelled = await delivery();
    const skipped = await delivery();
    const deferred = await delivery();
    await prisma.notificationDelivery.update({ where: { id: cancelled.deliveryId }, data: { status: 'cancelled' } });
    await prisma.notificationDelivery.update({ where: { id: skipped.deliveryId }, data: { status: 'skipped' } });
    await prisma.notificationDelivery.update({ where: { id: deferred.deliveryId }, data: { status: 'deferred' } });
    const result = await createFirstAttempts(prisma, [attempt(cancelled), attempt(skipped), attempt(deferred)]);
    expect(result.map((r) => r !== null)).toEqual([false, false, true]);
    expect(await prisma.smsMessage.count({ where: { notificationDeliveryId: { in: [cancelled.deliveryId, skipped.deliveryId] } } })).toBe(0);
    expect(await prisma.notificationDelivery.findUniqueOrThrow({ where: { id: cancelled.deliveryId } })).toMatchObject({ attempts: 0 });
  });
});

describe('batched acceptance', () => {
  it('records the sid and the sent state, never moves a message a callback already moved further', async () => {
    const a = await delivery();
    const b = await delivery();
    const [ma, mb] = await createFirstAttempts(prisma, [attempt(a), attempt(b)]);
    // b's delivered callback won the race.
    await prisma.smsMessage.update({ where: { id: mb!.id }, data: { status: 'delivered', twilioSid: 'SMb', twilioStatus: 'delivered' } });
    await prisma.notificationDelivery.update({ where: { id: b.deliveryId }, data: { status: 'delivered' } });
    const at = new Date('2026-06-01T12:00:01Z');
    await recordAcceptedMany(prisma, [
      { messageId: ma!.id, deliveryId: a.deliveryId, sid: 'SMa', providerStatus: 'queued', mapped: 'queued', now: at, attempt: 1 },
      { messageId: mb!.id, deliveryId: b.deliveryId, sid: 'SMb', providerStatus: 'queued', mapped: 'queued', now: at, attempt: 1 },
    ]);
    expect(await prisma.smsMessage.findUniqueOrThrow({ where: { id: ma!.id } })).toMatchObject({ status: 'queued', twilioSid: 'SMa', sentAt: at });
    expect(await prisma.notificationDelivery.findUniqueOrThrow({ where: { id: a.deliveryId } })).toMatchObject({ status: 'sent', externalId: 'SMa', sentAt: at });
    expect(await prisma.smsMessage.findUniqueOrThrow({ where: { id: mb!.id } })).toMatchObject({ status: 'delivered', twilioStatus: 'delivered' });
    expect(await prisma.notificationDelivery.findUniqueOrThrow({ where: { id: b.deliveryId } })).toMatchObject({ status: 'delivered' });
  });
});

describe('the other batched reads', () => {
  it('loads deliveries in the order asked, null for unknown ids', async () => {
    const a = await delivery();
    const b = await delivery();
    const unknown = '00000000-0000-0000-0000-0000000000aa';
    const loaded = await loadDeliveries(prisma, [b.deliveryId, unknown, a.deliveryId]);
    expect(loaded.map((l) => l?.id ?? null)).toEqual([b.deliveryId, null, a.deliveryId]);
  });

  it('tells the numbers the hub already sent a message to', async () => {
    const d = await delivery();
    await prisma.smsMessage.create({ data: { userId: d.userId, phoneNumber: '+15005550101', messageContent: 'x', segments: 1, encoding: 'GSM-7', status: 'delivered' } });
    await prisma.smsMessage.create({ data: { userId: d.userId, phoneNumber: '+15005550102', messageContent: 'x', segments: 1, encoding: 'GSM-7', status: 'failed' } });
    expect(await phonesSentBefore(prisma, ['+15005550102', '+15005550101', '+15005550103'])).toEqual([false, true, false]);
  });

  it('concurrent callers share statements and each gets its own answer', async () => {
    const hot = new HotPath(prisma, { concurrency: 1 });
    const ds = await Promise.all(Array.from({ length: 20 }, () => delivery()));
    const created = await Promise.all(ds.map((d) => hot.createFirstAttempt(attempt(d))));
    expect(created.every((c) => c !== null)).toBe(true);
    expect(new Set(created.map((c) => c!.id)).size).toBe(20);
    const loaded = await Promise.all(ds.map((d) => hot.loadDelivery(d.deliveryId)));
    loaded.forEach((l, i) => {
      expect(l!.id).toBe(ds[i]!.deliveryId);
      expect(l!.smsMessages.map((m) => m.id)).toEqual([created[i]!.id]);
    });
  });
});
