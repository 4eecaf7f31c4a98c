import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { PrismaClient } from '@hub/db';
import { createTestPrisma } from '@hub/testkit';
import { createLogger } from '@hub/logger';
import { ManualClock, type SmsStatusUpdate } from '@hub/contracts';
import { applyStatuses } from '../src/apply-batch.ts';

let prisma: PrismaClient;
let close: () => Promise<void>;
const clock = new ManualClock(new Date('2026-11-22T12:00:00Z'));
const log = createLogger({ service: 'test', level: 'silent', pretty: false });
const deps = () => ({ prisma, log, clock, retryTopic: 'test.notify.deliveries.sms.v1', random: () => 0.5 });

beforeAll(async () => {
  ({ prisma, close } = await createTestPrisma(inject('baseDatabaseUrl'), inject('templateDatabase'), 4));
});
afterAll(async () => {
  await close?.();
});

let n = 0;
/** A delivery whose message the provider accepted (status queued, sid known). */
async function accepted(): Promise<{ messageId: string; deliveryId: string; sid: string }> {
  n++;
  const user = await prisma.user.create({ data: { externalId: `ab-${n}` } });
  await prisma.notificationEvent.create({ data: { id: `ab-ev-${n}`, eventType: 'task.reminder', payload: {}, occurredAt: new Date() } });
  const delivery = await prisma.notificationDelivery.create({ data: { eventId: `ab-ev-${n}`, userId: user.id, channel: 'sms', status: 'sent' } });
  const sid = `SM${String(n).padStart(32, '0')}`;
  const message = await prisma.smsMessage.create({
    data: { userId: user.id, phoneNumber: `+1415555${String(n).padStart(4, '0')}`, messageContent: 'hi', status: 'queued', twilioSid: sid, attemptCount: 1, notificationDeliveryId: delivery.id },
  });
  return { messageId: message.id, deliveryId: delivery.id, sid };
}

const status = (m: { messageId: string; sid: string }, s: string, errorCode: number | null = null): SmsStatusUpdate => ({
  messageId: m.messageId, sid: m.sid, status: s, errorCode, errorMessage: errorCode ? `error ${errorCode}` : null, receivedAt: clock.now().toISOString(), source: 'callback',
});

async function stateOf(m: { messageId: string; deliveryId: string }) {
  const msg = await prisma.smsMessage.findUniqueOrThrow({ where: { id: m.messageId } });
  const d = await prisma.notificationDelivery.findUniqueOrThrow({ where: { id: m.deliveryId } });
  const events = await prisma.smsMessageEvent.findMany({ where: { smsMessageId: m.messageId }, orderBy: { id: 'asc' } });
  return { sms: msg.status, delivery: d.status, deliveredAt: d.deliveredAt, events: events.map((e) => `${e.twilioStatus}:${e.applied ? 'applied' : 'recorded'}`) };
}

