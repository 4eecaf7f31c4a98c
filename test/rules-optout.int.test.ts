import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@hub/contracts';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { rulesKit, type RulesKit } from './rules-support.ts';

/**
 * Opt-out and opt-in through signed inbound webhooks (status-ingest → Kafka → consumer),
 * HELP answered with TwiML, and Twilio's 21610 (unsubscribed recipient) from a send.
 */
let hub: TestHub;
let kit: RulesKit;
let key = '';
const DAYTIME = new Date('2026-01-15T17:00:00Z'); // 12:00 in New York
const clock = new ManualClock(DAYTIME);

beforeAll(async () => {
  hub = await startHub({ clock });
  key = await hub.apiKey(['events:write']);
  kit = rulesKit(hub, () => key);
});
afterAll(async () => {
  await hub?.stop();
});

const reminder = { task_name: 'Water the plants', due_time: 'tonight' };
const prefsOf = (userId: string) => hub.prisma.userSmsPreferences.findUniqueOrThrow({ where: { userId } });
const waitOptedOut = (userId: string, optedOut: boolean) =>
  waitFor(async () => (await prefsOf(userId)).optedOut === optedOut, { what: `opted_out=${optedOut}` });

describe('STOP then START', () => {
  it('STOP opts out at once (audited), cancels a delivery waiting in the scheduler, later events are skipped; START opts back in', async () => {
    clock.set(new Date('2026-01-16T04:30:00Z')); // 23:30 in New York: the first event waits
    const userId = await seedUser(hub.prisma, { externalId: 'stopper', timezone: 'America/New_York', prefs: { quietHoursStart: '22:00', quietHoursEnd: '07:00' } });
    const phone = await kit.phoneOf(userId);
    await kit.post({ id: 'evt-stop-waiting', type: 'task.reminder', targetUserId: 'stopper', payload: reminder });
    const waiting = await kit.deliveryIn('evt-stop-waiting', 'deferred');
    expect(await hub.prisma.scheduledJob.findFirstOrThrow({ where: { refId: waiting.id } })).toMatchObject({ status: 'pending' });

    const stop = await kit.inbound(phone, 'STOP');
    expect(stop.status).toBe(200);
    expect(stop.text).toContain('<Response></Response>');
    await waitOptedOut(userId, true);
    const prefs = await prefsOf(userId);
    expect(prefs.optedOutAt).toEqual(new Date('2026-01-16T04:30:00Z'));
    expect(prefs.optOutReason).toBe('STOP');
    const audit = await hub.prisma.smsOptOutEvent.findMany({ where: { phoneNumber: phone } });
    // Who, when (the time the STOP was handled, not of the write), which keyword, which message.
    expect(audit).toEqual([expect.objectContaining({ userId, action: 'opt_out', source: 'inbound_sms', keyword: 'STOP', messageSid: stop.sid, createdAt: new Date('2026-01-16T04:30:00Z') })]);

    const cancelled = await hub.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: waiting.id } });
    expect(cancelled).toMatchObject({ status: 'cancelled', skipReason: 'opted_out' });
    expect(await hub.prisma.scheduledJob.findFirstOrThrow({ where: { refId: waiting.id } })).toMatchObject({ status: 'cancelled' });

    // The quiet window ends: nothing is released for the cancelled delivery.
    clock.set(DAYTIME);
    await kit.post({ id: 'evt-stop-after', type: 'task.reminder', targetUserId: 'stopper', payload: reminder });
    expect(await kit.finalDelivery('evt-stop-after')).toMatchObject({ status: 'skipped', skipReason: 'opted_out' });
    expect(kit.sendsTo(phone)).toHaveLength(0);

    clock.set(new Date('2026-01-15T17:05:00Z'));
    const start = await kit.inbound(phone, 'START');
    expect(start.status).toBe(200);
    await waitOptedOut(userId, false);
    expect(await hub.prisma.smsOptOutEvent.findFirst({ where: { phoneNumber: phone, action: 'opt_in' } }))
      .toMatchObject({ userId, source: 'inbound_sms', keyword: 'START', messageSid: start.sid, createdAt: new Date('2026-01-15T17:05:00Z') });
    clock.set(DAYTIME);
    await kit.post({ id: 'evt-start-after', type: 'task.reminder', targetUserId: 'stopper', payload: reminder });
    expect((await kit.finalDelivery('evt-start-after')).status).toBe('delivered');
    expect(kit.sendsTo(phone)).toHaveLength(1);
    expect((await hub.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: waiting.id } })).status).toBe('cancelled');
  });

  it.each([
    ['stop ', 'STOP', 1], ['Stop.', 'STOP', 2], ['  unsubscribe\n', 'UNSUBSCRIBE', 3], ['Cancel', 'CANCEL', 4], ['end!', 'END', 5], ['QUIT', 'QUIT', 6], ['stopall', 'STOPALL', 7],
  ] as const)('%j opts out (keyword %s), and "yes" opts back in', async (body, keyword, n) => {
    clock.set(DAYTIME);
    const userId = await seedUser(hub.prisma, { externalId: `kw-${n}` });
    const phone = await kit.phoneOf(userId);
    const res = await kit.inbound(phone, body);
    expect(res.status).toBe(200);
    await waitOptedOut(userId, true);
    expect(await hub.prisma.smsOptOutEvent.findFirst({ where: { phoneNumber: phone } })).toMatchObject({ action: 'opt_out', keyword, messageSid: res.sid });
    await kit.inbound(phone, 'yes');
    await waitOptedOut(userId, false);
  });

  it('a redelivered inbound message (same MessageSid) is applied once; "please stop" changes nothing', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'kw-dup' });
    const phone = await kit.phoneOf(userId);
    const sentence = await kit.inbound(phone, 'please stop texting me');
    expect(sentence.status).toBe(200);
    const first = await kit.inbound(phone, 'STOP', 'SMdup00000000000000000000000000001');
    const again = await kit.inbound(phone, 'STOP', 'SMdup00000000000000000000000000001');
    expect([first.status, again.status]).toEqual([200, 200]);
    await waitOptedOut(userId, true);
    // A later keyword from the same number is applied after the duplicate (same partition, in order).
    await kit.inbound(phone, 'UNSTOP');
    await waitOptedOut(userId, false);
    const audit = await hub.prisma.smsOptOutEvent.findMany({ where: { phoneNumber: phone }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.action, a.keyword])).toEqual([['opt_out', 'STOP'], ['opt_in', 'UNSTOP']]);
  });

  it('a STOP from a number several users hold opts out and audits each of them; START audits each again', async () => {
    clock.set(new Date('2026-01-15T18:00:00Z'));
    const phone = '+12125550177';
    // One verified owner at most; others may hold the number unverified.
    const owner = await seedUser(hub.prisma, { externalId: 'shared-owner', phone });
    const other = await seedUser(hub.prisma, { externalId: 'shared-other', phone, verified: false });
    const stop = await kit.inbound(phone, 'STOP');
    await waitOptedOut(owner, true);
    expect((await prefsOf(other)).optedOut).toBe(true);
    const outs = await hub.prisma.smsOptOutEvent.findMany({ where: { phoneNumber: phone, action: 'opt_out' }, orderBy: { userId: 'asc' } });
    const row = { phoneNumber: phone, source: 'inbound_sms', keyword: 'STOP', messageSid: stop.sid, createdAt: new Date('2026-01-15T18:00:00Z') };
    expect(outs).toEqual([owner, other].sort().map((userId) => expect.objectContaining({ ...row, userId })));

    clock.set(new Date('2026-01-15T18:10:00Z'));
    const start = await kit.inbound(phone, 'UNSTOP');
    await waitOptedOut(owner, false);
    expect((await prefsOf(other)).optedOut).toBe(false);
    const ins = await hub.prisma.smsOptOutEvent.findMany({ where: { phoneNumber: phone, action: 'opt_in' }, orderBy: { userId: 'asc' } });
    expect(ins).toEqual([owner, other].sort().map((userId) => expect.objectContaining({ ...row, keyword: 'UNSTOP', messageSid: start.sid, createdAt: new Date('2026-01-15T18:10:00Z'), userId })));
    clock.set(DAYTIME);
  });

  it('a STOP from a number nobody holds is audited without a user', async () => {
    const stop = await kit.inbound('+12125550178', 'STOP');
    const row = await waitFor(() => hub.prisma.smsOptOutEvent.findFirst({ where: { messageSid: stop.sid } }), { what: 'audit row' });
    expect(row).toMatchObject({ userId: null, phoneNumber: '+12125550178', action: 'opt_out', keyword: 'STOP', createdAt: DAYTIME });
  });

  it('HELP and INFO get the configured help text as TwiML, and change nothing', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'helper' });
    const phone = await kit.phoneOf(userId);
    for (const body of ['HELP', ' info ']) {
      const res = await kit.inbound(phone, body);
      expect(res.status).toBe(200);
      expect(res.text).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Response><Message>Test hub help\. Reply STOP to unsubscribe\.<\/Message><\/Response>$/);
    }
    expect((await prefsOf(userId)).optedOut).toBe(false);
    expect(await hub.prisma.smsOptOutEvent.count({ where: { phoneNumber: phone } })).toBe(0);
  });

  it('refuses an unsigned inbound webhook (403) and changes nothing', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'unsigned' });
    const phone = await kit.phoneOf(userId);
    const res = await fetch(`${hub.statusIngestUrl}/webhooks/twilio/inbound`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ From: phone, To: '+15005550006', Body: 'STOP', MessageSid: 'SMunsigned' }).toString(),
    });
    expect(res.status).toBe(403);
    expect(await hub.prisma.smsOptOutEvent.count({ where: { messageSid: 'SMunsigned' } })).toBe(0);
  });
});

