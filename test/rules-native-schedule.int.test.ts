import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@hub/contracts';
import { waitFor } from '@hub/testkit';
import { loadRouterConfig } from '@hub/router';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { rulesKit, type RulesKit } from './rules-support.ts';

/**
 * Scheduled sends with a Messaging Service configured: inside Twilio's window (15 min to
 * 7 days ahead) the provider holds the message (SendAt); outside it the scheduler does.
 * The clock starts at the real time because the sandbox checks SendAt against its own.
 */
const MESSAGING_SERVICE_SID = 'MG0123456789abcdef0123456789abcdef';
const MIN = 60_000;
const DAY = 86_400_000;
let hub: TestHub;
let kit: RulesKit;
let key = '';
const clock = new ManualClock(new Date());

beforeAll(async () => {
  clock.set(new Date());
  hub = await startHub({ clock, messagingServiceSid: MESSAGING_SERVICE_SID });
  key = await hub.apiKey(['events:write', 'admin:write']);
  kit = rulesKit(hub, () => key);
});
afterAll(async () => {
  await hub?.stop();
});

const payload = { task_name: 'Dentist', due_time: 'at 9' };
const at = (ms: number) => new Date(Math.ceil((clock.now().getTime() + ms) / 1000) * 1000);

describe('the router routes ahead by default when a Messaging Service is configured', () => {
  // The hub of this file routes 7 days ahead (test/support/hub.ts); a deployment gets the
  // same from TWILIO_MESSAGING_SERVICE_SID alone.
  it('derives ROUTER_ROUTE_AHEAD_MS from TWILIO_MESSAGING_SERVICE_SID; an explicit value wins', () => {
    expect(loadRouterConfig({ TWILIO_MESSAGING_SERVICE_SID: MESSAGING_SERVICE_SID })).toMatchObject({ ROUTER_ROUTE_AHEAD_MS: 7 * DAY, routeAheadFrom: 'messaging-service' });
    expect(loadRouterConfig({})).toMatchObject({ ROUTER_ROUTE_AHEAD_MS: 0, routeAheadFrom: 'no-messaging-service' });
    expect(loadRouterConfig({ TWILIO_MESSAGING_SERVICE_SID: MESSAGING_SERVICE_SID, ROUTER_ROUTE_AHEAD_MS: '0' })).toMatchObject({ ROUTER_ROUTE_AHEAD_MS: 0, routeAheadFrom: 'explicit' });
    expect(loadRouterConfig({ TWILIO_MESSAGING_SERVICE_SID: MESSAGING_SERVICE_SID, ROUTER_ROUTE_AHEAD_MS: String(DAY) })).toMatchObject({ ROUTER_ROUTE_AHEAD_MS: DAY, routeAheadFrom: 'explicit' });
    expect(loadRouterConfig({ ROUTER_ROUTE_AHEAD_MS: String(DAY) })).toMatchObject({ ROUTER_ROUTE_AHEAD_MS: DAY, routeAheadFrom: 'explicit-without-messaging-service' });
    expect(() => loadRouterConfig({ ROUTER_ROUTE_AHEAD_MS: String(8 * DAY) })).toThrow(/ROUTER_ROUTE_AHEAD_MS/);
  });
});