describe('applyStatuses', () => {
  it('folds each message\'s statuses in order: in-order, reordered and duplicated sequences end the same, history kept once per status', async () => {
    const a = await accepted();
    const b = await accepted();
    const results = await applyStatuses(deps(), [
      status(a, 'sent'), status(b, 'delivered'), status(a, 'delivered'), status(b, 'sent'), status(a, 'delivered'), status(b, 'queued'),
    ]);
    expect(results.map((r) => r.outcome).sort()).toEqual(['applied', 'applied', 'applied', 'ignored', 'ignored', 'replay']);
    expect(results.every((r) => r.path === 'batch')).toBe(true);
    const sa = await stateOf(a);
    const sb = await stateOf(b);
    // The second 'delivered' is an exact replay: no second history row.
    expect(sa).toMatchObject({ sms: 'delivered', delivery: 'delivered', events: ['sent:applied', 'delivered:applied'] });
    expect(sb).toMatchObject({ sms: 'delivered', delivery: 'delivered', events: ['delivered:applied', 'sent:recorded', 'queued:recorded'] });
    expect(sa.deliveredAt).toEqual(clock.now());
  });

  it('a later batch never moves a message back', async () => {
    const a = await accepted();
    await applyStatuses(deps(), [status(a, 'delivered')]);
    const results = await applyStatuses(deps(), [status(a, 'sent'), status(a, 'queued')]);
    expect(results.map((r) => r.outcome)).toEqual(['ignored', 'ignored']);
    expect(await stateOf(a)).toMatchObject({ sms: 'delivered', delivery: 'delivered' });
  });

  it('hands failures, stale sids and unknown messages to the one-by-one path, in the same call', async () => {
    const permanent = await accepted();
    const transient = await accepted();
    const stale = await accepted();
    const ok = await accepted();
    const results = await applyStatuses(deps(), [
      status(permanent, 'sent'), status(permanent, 'undelivered', 30005),
      status(transient, 'undelivered', 30003),
      { ...status(stale, 'delivered'), sid: `SM${'f'.repeat(32)}` },
      { ...status(ok, 'delivered'), messageId: '00000000-0000-0000-0000-00000000dead' },
      status(ok, 'delivered'),
    ]);
    const paths = Object.fromEntries(results.map((r) => [r.update.messageId, r.path]));
    expect(paths).toEqual({
      [permanent.messageId]: 'locked', [transient.messageId]: 'locked', [stale.messageId]: 'locked',
      '00000000-0000-0000-0000-00000000dead': 'locked', [ok.messageId]: 'batch',
    });
    const outcomes = Object.fromEntries(results.map((r) => [`${r.update.messageId}:${r.update.status}:${r.update.sid.slice(-2)}`, r.outcome]));
    expect(outcomes[`${permanent.messageId}:undelivered:${permanent.sid.slice(-2)}`]).toBe('applied');
    expect(outcomes[`${transient.messageId}:undelivered:${transient.sid.slice(-2)}`]).toBe('retry_scheduled');
    expect(outcomes[`${stale.messageId}:delivered:ff`]).toBe('stale_attempt');
    expect(outcomes['00000000-0000-0000-0000-00000000dead:delivered:' + ok.sid.slice(-2)]).toBe('unknown_message');
    expect(outcomes[`${ok.messageId}:delivered:${ok.sid.slice(-2)}`]).toBe('applied');
    expect(await stateOf(permanent)).toMatchObject({ sms: 'undelivered', delivery: 'failed', events: ['sent:applied', 'undelivered:applied'] });
    expect(await stateOf(transient)).toMatchObject({ sms: 'scheduled', delivery: 'deferred' });
    expect(await prisma.scheduledJob.count({ where: { refId: transient.deliveryId, kind: 'sms_retry' } })).toBe(1);
    expect(await stateOf(stale)).toMatchObject({ sms: 'queued', delivery: 'sent', events: ['delivered:recorded'] });
    expect(await stateOf(ok)).toMatchObject({ sms: 'delivered', delivery: 'delivered' });
  });

  it('an exact replay (same sid and status) leaves one history row, on the batch path, the locked path and across batches', async () => {
    const a = await accepted();
    const b = await accepted();
    await applyStatuses(deps(), [status(a, 'sent'), status(a, 'sent'), status(b, 'undelivered', 30005), status(b, 'undelivered', 30005)]);
    const again = await applyStatuses(deps(), [status(a, 'sent'), status(a, 'delivered'), status(a, 'delivered'), status(b, 'undelivered', 30005)]);
    expect(again.map((r) => `${r.update.status}:${r.outcome}`)).toEqual(['sent:replay', 'delivered:applied', 'delivered:replay', 'undelivered:replay']);
    expect(await applyStatuses(deps(), [status(a, 'delivered')])).toMatchObject([{ outcome: 'replay', path: 'batch' }]);
    expect(await stateOf(a)).toMatchObject({ sms: 'delivered', delivery: 'delivered', events: ['sent:applied', 'delivered:applied'] });
    expect(await stateOf(b)).toMatchObject({ sms: 'undelivered', delivery: 'failed', events: ['undelivered:applied'] });
  });

  it('an unrecognised provider status is recorded once, not applied', async () => {
    const a = await accepted();
    const results = await applyStatuses(deps(), [status(a, 'bogus'), status(a, 'bogus'), status(a, 'x'.repeat(30))]);
    expect(results.map((r) => r.outcome)).toEqual(['unrecognised_status', 'replay', 'unrecognised_status']);
    expect(await stateOf(a)).toMatchObject({ sms: 'queued', events: ['bogus:recorded', `${'x'.repeat(30)}:recorded`] });
  });

  it('the unique index refuses a second row for the same callback status even when written directly', async () => {
    const a = await accepted();
    const row = { smsMessageId: a.messageId, status: 'sent' as const, twilioStatus: 'sent', twilioSid: a.sid, attempt: 1, source: 'callback' };
    await prisma.smsMessageEvent.create({ data: row });
    await expect(prisma.smsMessageEvent.create({ data: row })).rejects.toThrow();
    await expect(prisma.smsMessageEvent.create({ data: { ...row, source: 'lookup' } })).rejects.toThrow();
    // The adapter's own rows are not covered.
    await prisma.smsMessageEvent.create({ data: { ...row, source: 'adapter' } });
    await prisma.smsMessageEvent.create({ data: { ...row, source: 'adapter' } });
  });
});
