import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@hub/contracts';
import { waitFor } from '@hub/testkit';
import { buildGateway } from '@hub/gateway';
import { createMetricsRegistry } from '@hub/runtime';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser, uniquePhone } from './support/seed.ts';
import { rulesKit, type RulesKit } from './rules-support.ts';

/**
 * Issue 16, what the seeds promise: ad-hoc sends (POST /v1/sends), events that reach nobody
 * saying so, per-user rate limits (3/min, 5/h here), safe defaults for new recipients,
 * template variables, the opt-out wording, sent_at kept. Real broker, database, sandbox.
 */
let hub: TestHub;
let kit: RulesKit;
let key = '';
let admin = '';
const T0 = new Date('2026-01-15T17:00:00.000Z');
const clock = new ManualClock(T0);

beforeAll(async () => {
  hub = await startHub({ clock, allowedCountries: ['US'], smsRateLimits: { perMinute: 3, perHour: 5 }, sendsAllowRawNumbers: true, footer: 'always' });
  key = await hub.apiKey(['events:write']);
  admin = await hub.apiKey(['admin:read', 'admin:write']);
  kit = rulesKit(hub, () => key);
});
afterAll(async () => {
  await hub?.stop();
});

const send = (body: Record<string, unknown>, apiKey = key) =>
  hub.gateway.inject({ method: 'POST', url: '/v1/sends', headers: { authorization: `Bearer ${apiKey}` }, payload: body });
const get = (url: string) => hub.gateway.inject({ method: 'GET', url, headers: { authorization: `Bearer ${admin}` } });
const FOOTER = '\nReply STOP to unsubscribe';

