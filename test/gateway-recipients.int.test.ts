import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { caller, type Caller } from '../services/gateway/test/helpers.ts';

let hub: TestHub;
let admin: Caller;
let reader: Caller;

beforeAll(async () => {
  hub = await startHub();
  admin = caller(hub.gateway, await hub.apiKey(['admin:write']));
  reader = caller(hub.gateway, await hub.apiKey(['admin:read']));
});
afterAll(async () => {
  await hub?.stop();
});

describe('auth matrix', () => {
  const routes: [method: 'GET' | 'PUT' | 'POST' | 'PATCH', url: string, scope: string, body?: unknown][] = [
    ['GET', '/v1/users/auth-user', 'admin:read'],
    ['PUT', '/v1/users/auth-user', 'admin:write', { timezone: 'UTC' }],
    ['PATCH', '/v1/users/auth-user/sms-preferences', 'admin:write', { dailySmsLimit: 3 }],
    ['POST', '/v1/users/auth-user/phone/verification', 'admin:write', { phone: '+15005550006' }],
    ['POST', '/v1/templates', 'admin:write', { key: 'x', name: 'x', text: 'x' }],
    ['GET', '/v1/metrics/daily', 'admin:read'],
    ['GET', '/v1/sms-messages', 'admin:read'],
    ['POST', '/v1/events', 'events:write', { id: 'auth-evt', type: 'task.reminder' }],
  ];

  it.each(routes)('%s %s: no key 401, bad key 401, revoked key 401, wrong scope 403', async (method, url, scope, body) => {
    const none = await caller(hub.gateway, null)(method, url, body);
    expect(none.status).toBe(401);
    expect(none.body.error?.code).toBe('unauthenticated');

    const garbage = await caller(hub.gateway, 'hub_000000000000_not-a-real-secret-at-all')(method, url, body);
    expect(garbage.status).toBe(401);
    expect(garbage.body.error?.code).toBe('invalid_api_key');

    const revokedKey = await hub.apiKey(['events:write', 'admin:write']);
    await hub.prisma.apiKey.update({ where: { prefix: revokedKey.split('_')[1]! }, data: { revokedAt: new Date() } });
    const revoked = await caller(hub.gateway, revokedKey)(method, url, body);
    expect(revoked.status).toBe(401);
    expect(revoked.body.error?.code).toBe('api_key_revoked');

    const wrongScope = scope === 'events:write' ? ['admin:write' as const] : scope === 'admin:write' ? ['admin:read' as const, 'events:write' as const] : ['events:write' as const];
    const forbidden = await caller(hub.gateway, await hub.apiKey(wrongScope))(method, url, body);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.error).toMatchObject({ code: 'insufficient_scope', message: expect.stringContaining(scope) });
  });

  it('accepts the key in x-api-key too', async () => {
    const key = await hub.apiKey(['admin:read']);
    const res = await hub.gateway.inject({ method: 'GET', url: '/v1/metrics/users', headers: { 'x-api-key': key } });
    expect(res.statusCode).toBe(200);
  });
});

describe('users', () => {
  it('creates (201), updates (200) and reads a user', async () => {
    const created = await admin('PUT', '/v1/users/alice', { timezone: 'Europe/London', locale: 'en-gb' });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ externalId: 'alice', timezone: 'Europe/London', locale: 'en-GB', sms: null });
    const updated = await admin('PUT', '/v1/users/alice', { timezone: 'America/New_York', locale: 'fr' });
    expect(updated.status).toBe(200);
    const read = await reader('GET', '/v1/users/alice');
    expect(read.body).toMatchObject({ timezone: 'America/New_York', locale: 'fr' });
    expect((await reader('GET', '/v1/users/nobody')).body.error?.code).toBe('user_not_found');
  });

  it.each([
    [{ timezone: 'Mars/Olympus' }, 'body.timezone'],
    [{ timezone: 'UTC', locale: 'not a locale!' }, 'body.locale'],
    [{ timezone: 'UTC', extra: 1 }, 'body'],
  ])('refuses %j', async (body, field) => {
    const res = await admin('PUT', '/v1/users/bad-user', body);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('validation_failed');
    expect((res.body.error?.fields as { field: string }[]).map((f) => f.field)).toContain(field);
    expect(await hub.prisma.user.count({ where: { externalId: 'bad-user' } })).toBe(0);
  });

  it('refuses malformed JSON and a too long id', async () => {
    const key = await hub.apiKey(['admin:write']);
    const res = await hub.gateway.inject({ method: 'PUT', url: '/v1/users/x', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, payload: '{"timezone":' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('invalid_json');
    expect((await admin('PUT', `/v1/users/${'a'.repeat(200)}`, {})).status).toBe(201);
    expect((await admin('PUT', `/v1/users/${'a'.repeat(201)}`, {})).body.error?.fields).toEqual([expect.objectContaining({ field: 'params.externalId' })]);
  });
});

