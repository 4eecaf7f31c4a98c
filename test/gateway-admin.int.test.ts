import { randomBytes } from 'node:crypto';
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

describe('templates', () => {
  it('lists the seeded templates', async () => {
    const res = await reader('GET', '/v1/templates');
    expect((res.body.items as { key: string }[]).map((t) => t.key).sort()).toEqual(['daily_brief_ready', 'task_reminder', 'urgent_task', 'welcome_sms']);
    expect((await reader('GET', '/v1/templates/task_reminder')).body).toMatchObject({ key: 'task_reminder', requiredVars: ['task_name', 'due_time'], vars: ['task_name', 'due_time'], isActive: true });
    expect((await reader('GET', '/v1/templates/nope')).status).toBe(404);
  });

  it('creates, updates, previews and deactivates a template', async () => {
    const created = await admin('POST', '/v1/templates', { key: 'promo_sms', name: 'Promo', text: 'Hi {{name}}, see {{url}}', requiredVars: ['name'], maxLength: 160 });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'promo_sms', vars: ['name', 'url'], requiredVars: ['name'], maxLength: 160, isActive: true, usageCount: 0 });
    expect((await admin('POST', '/v1/templates', { key: 'promo_sms', name: 'Again', text: 'x' })).body.error?.code).toBe('template_exists');

    const updated = await admin('PUT', '/v1/templates/promo_sms', { text: 'Hello {{name}}! {{url}}', description: 'spring' });
    expect(updated.body).toMatchObject({ text: 'Hello {{name}}! {{url}}', description: 'spring', name: 'Promo' });

    const preview = await reader('POST', '/v1/templates/promo_sms/preview', { vars: { name: 'Ann', url: 'https://x.test' } });
    expect(preview.status).toBe(200);
    // The link as the tracked short link it becomes (a sample code of the real length).
    expect(preview.body).toEqual({ text: 'Hello Ann! http://127.0.0.1:3000/l/xxxxxxxxxx', length: 45, encoding: 'GSM-7', segments: 1, ucs2Chars: [], vars: ['name', 'url'] });
    const missing = await reader('POST', '/v1/templates/promo_sms/preview', { vars: { url: 'u' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'missing_vars', missing: ['name'] });

    const off = await admin('POST', '/v1/templates/promo_sms/deactivate');
    expect(off.body).toMatchObject({ isActive: false });
    expect((await reader('GET', '/v1/templates?active=false')).body.items).toEqual([expect.objectContaining({ key: 'promo_sms' })]);
    expect((await admin('PUT', '/v1/templates/promo_sms', { isActive: true })).body).toMatchObject({ isActive: true });
  });

  it.each([
    [{ key: 'bad_req', name: 'x', text: 'Hi {{name}}', requiredVars: ['name', 'date'] }, 'unknown_required_vars'],
    [{ key: 'bad_len', name: 'x', text: 'Hi', maxLength: 0 }, 'validation_failed'],
    [{ key: 'bad_len2', name: 'x', text: 'Hi', maxLength: 1601 }, 'validation_failed'],
    [{ key: 'bad_fixed', name: 'x', text: 'This fixed text is long {{a}}', maxLength: 10 }, 'template_too_long'],
    [{ key: 'Bad Key', name: 'x', text: 'Hi' }, 'validation_failed'],
    [{ key: 'no_text', name: 'x' }, 'validation_failed'],
    [{ key: 'bad_var', name: 'x', text: 'Hi', requiredVars: ['not a var'] }, 'validation_failed'],
  ])('refuses to create %j (%s)', async (body, code) => {
    const res = await admin('POST', '/v1/templates', body);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe(code);
    expect(await hub.prisma.smsTemplate.count({ where: { templateKey: body.key } })).toBe(0);
  });

  it('refuses an update that breaks the template, and unknown templates', async () => {
    const res = await admin('PUT', '/v1/templates/task_reminder', { text: 'Reminder: {{task_name}}' });
    expect(res.body.error).toMatchObject({ code: 'unknown_required_vars', vars: ['due_time'] });
    expect((await reader('GET', '/v1/templates/task_reminder')).body.text).toBe('Reminder: {{task_name}} is due {{due_time}}.');
    expect((await admin('PUT', '/v1/templates/task_reminder', {})).body.error?.code).toBe('validation_failed');
    expect((await admin('PUT', '/v1/templates/ghost', { name: 'x' })).status).toBe(404);
    expect((await admin('POST', '/v1/templates/ghost/deactivate')).status).toBe(404);
  });

  it('previews ad-hoc text, detecting UCS-2 and counting segments', async () => {
    const ucs = await reader('POST', '/v1/templates/preview', { template: 'Привет, {{name}}! Задача готова ✅', vars: { name: 'Аня' } });
    expect(ucs.body).toMatchObject({ encoding: 'UCS-2', segments: 1, ucs2Chars: expect.arrayContaining(['П', '✅']) });
    const long = await reader('POST', '/v1/templates/preview', { template: `${'é'.repeat(60)}{{x}}`, vars: { x: '—'.repeat(11) } });
    expect(long.body).toMatchObject({ encoding: 'UCS-2', length: 71, segments: 2, ucs2Chars: ['—'] });
    const gsm = await reader('POST', '/v1/templates/preview', { template: '{{a}}', vars: { a: 'x'.repeat(161) } });
    expect(gsm.body).toMatchObject({ encoding: 'GSM-7', segments: 2 });
    const tooLong = await reader('POST', '/v1/templates/preview', { template: '{{a}}', vars: { a: 'abc' }, maxLength: 2 });
    expect(tooLong.body.error).toMatchObject({ code: 'too_long', length: 3, maxLength: 2 });
    expect((await reader('POST', '/v1/templates/preview', { template: 'Hi {{name}}', vars: {} })).body.error?.code).toBe('missing_vars');
    expect((await reader('POST', '/v1/templates/preview', { vars: {} })).body.error?.code).toBe('validation_failed');
  });
});