describe('provider error 21610 (unsubscribed recipient)', () => {
  it('fails the delivery without retrying and opts the user out, audited as provider_error', async () => {
    clock.set(DAYTIME);
    const phone = '+15005550004'; // the sandbox answers 21610, like Twilio's test credentials
    const userId = await seedUser(hub.prisma, { externalId: 'unsubscribed', phone });
    await kit.post({ id: 'evt-21610', type: 'task.reminder', targetUserId: 'unsubscribed', payload: reminder });
    const d = await kit.finalDelivery('evt-21610');
    expect(d).toMatchObject({ status: 'failed', lastErrorCode: '21610', attempts: 1 });
    expect(d.smsMessages[0]).toMatchObject({ status: 'failed', twilioErrorCode: 21610, attemptCount: 1 });
    await waitOptedOut(userId, true);
    expect((await prefsOf(userId)).optOutReason).toBe('twilio_21610');
    expect(await hub.prisma.smsOptOutEvent.findFirst({ where: { phoneNumber: phone } }))
      .toMatchObject({ userId, action: 'opt_out', source: 'provider_error', keyword: null, messageSid: null, createdAt: DAYTIME });
    expect(await hub.prisma.scheduledJob.count({ where: { refId: d.id } })).toBe(0);

    await kit.post({ id: 'evt-21610-after', type: 'task.reminder', targetUserId: 'unsubscribed', payload: reminder });
    expect(await kit.finalDelivery('evt-21610-after')).toMatchObject({ status: 'skipped', skipReason: 'opted_out' });
  });
});