describe('ad-hoc sends (POST /v1/sends)', () => {
  it('texts a known recipient once per idempotency key; the same key with another body is 409', async () => {
    clock.set(T0);
    const userId = await seedUser(hub.prisma, { externalId: 'adhoc-known' });
    const phone = await kit.phoneOf(userId);
    const first = await send({ idempotencyKey: 'k-1', userId: 'adhoc-known', text: 'Your code word is kiwi' });
    expect(first.statusCode).toBe(202);
    const body = first.json();
    expect(body).toMatchObject({ id: 'send:k-1', status: 'accepted' });
    const d = await kit.deliveryIn('send:k-1', 'delivered');
    expect(d.id).toBe(body.deliveryId);
    expect(d.smsMessages[0]!.messageContent).toBe(`Your code word is kiwi${FOOTER}`);

    const again = await send({ idempotencyKey: 'k-1', userId: 'adhoc-known', text: 'Your code word is kiwi' });
    expect(again.statusCode).toBe(202);
    expect(again.json()).toMatchObject({ status: 'duplicate', deliveryId: body.deliveryId });
    const other = await send({ idempotencyKey: 'k-1', userId: 'adhoc-known', text: 'something else' });
    expect(other.statusCode).toBe(409);
    expect(other.json().error.code).toBe('idempotency_conflict');

    const detail = await get('/v1/sends/k-1');
    expect(detail.json()).toMatchObject({ id: 'send:k-1', deliveryId: body.deliveryId, deliveryStatus: 'delivered', userId: 'adhoc-known' });
    await new Promise((r) => setTimeout(r, 300));
    expect(kit.sendsTo(phone)).toHaveLength(1);
  });

  it('goes through the same rules: unverified and opted-out recipients are skipped, unknown ones 404', async () => {
    clock.set(T0);
    await seedUser(hub.prisma, { externalId: 'adhoc-unverified', verified: false });
    await seedUser(hub.prisma, { externalId: 'adhoc-optedout', optedOut: true });
    expect((await send({ idempotencyKey: 'k-unv', userId: 'adhoc-unverified', text: 'hi' })).statusCode).toBe(202);
    expect((await send({ idempotencyKey: 'k-opt', userId: 'adhoc-optedout', text: 'hi' })).statusCode).toBe(202);
    expect((await kit.finalDelivery('send:k-unv')).skipReason).toBe('unverified');
    expect((await kit.finalDelivery('send:k-opt')).skipReason).toBe('opted_out');
    const missing = await send({ idempotencyKey: 'k-404', userId: 'nobody-here', text: 'hi' });
    expect(missing.statusCode).toBe(404);
    expect(await hub.prisma.notificationEvent.count({ where: { id: 'send:k-404' } })).toBe(0);
  });

  it('quiet hours apply unless urgent; a template by key renders with its vars', async () => {
    clock.set(new Date('2026-01-16T04:30:00Z')); // 23:30 in New York
    await seedUser(hub.prisma, { externalId: 'adhoc-night', timezone: 'America/New_York', prefs: { quietHoursStart: '22:00', quietHoursEnd: '07:00' } });
    await send({ idempotencyKey: 'k-night', userId: 'adhoc-night', text: 'routine' });
    await send({ idempotencyKey: 'k-night-urgent', userId: 'adhoc-night', templateKey: 'urgent_task', vars: { task_name: 'Server down' }, priority: 'urgent' });
    const deferred = await kit.deliveryIn('send:k-night', 'deferred');
    expect(deferred.deferredUntil).toEqual(new Date('2026-01-16T12:00:00Z'));
    const urgent = await kit.deliveryIn('send:k-night-urgent', 'delivered');
    expect(urgent.smsMessages[0]!.messageContent).toContain('Server down');
    expect(urgent.smsMessages[0]!.templateKey).toBe('urgent_task');
  });

  it('a raw number where allowed: no verification, the number\'s opt-out still applies; bad input is refused', async () => {
    clock.set(T0);
    const raw = uniquePhone();
    const res = await send({ idempotencyKey: 'k-raw', to: raw, text: 'Your table is ready' });
    expect(res.statusCode).toBe(202);
    const d = await kit.deliveryIn('send:k-raw', 'delivered');
    expect(d.channelIdentifier).toBe(raw);
    expect(kit.sendsTo(raw)).toHaveLength(1);

    const stopped = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'holder-of-stopped', phone: stopped, optedOut: true });
    await send({ idempotencyKey: 'k-raw-stopped', to: stopped, text: 'hello' });
    expect((await kit.finalDelivery('send:k-raw-stopped')).skipReason).toBe('opted_out');

    expect((await send({ idempotencyKey: 'k-raw-gb', to: '+442079460958', text: 'x' })).json().error.code).toBe('country_not_allowed');
    expect((await send({ idempotencyKey: 'k-raw-bad', to: '12', text: 'x' })).statusCode).toBe(400);
    const both = await send({ idempotencyKey: 'k-both', to: raw, userId: 'adhoc-known', text: 'x' });
    expect(both.statusCode).toBe(400);
    expect(both.json().error).toMatchObject({ code: 'invalid_send', fields: [{ field: 'body.userId', message: 'exactly one of userId and to' }] });
    expect((await send({ idempotencyKey: 'k-blank', userId: 'adhoc-known', text: '   ' })).statusCode).toBe(400);
  });
});