describe('events', () => {
  it('treats a re-post of the same id as a duplicate and a different event under it as a conflict', async () => {
    const key = await hub.apiKey(['events:write']);
    const post = caller(hub.gateway, key);
    const event = { id: 'idem-1', type: 'task.reminder', targetUserId: 'idem-user', payload: { task_name: 'A', due_time: 'now' } };
    const first = await post('POST', '/v1/events', event);
    expect(first).toMatchObject({ status: 202, body: { id: 'idem-1', status: 'accepted' } });
    const second = await post('POST', '/v1/events', event);
    expect(second).toMatchObject({ status: 202, body: { status: 'duplicate', acceptedAt: first.body.acceptedAt } });
    expect(second.headers['idempotent-replayed']).toBe('true');
    const conflict = await post('POST', '/v1/events', { ...event, type: 'brief.ready' });
    expect(conflict.status).toBe(409);
    const batch = await post('POST', '/v1/events/batch', { events: [event, { ...event, id: 'idem-2' }] });
    expect(batch.body.results).toEqual([{ id: 'idem-1', status: 'duplicate' }, { id: 'idem-2', status: 'accepted' }]);
    expect(await hub.prisma.notificationEvent.count({ where: { id: { startsWith: 'idem-' } } })).toBe(2);

    const metrics = (await hub.gateway.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/hub_gateway_events_total\{outcome="duplicate",service="gateway"\} 2/);
    expect(metrics).toMatch(/hub_http_request_duration_seconds_count\{service="gateway",method="POST",route="\/v1\/events",status_code="202"\} 2/);
  });
});

interface SeedSms { phone: string; status: 'delivered' | 'failed' | 'undelivered' | 'cancelled' | 'sent'; code?: number; segments?: number; at: Date; templateKey?: string }

async function seedMessages(userId: string, rows: SeedSms[]) {
  const templates = new Map((await hub.prisma.smsTemplate.findMany()).map((t) => [t.templateKey, t.id]));
  await hub.prisma.smsMessage.createMany({
    data: rows.map((r) => ({
      userId, phoneNumber: r.phone, messageContent: 'seeded', status: r.status, segments: r.segments ?? 1, createdAt: r.at, updatedAt: r.at,
      twilioSid: r.status === 'cancelled' ? null : `SM${randomBytes(16).toString('hex')}`, twilioErrorCode: r.code ?? null,
      twilioErrorMessage: r.code ? `error ${r.code}` : null, templateKey: r.templateKey ?? null, templateId: r.templateKey ? templates.get(r.templateKey) ?? null : null,
    })),
  });
}

