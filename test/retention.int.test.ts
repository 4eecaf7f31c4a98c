import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PrismaClient } from '@hub/db';
import { createTestPrisma } from '@hub/testkit';
import { DEFAULT_RETENTION, sweepRetention } from '../services/scheduler/src/retention.ts';
import { runCli } from '../scripts/hub-cli.ts';

/**
 * Retention on a real database: only rows older than their table's window and that nothing
 * can change any more are deleted (with what cascades from them); everything in flight,
 * recent, still due, or consent evidence stays. Batches of 2 rows make every step loop.
 */
let prisma: PrismaClient;
let close: () => Promise<void>;
const DAY = 86_400_000;
const now = new Date();
const ago = (days: number) => new Date(now.getTime() - days * DAY);

beforeAll(async () => {
  ({ prisma, close } = await createTestPrisma(inject('baseDatabaseUrl'), inject('templateDatabase'), 4));
});
afterAll(async () => {
  await close?.();
});

let seq = 0;
/** Backdates a row's timestamps in SQL (no trigger touches them). */
async function backdate(table: string, id: string | bigint, columns: Record<string, Date>) {
  for (const [column, at] of Object.entries(columns)) {
    await prisma.$executeRawUnsafe(`UPDATE ${table} SET ${column} = $1 WHERE id = $2${typeof id === 'string' && /^[0-9a-f-]{36}$/.test(id) ? '::uuid' : ''}`, at, typeof id === 'bigint' ? id.toString() : id);
  }
}

async function event(days: number, extra: { scheduledFor?: Date } = {}) {
  const id = `ret-ev-${++seq}`;
  await prisma.notificationEvent.create({ data: { id, eventType: 'task.reminder', payload: {}, occurredAt: ago(days), ...extra } });
  await backdate('notification_events', id, { created_at: ago(days) });
  return id;
}

async function delivery(eventId: string, userId: string, channel: string, status: 'pending' | 'deferred' | 'sent' | 'delivered' | 'failed', days: number) {
  const d = await prisma.notificationDelivery.create({ data: { eventId, userId, channel, status } });
  await backdate('notification_deliveries', d.id, { created_at: ago(days), updated_at: ago(days) });
  return d.id;
}

async function sms(userId: string, deliveryId: string | null, status: 'sending' | 'delivered' | 'failed', days: number) {
  const m = await prisma.smsMessage.create({
    data: { userId, phoneNumber: '+15005550006', messageContent: 'x', status, notificationDeliveryId: deliveryId,
      events: { create: [{ status: 'sending', source: 'adapter' }, { status, source: 'callback' }] } },
  });
  await backdate('sms_messages', m.id, { created_at: ago(days), updated_at: ago(days) });
  return m.id;
}

async function email(userId: string, deliveryId: string, days: number) {
  const m = await prisma.emailMessage.create({
    data: { userId, emailAddress: 'a@example.test', fromAddress: 'hub@example.test', subject: 's', htmlBody: '<p>x</p>', textBody: 'x', status: 'delivered', notificationDeliveryId: deliveryId,
      events: { create: [{ status: 'delivered', event: 'delivered', source: 'webhook' }] } },
  });
  await backdate('email_messages', m.id, { created_at: ago(days), updated_at: ago(days) });
  return m.id;
}

async function inappItem(userId: string, eventId: string, deliveryId: string) {
  const item = await prisma.inappItem.create({ data: { userId, seq: BigInt(++seq), notificationDeliveryId: deliveryId, eventId, eventType: 'task.reminder', title: 't', body: 'b' } });
  return item.id;
}

async function job(status: 'pending' | 'done' | 'failed', dueDays: number, refId: string | null = null) {
  const j = await prisma.scheduledJob.create({ data: { kind: 'test', dueAt: ago(dueDays), topic: 't', payload: {}, status, refId } });
  await backdate('scheduled_jobs', j.id, { updated_at: ago(dueDays) });
  return j.id;
}

const exists = {
  event: async (id: string) => (await prisma.notificationEvent.count({ where: { id } })) === 1,
  delivery: async (id: string) => (await prisma.notificationDelivery.count({ where: { id } })) === 1,
  sms: async (id: string) => (await prisma.smsMessage.count({ where: { id } })) === 1,
  smsEvents: async (id: string) => prisma.smsMessageEvent.count({ where: { smsMessageId: id } }),
  email: async (id: string) => (await prisma.emailMessage.count({ where: { id } })) === 1,
  emailEvents: async (id: string) => prisma.emailMessageEvent.count({ where: { emailMessageId: id } }),
  item: async (id: string) => (await prisma.inappItem.count({ where: { id } })) === 1,
  job: async (id: string) => (await prisma.scheduledJob.count({ where: { id } })) === 1,
  click: async (id: string) => (await prisma.smsClickTracking.count({ where: { id } })) === 1,
  audit: async (id: string) => (await prisma.adminAuditEvent.count({ where: { id } })) === 1,
};