describe('Twilio-native scheduling', () => {
  it('an event 1 hour ahead is sent at once with SendAt through the Messaging Service; cancelling it cancels it at Twilio', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'native' });
    const phone = await kit.phoneOf(userId);
    const sendAt = at(60 * MIN);
    await kit.post({ id: 'evt-native', type: 'task.reminder', targetUserId: 'native', payload, scheduledFor: sendAt.toISOString() });
    const d = await kit.deliveryIn('evt-native', 'sent');
    const sms = d.smsMessages[0]!;
    expect(sms).toMatchObject({ status: 'scheduled', scheduledFor: sendAt });
    expect(sms.twilioSid).toMatch(/^SM/);
    expect(d.externalId).toBe(sms.twilioSid);
    const sends = kit.sendsTo(phone);
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({ scheduled: true, sendAt, messagingServiceSid: MESSAGING_SERVICE_SID, messageId: sms.id });
    expect(hub.sandbox.message(sms.twilioSid!)!.status).toBe('scheduled');
    expect(await hub.prisma.scheduledJob.count({ where: { refId: { in: ['evt-native', d.id] } } })).toBe(0);

    const res = await hub.gateway.inject({ method: 'POST', url: `/v1/deliveries/${d.id}/cancel`, headers: { authorization: `Bearer ${key}` } });
    expect(res.statusCode).toBe(200);
    expect(hub.sandbox.message(sms.twilioSid!)!.status).toBe('canceled');
    expect(await hub.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: d.id }, include: { smsMessages: true } }))
      .toMatchObject({ status: 'cancelled', smsMessages: [expect.objectContaining({ status: 'cancelled' })] });
  });

  it('an inbound STOP cancels a message held by Twilio (at Twilio, then in the hub)', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'native-stop' });
    const phone = await kit.phoneOf(userId);
    await kit.post({ id: 'evt-native-stop', type: 'task.reminder', targetUserId: 'native-stop', payload, scheduledFor: at(3 * 60 * MIN).toISOString() });
    const held = await kit.deliveryIn('evt-native-stop', 'sent');
    const sid = held.smsMessages[0]!.twilioSid!;
    expect(hub.sandbox.message(sid)!.status).toBe('scheduled');
    expect((await kit.inbound(phone, 'Stop')).status).toBe(200);
    const d = await kit.deliveryIn('evt-native-stop', 'cancelled');
    expect(d).toMatchObject({ skipReason: 'opted_out', smsMessages: [expect.objectContaining({ status: 'cancelled' })] });
    expect(hub.sandbox.message(sid)!.status).toBe('canceled');
  });

  it('judges quiet hours at the send time: a send time inside the window goes through the scheduler to the window end', async () => {
    const sendAt = at(2 * 60 * MIN);
    const hhmm = (d: Date) => d.toISOString().slice(11, 16);
    const start = new Date(sendAt.getTime() - 30 * MIN);
    const end = new Date(sendAt.getTime() + 30 * MIN);
    const userId = await seedUser(hub.prisma, { externalId: 'native-quiet', timezone: 'UTC', prefs: { quietHoursStart: hhmm(start), quietHoursEnd: hhmm(end) } });
    await kit.post({ id: 'evt-native-quiet', type: 'task.reminder', targetUserId: 'native-quiet', payload, scheduledFor: sendAt.toISOString() });
    const d = await kit.deliveryIn('evt-native-quiet', 'deferred');
    const endInstant = new Date(`${end.toISOString().slice(0, 16)}:00.000Z`);
    expect(d.deferredUntil).toEqual(endInstant);
    expect(await hub.prisma.scheduledJob.findFirstOrThrow({ where: { refId: d.id } })).toMatchObject({ kind: 'quiet_hours', dueAt: endInstant, status: 'pending' });
    expect(kit.sendsTo(await kit.phoneOf(userId))).toHaveLength(0);
  });

  it('less than 15 minutes ahead: the scheduler holds the delivery, then it is sent without SendAt', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'near' });
    const phone = await kit.phoneOf(userId);
    const due = at(10 * MIN);
    await kit.post({ id: 'evt-near', type: 'task.reminder', targetUserId: 'near', payload, scheduledFor: due.toISOString() });
    const d = await kit.deliveryIn('evt-near', 'deferred');
    expect(d.deferredUntil).toEqual(due);
    expect(await hub.prisma.scheduledJob.findFirstOrThrow({ where: { refId: d.id } })).toMatchObject({ kind: 'scheduled_send', dueAt: due, status: 'pending' });
    expect(kit.sendsTo(phone)).toHaveLength(0);

    clock.set(new Date(due.getTime() + 1_000));
    expect((await kit.deliveryIn('evt-near', 'delivered')).status).toBe('delivered');
    expect(kit.sendsTo(phone)).toEqual([expect.objectContaining({ scheduled: false, sendAt: null })]);
  });

  it('more than 7 days ahead: the event waits in the scheduler (router path), no delivery yet', async () => {
    await seedUser(hub.prisma, { externalId: 'far' });
    const due = at(8 * DAY);
    await kit.post({ id: 'evt-far', type: 'task.reminder', targetUserId: 'far', payload, scheduledFor: due.toISOString() });
    const job = await waitFor(() => hub.prisma.scheduledJob.findFirst({ where: { refId: 'evt-far' } }), { what: 'event_due job' });
    expect(job).toMatchObject({ kind: 'event_due', dueAt: due, status: 'pending' });
    expect(await hub.prisma.notificationDelivery.count({ where: { eventId: 'evt-far' } })).toBe(0);
  });
});
