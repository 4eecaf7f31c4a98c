import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PrismaClient } from '@hub/db';
import { createTestPrisma } from '@hub/testkit';
import { loadDelivery } from '../src/load.ts';

let prisma: PrismaClient;
let close: () => Promise<void>;

beforeAll(async () => {
  ({ prisma, close } = await createTestPrisma(inject('baseDatabaseUrl'), inject('templateDatabase'), 2));
});
afterAll(async () => {
  await close?.();
});

const include = { event: true, user: { include: { smsPreferences: true } }, smsMessages: true } as const;

describe('loadDelivery (one query)', () => {
  it('returns exactly what Prisma returns with the equivalent include', async () => {
    const user = await prisma.user.create({ data: { externalId: 'load-1', timezone: 'America/New_York', locale: 'en-US' } });
    await prisma.userSmsPreferences.create({
      data: { userId: user.id, phoneNumber: '+14155550100', phoneVerified: true, phoneVerifiedAt: new Date('2026-11-01T10:00:00.123Z'), quietHoursStart: '22:00', quietHoursEnd: '07:00', dailySmsLimit: 4 },
    });
    await prisma.notificationEvent.create({
      data: { id: 'load-ev-1', eventType: 'task.reminder', targetUserId: 'load-1', payload: { task_name: 'x', nested: { a: [1, 2] } }, priority: 'high', scheduledFor: new Date('2026-12-01T08:00:00Z'), occurredAt: new Date() },
    });
    const delivery = await prisma.notificationDelivery.create({ data: { eventId: 'load-ev-1', userId: user.id, channel: 'sms', status: 'sent', channelIdentifier: '+14155550100', sentAt: new Date() } });
    await prisma.smsMessage.create({
      data: { userId: user.id, phoneNumber: '+14155550100', messageContent: 'hi €', templateKey: 'task_reminder', templateVars: { a: 1 }, status: 'sent', segments: 1, encoding: 'GSM-7', twilioSid: `SM${'a'.repeat(32)}`, attemptCount: 1, notificationDeliveryId: delivery.id, sendStartedAt: new Date(), nextRetryAt: null },
    });
    // The user's SMS preferences per event type (notification_preferences): the exact type and
    // '*' are loaded, another type is not.
    await prisma.notificationPreference.createMany({
      data: [
        { userId: user.id, channel: 'sms', eventType: 'task.reminder', enabled: false },
        { userId: user.id, channel: 'sms', eventType: 'brief.ready', enabled: false },
        { userId: user.id, channel: 'email', eventType: '*', enabled: false },
      ],
    });
    const expected = await prisma.notificationDelivery.findUnique({ where: { id: delivery.id }, include });
    const loaded = await loadDelivery(prisma, delivery.id);
    expect(loaded).toEqual({ ...expected, channelPreferences: [{ event_type: 'task.reminder', enabled: false }] });
    expect(loaded!.event.scheduledFor).toBeInstanceOf(Date);
  });

  it('a user without SMS preferences and a delivery without a message', async () => {
    const user = await prisma.user.create({ data: { externalId: 'load-2' } });
    await prisma.notificationEvent.create({ data: { id: 'load-ev-2', eventType: 'daily.brief', payload: {}, occurredAt: new Date() } });
    const delivery = await prisma.notificationDelivery.create({ data: { eventId: 'load-ev-2', userId: user.id, channel: 'sms' } });
    const expected = await prisma.notificationDelivery.findUnique({ where: { id: delivery.id }, include });
    expect(await loadDelivery(prisma, delivery.id)).toEqual({ ...expected, channelPreferences: [] });
  });

  it('null for an unknown delivery', async () => {
    expect(await loadDelivery(prisma, '00000000-0000-0000-0000-000000000001')).toBeNull();
  });
});