describe('SMS message search', () => {
  it('pages through every message once, in a stable order, even with equal timestamps', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'pager', phone: '+14155559001' });
    const base = Date.UTC(2026, 0, 10, 12);
    const rows: SeedSms[] = Array.from({ length: 23 }, (_, i) => ({ phone: '+14155559001', status: i % 3 === 0 ? 'failed' : 'delivered', at: new Date(base + (i < 6 ? 0 : i) * 1_000) }));
    await seedMessages(userId, rows);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const url = `/v1/sms-messages?userId=pager&limit=5${cursor ? `&cursor=${cursor}` : ''}`;
      const res = await reader('GET', url);
      expect(res.status).toBe(200);
      seen.push(...(res.body.items as { id: string }[]).map((m) => m.id));
      cursor = res.body.nextCursor as string | null;
      pages++;
    } while (cursor);
    expect(pages).toBe(5);
    expect(new Set(seen).size).toBe(23);
    const expected = await hub.prisma.smsMessage.findMany({ where: { userId }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], select: { id: true } });
    expect(seen).toEqual(expected.map((m) => m.id));

    const failed = await reader('GET', '/v1/sms-messages?phone=(415)%20555-9001&status=failed&limit=200');
    expect(failed.body.items).toHaveLength(8);
    const window = await reader('GET', `/v1/sms-messages?userId=pager&from=${new Date(base + 10_000).toISOString()}&to=${new Date(base + 20_000).toISOString()}`);
    expect(window.body.items).toHaveLength(10);
  });

  it('filters by the event type and channel of the message\'s delivery', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'by-type', phone: '+14155559003' });
    const made: Record<string, string> = {};
    for (const [eventId, type, channel] of [['bt-1', 'task.reminder', 'sms'], ['bt-2', 'brief.ready', 'sms'], ['bt-3', 'brief.ready', 'push']] as const) {
      await hub.prisma.notificationEvent.create({ data: { id: eventId, eventType: type, targetUserId: 'by-type' } });
      const d = await hub.prisma.notificationDelivery.create({ data: { eventId, userId, channel, status: 'delivered' } });
      made[eventId] = (await hub.prisma.smsMessage.create({ data: { userId, phoneNumber: '+14155559003', messageContent: eventId, status: 'delivered', notificationDeliveryId: d.id } })).id;
    }
    await seedMessages(userId, [{ phone: '+14155559003', status: 'delivered', at: new Date() }]); // outside any delivery
    const list = async (q: string) => ((await reader('GET', `/v1/sms-messages?userId=by-type&${q}`)).body.items as { id: string }[]).map((m) => m.id).sort();
    expect(await list('eventType=brief.ready')).toEqual([made['bt-2'], made['bt-3']].sort());
    expect(await list('eventType=task.reminder')).toEqual([made['bt-1']]);
    expect(await list('channel=push')).toEqual([made['bt-3']]);
    expect(await list('eventType=brief.ready&channel=sms')).toEqual([made['bt-2']]);
    expect(await list('eventType=nothing.here')).toEqual([]);
    expect(await list('')).toHaveLength(4);
  });

  it.each([
    ['/v1/sms-messages?status=lost', 'validation_failed'],
    ['/v1/sms-messages?limit=0', 'validation_failed'],
    ['/v1/sms-messages?limit=201', 'validation_failed'],
    ['/v1/sms-messages?from=yesterday', 'validation_failed'],
    ['/v1/sms-messages?cursor=bm9wZQ', 'invalid_cursor'],
    ['/v1/sms-messages?phone=12', 'invalid_phone'],
  ])('refuses %s', async (url, code) => {
    const res = await reader('GET', url);
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe(code);
  });
});