describe('subscriptions', () => {
  it('upserts, lists and deletes', async () => {
    await admin('PUT', '/v1/users/sub-user', {});
    const put = await admin('PUT', '/v1/users/sub-user/subscriptions/task.reminder', { channels: ['sms'] });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ eventType: 'task.reminder', channels: ['sms'], active: true });
    await admin('PUT', '/v1/users/sub-user/subscriptions/brief.ready', { channels: ['sms'], active: false });
    const list = await reader('GET', '/v1/users/sub-user/subscriptions');
    expect((list.body.items as { eventType: string; active: boolean }[]).map((s) => [s.eventType, s.active])).toEqual([['brief.ready', false], ['task.reminder', true]]);
    expect((await admin('DELETE', '/v1/users/sub-user/subscriptions/brief.ready')).status).toBe(204);
    expect((await admin('DELETE', '/v1/users/sub-user/subscriptions/brief.ready')).body.error?.code).toBe('subscription_not_found');
    expect((await reader('GET', '/v1/users/sub-user/subscriptions')).body.items).toHaveLength(1);
  });

  it.each([
    ['/v1/users/sub-user/subscriptions/task.reminder', { channels: [] }],
    ['/v1/users/sub-user/subscriptions/task.reminder', { channels: ['push'] }],
    ['/v1/users/sub-user/subscriptions/task.reminder', { channels: ['sms', 'sms'] }],
    ['/v1/users/sub-user/subscriptions/Not%20A%20Type', { channels: ['sms'] }],
  ])('refuses %s %j', async (url, body) => {
    const res = await admin('PUT', url, body);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('validation_failed');
  });

  it('404s for an unknown user', async () => {
    expect((await admin('PUT', '/v1/users/ghost/subscriptions/task.reminder', { channels: ['sms'] })).status).toBe(404);
  });
});

describe('SMS preferences', () => {
  it('returns defaults, then updates toggles, quiet hours, zone and cap', async () => {
    await admin('PUT', '/v1/users/pref-user', {});
    const defaults = await reader('GET', '/v1/users/pref-user/sms-preferences');
    expect(defaults.body).toMatchObject({ phoneNumber: null, phoneVerified: false, taskReminders: true, dailyBriefSms: true, urgentAlerts: true, dailySmsLimit: 10, quietHoursStart: null, optedOut: false });
    const patched = await admin('PATCH', '/v1/users/pref-user/sms-preferences', {
      taskReminders: false, quietHoursStart: '22:00', quietHoursEnd: '07:00', timezone: 'Asia/Tokyo', dailySmsLimit: 0,
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ taskReminders: false, quietHoursStart: '22:00', quietHoursEnd: '07:00', timezone: 'Asia/Tokyo', dailySmsLimit: 0 });
    // One end moved alone is fine: the merged result has both.
    expect((await admin('PATCH', '/v1/users/pref-user/sms-preferences', { quietHoursEnd: '06:30' })).body).toMatchObject({ quietHoursEnd: '06:30' });
    expect((await admin('PATCH', '/v1/users/pref-user/sms-preferences', { quietHoursStart: null, quietHoursEnd: null })).body).toMatchObject({ quietHoursStart: null });
  });

  it.each([
    [{ quietHoursStart: '22:00' }, 'invalid_quiet_hours'],
    [{ quietHoursStart: '09:00', quietHoursEnd: '09:00' }, 'invalid_quiet_hours'],
    [{ quietHoursStart: '25:00', quietHoursEnd: '07:00' }, 'validation_failed'],
    [{ quietHoursStart: '7:00', quietHoursEnd: '08:00' }, 'validation_failed'],
    [{ timezone: 'Nowhere/City' }, 'validation_failed'],
    [{ dailySmsLimit: 101 }, 'validation_failed'],
    [{ dailySmsLimit: -1 }, 'validation_failed'],
    [{ dailySmsLimit: 2.5 }, 'validation_failed'],
    [{ phoneNumber: '+14155550100' }, 'validation_failed'],
    [{ phoneVerified: true }, 'validation_failed'],
    [{}, 'validation_failed'],
  ])('refuses %j (%s) and changes nothing', async (body, code) => {
    await admin('PUT', '/v1/users/strict-user', {});
    const before = await reader('GET', '/v1/users/strict-user/sms-preferences');
    const res = await admin('PATCH', '/v1/users/strict-user/sms-preferences', body);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe(code);
    expect((await reader('GET', '/v1/users/strict-user/sms-preferences')).body).toEqual(before.body);
  });

  it('opts out (audited, waiting deliveries cancelled) and back in', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'opt-user' });
    await hub.prisma.notificationEvent.create({ data: { id: 'opt-evt', eventType: 'task.reminder', targetUserId: 'opt-user' } });
    const waiting = await hub.prisma.notificationDelivery.create({ data: { eventId: 'opt-evt', userId, channel: 'sms', status: 'deferred' } });

    const out = await admin('POST', '/v1/users/opt-user/sms-preferences/opt-out', { reason: 'asked by phone' });
    expect(out.status).toBe(200);
    expect(out.body).toEqual({ optedOut: true, cancelledDeliveries: 1 });
    expect((await hub.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: waiting.id } })).status).toBe('cancelled');
    expect((await reader('GET', '/v1/users/opt-user/sms-preferences')).body).toMatchObject({ optedOut: true, optOutReason: 'asked by phone' });

    const back = await admin('POST', '/v1/users/opt-user/sms-preferences/opt-in');
    expect(back.body).toEqual({ optedOut: false, cancelledDeliveries: 0 });
    const audit = await hub.prisma.smsOptOutEvent.findMany({ where: { userId }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.action, a.source, a.actor])).toEqual([['opt_out', 'admin', 'test'], ['opt_in', 'admin', 'test']]);
  });

  it('cannot opt out a user without a phone number', async () => {
    await admin('PUT', '/v1/users/no-phone', {});
    const res = await admin('POST', '/v1/users/no-phone/sms-preferences/opt-out', {});
    expect(res.status).toBe(409);
    expect(res.body.error?.code).toBe('no_phone_number');
  });
});