describe('an event that reaches nobody says so', () => {
  it('in the 202 body of a targeted event, and in the event detail once routed', async () => {
    clock.set(T0);
    await seedUser(hub.prisma, { externalId: 'no-subs', subscriptions: [] });
    await seedUser(hub.prisma, { externalId: 'two-channels', subscriptions: ['task.reminder'], channels: ['sms', 'email'], email: 'two@example.test' });
    const post = (id: string, target: string) => hub.gateway.inject({
      method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${key}` },
      payload: { id, type: 'task.reminder', targetUserId: target, payload: { task_name: 'x', due_time: 'y' } },
    });
    expect((await post('reach-unknown', 'who-is-this')).json().reach).toEqual({ deliveries: 0, channels: [], reason: 'unknown_user' });
    expect((await post('reach-nosub', 'no-subs')).json().reach).toEqual({ deliveries: 0, channels: [], reason: 'no_subscription' });
    expect((await post('reach-two', 'two-channels')).json().reach).toEqual({ deliveries: 2, channels: ['sms', 'email'], reason: null });

    for (const [id, reason] of [['reach-unknown', 'unknown_user'], ['reach-nosub', 'no_subscription']] as const) {
      const detail = await waitFor(async () => {
        const r = (await get(`/v1/events/${id}`)).json();
        return r.routing.routedAt ? r : null;
      }, { what: `${id} routed` });
      expect(detail.routing).toMatchObject({ deliveries: 0, reason });
      expect(detail.deliveries).toEqual([]);
    }
    const two = await waitFor(async () => {
      const r = (await get('/v1/events/reach-two')).json();
      return r.routing.routedAt && r.counts.email && r.counts.sms?.delivered ? r : null;
    }, { what: 'reach-two routed, its SMS delivered' });
    expect(two.routing).toEqual({ routedAt: expect.any(String), deliveries: 2, reason: null });
    expect(two.deliveries.map((d: { channel: string }) => d.channel).sort()).toEqual(['email', 'sms']);
    expect(two.counts.sms).toEqual({ delivered: 1 });
    expect((await get('/v1/events/never-was')).statusCode).toBe(404);
  });
});

describe('per-user rate limits (3 per minute, 5 per hour here; counted from sms_messages)', () => {
  it('concurrent requests: 3 go in the first minute, the rest wait for room; the 6th waits for the hour', async () => {
    clock.set(new Date('2026-01-15T18:00:00Z'));
    const userId = await seedUser(hub.prisma, { externalId: 'bombed' });
    const phone = await kit.phoneOf(userId);
    await Promise.all([1, 2, 3, 4, 5].map((i) => send({ idempotencyKey: `bomb-${i}`, userId: 'bombed', text: `message ${i}` })));
    await waitFor(async () => (await hub.prisma.notificationDelivery.count({ where: { userId, status: { in: ['sent', 'delivered'] } } })) === 3 ? true : null, { what: '3 sent' });
    const deferred = await waitFor(async () => {
      const rows = await hub.prisma.notificationDelivery.findMany({ where: { userId, status: 'deferred' } });
      return rows.length === 2 ? rows : null;
    }, { what: '2 deferred' });
    for (const d of deferred) expect(d.deferredUntil).toEqual(new Date('2026-01-15T18:01:00Z'));
    await new Promise((r) => setTimeout(r, 500));
    expect(kit.sendsTo(phone)).toHaveLength(3);

    clock.set(new Date('2026-01-15T18:01:01Z'));
    await waitFor(async () => (await hub.prisma.notificationDelivery.count({ where: { userId, status: { in: ['sent', 'delivered'] } } })) === 5 ? true : null, { what: '5 sent' });
    await send({ idempotencyKey: 'bomb-6', userId: 'bombed', text: 'message 6' });
    const sixth = await kit.deliveryIn('send:bomb-6', 'deferred');
    expect(sixth.deferredUntil).toEqual(new Date('2026-01-15T19:00:00Z'));
    await new Promise((r) => setTimeout(r, 300));
    expect(kit.sendsTo(phone)).toHaveLength(5);
    // Urgent events are limited too (the limit is against floods, whatever their priority).
    const sms = await hub.prisma.smsMessage.findMany({ where: { userId } });
    expect(sms).toHaveLength(5);
  });
});

describe('safe defaults for new recipients (the seeds\')', () => {
  it('a recipient whose preferences the gateway creates gets toggles off and quiet hours 21:00–08:00', async () => {
    const gateway = await buildGateway({ prisma: hub.prisma, bus: hub.bus, log: hub.log, clock, metrics: createMetricsRegistry('gw-defaults'), publicBaseUrl: 'http://127.0.0.1:3000' });
    try {
      const auth = { authorization: `Bearer ${admin}` };
      expect((await gateway.inject({ method: 'PUT', url: '/v1/users/fresh-user', headers: auth, payload: { timezone: 'Europe/Paris' } })).statusCode).toBeLessThan(300);
      const before = (await gateway.inject({ method: 'GET', url: '/v1/users/fresh-user/sms-preferences', headers: auth })).json();
      expect(before).toMatchObject({ taskReminders: false, dailyBriefSms: false, urgentAlerts: true, quietHoursStart: '21:00', quietHoursEnd: '08:00' });
      const patched = await gateway.inject({ method: 'PATCH', url: '/v1/users/fresh-user/sms-preferences', headers: auth, payload: { dailySmsLimit: 5 } });
      expect(patched.statusCode).toBe(200);
      expect(patched.json()).toMatchObject({ taskReminders: false, dailyBriefSms: false, urgentAlerts: true, quietHoursStart: '21:00', quietHoursEnd: '08:00', dailySmsLimit: 5 });
    } finally {
      await gateway.close();
    }
  });
});

describe('template variables, opt-out wording, sent_at', () => {
  const auth = () => ({ authorization: `Bearer ${admin}` });

  it('a whitespace-only template is refused at save', async () => {
    const res = await hub.gateway.inject({ method: 'POST', url: '/v1/templates', headers: auth(), payload: { key: 'blank_one', name: 'Blank', text: '  \n\t ' } });
    expect(res.statusCode).toBe(400);
    expect(await hub.prisma.smsTemplate.count({ where: { templateKey: 'blank_one' } })).toBe(0);
  });

  it('a missing optional variable renders empty; a missing required one fails the delivery', async () => {
    clock.set(T0);
    const created = await hub.gateway.inject({
      method: 'POST', url: '/v1/templates', headers: auth(),
      payload: { key: 'seeds_reminder', name: 'Seeds reminder', text: 'BuildOS: {{task_name}} is due {{due_time}}. {{task_context}}', requiredVars: ['task_name'] },
    });
    expect(created.statusCode).toBe(201);
    await seedUser(hub.prisma, { externalId: 'vars-user' });
    await send({ idempotencyKey: 'vars-ok', userId: 'vars-user', templateKey: 'seeds_reminder', vars: { task_name: 'Write report', due_time: 'in 2 hours' } });
    await send({ idempotencyKey: 'vars-missing', userId: 'vars-user', templateKey: 'seeds_reminder', vars: { due_time: 'soon' } });
    expect((await kit.deliveryIn('send:vars-ok', 'delivered')).smsMessages[0]!.messageContent).toBe(`BuildOS: Write report is due in 2 hours.${FOOTER}`);
    const failed = await kit.finalDelivery('send:vars-missing');
    expect(failed.status).toBe('failed');
    expect(failed.lastErrorCode).toBe('template_missing_vars');
  });

  it('the seeded welcome text ("STOP to unsubscribe") gets no second footer', async () => {
    clock.set(T0);
    await seedUser(hub.prisma, { externalId: 'welcome-user' });
    await send({ idempotencyKey: 'welcome-1', userId: 'welcome-user', templateKey: 'welcome_sms' });
    const text = (await kit.deliveryIn('send:welcome-1', 'delivered')).smsMessages[0]!.messageContent;
    expect(text).toBe('Welcome to Notification Hub! Your phone is verified. Reply HELP for help, STOP to unsubscribe.');
  });

  it('sms_messages.sent_at keeps the acceptance time; the "sent" callback\'s time is provider_sent_at', async () => {
    const accepted = new Date('2026-01-15T20:00:00Z');
    clock.set(accepted);
    const userId = await seedUser(hub.prisma, { externalId: 'sent-at-user' });
    hub.sandbox.setScenario(await kit.phoneOf(userId), { delayMs: 1_500 });
    await send({ idempotencyKey: 'sent-at', userId: 'sent-at-user', text: 'timing' });
    const queued = await waitFor(async () => {
      const m = await hub.prisma.smsMessage.findFirst({ where: { userId } });
      return m?.twilioSid ? m : null;
    }, { what: 'accepted' });
    expect(queued.sentAt).toEqual(accepted);
    clock.set(new Date('2026-01-15T20:05:00Z'));
    const done = await waitFor(async () => {
      const m = await hub.prisma.smsMessage.findFirst({ where: { userId } });
      return m?.status === 'delivered' ? m : null;
    }, { what: 'delivered', timeoutMs: 20_000 });
    expect(done.sentAt).toEqual(accepted);
    expect(done.providerSentAt).toEqual(new Date('2026-01-15T20:05:00Z'));
  });
});