describe('metrics API', () => {
  const day = new Date(Date.now() - 2 * 86_400_000);
  day.setUTCHours(12, 0, 0, 0);
  const date = day.toISOString().slice(0, 10);

  beforeAll(async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'metrics-user', phone: '+14155559002' });
    await seedUser(hub.prisma, { externalId: 'metrics-opted-out', optedOut: true });
    await seedUser(hub.prisma, { externalId: 'metrics-unverified', verified: false });
    await hub.prisma.user.create({ data: { externalId: 'metrics-no-prefs' } });
    await seedMessages(userId, [
      ...Array.from({ length: 8 }, () => ({ phone: '+14155559002', status: 'delivered' as const, at: day, templateKey: 'urgent_task' })),
      { phone: '+14155559002', status: 'failed', code: 30003, at: day },
      { phone: '+14155559002', status: 'undelivered', code: 30008, at: day },
      { phone: '+14155559002', status: 'failed', code: 21211, at: day },
      { phone: '+447700900123', status: 'delivered', segments: 2, at: day },
      { phone: '+447700900124', status: 'delivered', segments: 2, at: day },
      { phone: '+14155559002', status: 'cancelled', at: day },
    ]);
  });

  it('reports daily volume and delivery rate', async () => {
    const res = await reader('GET', '/v1/metrics/daily?days=7');
    expect(res.body.days).toHaveLength(7);
    expect((res.body.days as { date: string }[]).find((d) => d.date === date)).toEqual({ date, total: 14, sent: 13, delivered: 10, failed: 3, segments: 15, deliveryRate: 0.7692 });
    expect((await reader('GET', '/v1/metrics/daily?days=0')).status).toBe(400);
    expect((await reader('GET', '/v1/metrics/daily?timezone=Atlantis/Capital')).status).toBe(400);
  });

  it('reports failures by code with their category', async () => {
    const res = await reader('GET', '/v1/metrics/failures?days=7');
    const byCode = Object.fromEntries((res.body.byCode as { code: number; category: string; count: number }[]).map((c) => [c.code, c]));
    expect(byCode[30003]).toMatchObject({ category: 'unreachable', count: 1, retryable: true });
    expect(byCode[30008]).toMatchObject({ category: 'carrier_issue' });
    expect(byCode[21211]).toMatchObject({ category: 'invalid_number', retryable: false, lastMessage: 'error 21211' });
    expect(res.body.byCategory).toEqual(expect.arrayContaining([{ category: 'invalid_number', count: 1 }]));
  });

  it('reports template usage, users and cost by country', async () => {
    const templates = await reader('GET', '/v1/metrics/templates');
    expect((templates.body.items as { key: string }[]).find((t) => t.key === 'urgent_task')).toMatchObject({ messages: 8, delivered: 8, deliveryRate: 1 });
    const users = await reader('GET', '/v1/metrics/users');
    // The recipients of this file so far: pager, by-type, metrics-user (verified), metrics-opted-out
    // (verified, opted out), metrics-unverified, metrics-no-prefs (no preferences row).
    expect(users.body).toEqual({ users: 6, withPreferences: 5, verified: 4, optedOut: 1, reachable: 3, window: { days: 30, optOuts: 0, optIns: 0 } });
    const cost = await reader('GET', '/v1/metrics/cost?days=7');
    expect(cost.body).toMatchObject({ currency: 'USD', prices: { US: 0.0079, CA: 0.0079, '*': 0.05 } });
    expect((cost.body.byCountry as { country: string }[]).find((c) => c.country === 'GB')).toEqual({ country: 'GB', messages: 2, segments: 4, pricePerSegment: 0.05, estimatedCost: 0.2 });
  });
});

describe('validation: bad input gets a 400 and changes nothing', () => {
  const event = (id: string) => ({ id, type: 'task.reminder', targetUserId: 'nobody', payload: {} });

  it.each([
    ['an empty batch', () => ({ events: [] }), 'validation_failed'],
    ['a batch over GATEWAY_MAX_BATCH (500)', () => ({ events: Array.from({ length: 501 }, (_, i) => event(`vb-over-${i}`)) }), 'validation_failed'],
    ['a batch with one id twice', () => ({ events: [event('vb-dup-1'), event('vb-dup-2'), event('vb-dup-1')] }), 'duplicate_ids'],
  ])('refuses %s', async (_what, body, code) => {
    const post = caller(hub.gateway, await hub.apiKey(['events:write']));
    const res = await post('POST', '/v1/events/batch', body());
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe(code);
    expect(await hub.prisma.notificationEvent.count({ where: { id: { startsWith: 'vb-' } } })).toBe(0);
  });

  it('refuses an opt-out reason over 100 characters', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'long-reason' });
    const res = await admin('POST', '/v1/users/long-reason/sms-preferences/opt-out', { reason: 'x'.repeat(101) });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'validation_failed', fields: [expect.objectContaining({ field: 'body.reason' })] });
    expect(await hub.prisma.userSmsPreferences.findFirstOrThrow({ where: { user: { externalId: 'long-reason' } } })).toMatchObject({ optedOut: false });
    expect(await hub.prisma.smsOptOutEvent.count({ where: { userId } })).toBe(0);
  });

  it.each([
    ['daily', 0, 90],
    ['failures', 0, 90],
    ['templates', 0, 365],
    ['users', 0, 365],
    ['cost', 0, 366],
  ])('bounds the days of /v1/metrics/%s', async (path, below, max) => {
    expect((await reader('GET', `/v1/metrics/${path}?days=${below}`)).body.error?.code).toBe('validation_failed');
    expect((await reader('GET', `/v1/metrics/${path}?days=${max + 1}`)).body.error?.code).toBe('validation_failed');
    expect((await reader('GET', `/v1/metrics/${path}?days=1.5`)).status).toBe(400);
    expect((await reader('GET', `/v1/metrics/${path}?days=${max}`)).status).toBe(200);
  });
});