describe('retention sweep', () => {
  it('deletes only what is older than its window and final, with what cascades from it; keeps the rest', async () => {
    const user = await prisma.user.create({ data: { externalId: `ret-user-${Date.now()}` } });
    // an old event whose every delivery is final: all of it goes
    const oldEvent = await event(200);
    const oldSmsDelivery = await delivery(oldEvent, user.id, 'sms', 'delivered', 200);
    const oldSms = await sms(user.id, oldSmsDelivery, 'delivered', 200);
    const oldEmailDelivery = await delivery(oldEvent, user.id, 'email', 'delivered', 200);
    const oldEmail = await email(user.id, oldEmailDelivery, 200);
    // an old event with a delivery still in flight (deferred, its SMS sending): all of it stays
    const busyEvent = await event(200);
    const busyDelivery = await delivery(busyEvent, user.id, 'sms', 'deferred', 200);
    const busySms = await sms(user.id, busyDelivery, 'sending', 200);
    // recent: stays
    const recentEvent = await event(1);
    const recentDelivery = await delivery(recentEvent, user.id, 'sms', 'delivered', 1);
    const recentSms = await sms(user.id, recentDelivery, 'delivered', 1);
    // old events that reached nobody: gone, unless a job still refers to it or it is scheduled ahead
    const emptyEvent = await event(200);
    const eventWithJob = await event(200);
    const pendingJobOfEvent = await job('pending', 200, eventWithJob);
    const eventAhead = await event(200, { scheduledFor: new Date(now.getTime() + 30 * DAY) });
    // in-app: the inbox keeps 180 days
    const inappEvent = await event(200);
    const oldInapp = await delivery(inappEvent, user.id, 'inapp', 'delivered', 200);
    const oldItem = await inappItem(user.id, inappEvent, oldInapp);
    const inappEvent2 = await event(200);
    const keptInapp = await delivery(inappEvent2, user.id, 'inapp', 'delivered', 100);
    const keptItem = await inappItem(user.id, inappEvent2, keptInapp);
    // jobs: finished and 30 days old go; pending stays however old; recent finished stays
    const oldDone = await job('done', 40);
    const oldFailed = await job('failed', 40);
    const oldPending = await job('pending', 40);
    const recentDone = await job('done', 10);
    // clicks (180 days) and audit (365 days)
    const oldClick = await prisma.smsClickTracking.create({ data: { shortCode: `r${Date.now()}a`, destinationUrl: 'https://example.test/a' } });
    await backdate('sms_click_tracking', oldClick.id, { created_at: ago(200) });
    const recentClick = await prisma.smsClickTracking.create({ data: { shortCode: `r${Date.now()}b`, destinationUrl: 'https://example.test/b' } });
    const oldAudit = await prisma.adminAuditEvent.create({ data: { actor: 'k', action: 'PUT /x', targetType: 'template' } });
    await backdate('admin_audit_events', oldAudit.id, { at: ago(400) });
    const keptAudit = await prisma.adminAuditEvent.create({ data: { actor: 'k', action: 'PUT /y', targetType: 'template' } });
    await backdate('admin_audit_events', keptAudit.id, { at: ago(200) });
    // consent evidence: never swept
    const optOut = await prisma.smsOptOutEvent.create({ data: { userId: user.id, phoneNumber: '+15005550006', action: 'opt_out', source: 'keyword' } });
    await prisma.$executeRaw`UPDATE sms_opt_out_events SET created_at = ${ago(2000)} WHERE id = ${optOut.id}`;

    const result = await sweepRetention(prisma, DEFAULT_RETENTION, now, { batchSize: 2, pauseMs: 0 });

    expect(result).toMatchObject({
      sms_messages: 1, email_messages: 1, notification_deliveries: 2, inapp_deliveries: 1,
      sms_click_tracking: 1, scheduled_jobs: 2, admin_audit_events: 1,
    });
    // the old event, the empty old event and the in-app event once its delivery was gone
    // (deliveries are swept before events)
    expect(result.notification_events).toBe(3);
    expect(await exists.event(inappEvent)).toBe(false);
    expect(await exists.event(oldEvent)).toBe(false);
    expect(await exists.delivery(oldSmsDelivery)).toBe(false);
    expect(await exists.delivery(oldEmailDelivery)).toBe(false);
    expect(await exists.sms(oldSms)).toBe(false);
    expect(await exists.smsEvents(oldSms)).toBe(0);
    expect(await exists.email(oldEmail)).toBe(false);
    expect(await exists.emailEvents(oldEmail)).toBe(0);
    expect(await exists.event(emptyEvent)).toBe(false);

    expect(await exists.event(busyEvent)).toBe(true);
    expect(await exists.delivery(busyDelivery)).toBe(true);
    expect(await exists.sms(busySms)).toBe(true);
    expect(await exists.smsEvents(busySms)).toBe(2);
    expect(await exists.event(recentEvent)).toBe(true);
    expect(await exists.delivery(recentDelivery)).toBe(true);
    expect(await exists.sms(recentSms)).toBe(true);
    expect(await exists.event(eventWithJob)).toBe(true);
    expect(await exists.job(pendingJobOfEvent)).toBe(true);
    expect(await exists.event(eventAhead)).toBe(true);

    expect(await exists.delivery(oldInapp)).toBe(false);
    expect(await exists.item(oldItem)).toBe(false);
    expect(await exists.delivery(keptInapp)).toBe(true);
    expect(await exists.item(keptItem)).toBe(true);
    // its only delivery went in this sweep: the event goes at the next one
    expect(await exists.event(inappEvent2)).toBe(true);

    expect(await exists.job(oldDone)).toBe(false);
    expect(await exists.job(oldFailed)).toBe(false);
    expect(await exists.job(oldPending)).toBe(true);
    expect(await exists.job(recentDone)).toBe(true);
    expect(await exists.click(oldClick.id)).toBe(false);
    expect(await exists.click(recentClick.id)).toBe(true);
    expect(await exists.audit(oldAudit.id)).toBe(false);
    expect(await exists.audit(keptAudit.id)).toBe(true);
    expect(await prisma.smsOptOutEvent.count({ where: { id: optOut.id } })).toBe(1);

    // a second sweep finds nothing more
    const again = await sweepRetention(prisma, DEFAULT_RETENTION, now, { batchSize: 2, pauseMs: 0 });
    expect(Object.values(again).every((n) => n === 0)).toBe(true);
  });

  it('keeps a table whose window is 0, and two sweeps at once share the work without deleting anything twice', async () => {
    const user = await prisma.user.create({ data: { externalId: `ret-user2-${Date.now()}` } });
    const ids: string[] = [];
    for (let i = 0; i < 25; i++) {
      const ev = await event(300);
      ids.push(await sms(user.id, await delivery(ev, user.id, 'sms', 'failed', 300), 'failed', 300));
    }
    const keepMessages = await sweepRetention(prisma, { ...DEFAULT_RETENTION, messagesDays: 0, deliveriesDays: 0 }, now, { batchSize: 4, pauseMs: 0 });
    expect(keepMessages.sms_messages).toBe(0);
    expect(await prisma.smsMessage.count({ where: { id: { in: ids } } })).toBe(25);

    const before = { sms: await prisma.smsMessage.count(), deliveries: await prisma.notificationDelivery.count(), events: await prisma.notificationEvent.count() };
    const [a, b] = await Promise.all([
      sweepRetention(prisma, DEFAULT_RETENTION, now, { batchSize: 3, pauseMs: 0 }),
      sweepRetention(prisma, DEFAULT_RETENTION, now, { batchSize: 3, pauseMs: 0 }),
    ]);
    // what the two report is exactly what left the tables: no row counted twice
    expect(a.sms_messages + b.sms_messages).toBe(before.sms - await prisma.smsMessage.count());
    expect(a.notification_deliveries + b.notification_deliveries).toBe(before.deliveries - await prisma.notificationDelivery.count());
    expect(a.notification_events + b.notification_events).toBe(before.events - await prisma.notificationEvent.count());
    expect(a.sms_messages + b.sms_messages).toBeGreaterThanOrEqual(25);
    expect(await prisma.smsMessage.count({ where: { id: { in: ids } } })).toBe(0);
  });

  it('hub-cli retention sweep runs it now with the RETENTION_* settings and prints what it deleted', async () => {
    const user = await prisma.user.create({ data: { externalId: `ret-user3-${Date.now()}` } });
    const ev = await event(20);
    const m = await sms(user.id, await delivery(ev, user.id, 'sms', 'delivered', 20), 'delivered', 20);
    const lines: string[] = [];
    // 90 days by default: kept
    await runCli(['retention', 'sweep'], { prisma, print: (l) => lines.push(l), env: {} });
    expect(await exists.sms(m)).toBe(true);
    await runCli(['retention', 'sweep'], { prisma, print: (l) => lines.push(l), env: { RETENTION_MESSAGES_DAYS: '10', RETENTION_DELIVERIES_DAYS: '10' } });
    expect(await exists.sms(m)).toBe(false);
    expect(await exists.event(ev)).toBe(false);
    expect(lines.some((l) => /^sms_messages\s+1$/.test(l))).toBe(true);
    await expect(runCli(['retention', 'sweep'], { prisma, print: () => undefined, env: { RETENTION_MESSAGES_DAYS: '-1' } })).rejects.toThrow();
  });
});
