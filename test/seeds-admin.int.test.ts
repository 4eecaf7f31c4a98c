import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser, uniqueEmail, uniquePhone } from './support/seed.ts';

/** Issue 16, item 9: recipients search, click counts per link / delivery / template. */
let hub: TestHub;
let admin = '';
let writer = '';

beforeAll(async () => {
  hub = await startHub({ allowedCountries: ['US'] });
  admin = await hub.apiKey(['admin:read']);
  writer = await hub.apiKey(['events:write']);
});
afterAll(async () => {
  await hub?.stop();
});

const get = (url: string) => hub.gateway.inject({ method: 'GET', url, headers: { authorization: `Bearer ${admin}` } });
const ids = (res: { json(): { items: { externalId: string }[] } }) => res.json().items.map((i) => i.externalId).sort();

describe('GET /v1/recipients', () => {
  it('finds recipients by phone (any form), email, verified, opted out and creation time, paging newest first', async () => {
    const phone = uniquePhone();
    const email = uniqueEmail('find');
    await seedUser(hub.prisma, { externalId: 'find-phone', phone });
    await seedUser(hub.prisma, { externalId: 'find-unverified', verified: false });
    await seedUser(hub.prisma, { externalId: 'find-optedout', optedOut: true });
    await seedUser(hub.prisma, { externalId: 'find-email', email });
    const national = `(${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`;
    expect(ids(await get(`/v1/recipients?phone=${encodeURIComponent(national)}`))).toEqual(['find-phone']);
    expect(ids(await get(`/v1/recipients?email=${encodeURIComponent(email.toUpperCase())}`))).toEqual(['find-email']);
    expect(ids(await get('/v1/recipients?verified=false'))).toEqual(['find-unverified']);
    expect(ids(await get('/v1/recipients?optedOut=true'))).toEqual(['find-optedout']);
    const future = await get('/v1/recipients?createdFrom=2999-01-01T00:00:00Z');
    expect(future.json().items).toEqual([]);

    const first = (await get('/v1/recipients?limit=3')).json();
    expect(first.items).toHaveLength(3);
    const second = (await get(`/v1/recipients?limit=3&cursor=${first.nextCursor}`)).json();
    expect(second.items).toHaveLength(1);
    expect(new Set([...first.items, ...second.items].map((i: { externalId: string }) => i.externalId)).size).toBe(4);
    const row = (await get(`/v1/recipients?phone=${encodeURIComponent(phone)}`)).json().items[0];
    expect(row.sms).toEqual({ phoneNumber: phone, phoneVerified: true, optedOut: false, optedOutAt: null });

    expect((await get('/v1/recipients?phone=12')).json().error.code).toBe('invalid_phone');
    expect((await get('/v1/recipients?verified=yes')).statusCode).toBe(400);
  });
});

describe('GET /v1/clicks, /v1/clicks/by-template', () => {
  it('counts clicks per link, per delivery and per template', async () => {
    await seedUser(hub.prisma, { externalId: 'clicker', subscriptions: [] });
    const send = (body: Record<string, unknown>) => hub.gateway.inject({ method: 'POST', url: '/v1/sends', headers: { authorization: `Bearer ${writer}` }, payload: body });
    const adhoc = (await send({ idempotencyKey: 'click-1', userId: 'clicker', text: 'Read https://example.com/a and https://example.com/b' })).json();
    const templated = (await send({ idempotencyKey: 'click-2', userId: 'clicker', templateKey: 'task_reminder', vars: { task_name: 'https://example.com/t', due_time: 'now' } })).json();
    const links = await waitFor(async () => {
      const rows = await hub.prisma.smsClickTracking.findMany({ where: { deliveryId: { in: [adhoc.deliveryId, templated.deliveryId] } } });
      return rows.length === 3 ? rows : null;
    }, { what: 'three tracked links' });
    const code = (url: string) => links.find((l) => l.destinationUrl === url)!.shortCode;
    for (const c of [code('https://example.com/a'), code('https://example.com/a'), code('https://example.com/t')]) {
      expect((await hub.gateway.inject({ method: 'GET', url: `/l/${c}` })).statusCode).toBe(302);
    }
    const byDelivery = (await get(`/v1/clicks?deliveryId=${adhoc.deliveryId}`)).json();
    expect(byDelivery.totalClicks).toBe(2);
    expect(byDelivery.items.map((l: { destinationUrl: string; clickCount: number }) => [l.destinationUrl, l.clickCount]).sort())
      .toEqual([['https://example.com/a', 2], ['https://example.com/b', 0]]);
    const byTemplate = (await get('/v1/clicks?templateKey=task_reminder')).json();
    expect(byTemplate).toMatchObject({ totalClicks: 1, items: [{ destinationUrl: 'https://example.com/t', clickCount: 1, templateKey: 'task_reminder', eventId: 'send:click-2' }] });
    const perTemplate = (await get('/v1/clicks/by-template')).json().items;
    expect(perTemplate).toEqual(expect.arrayContaining([
      { templateKey: 'task_reminder', links: 1, clickedLinks: 1, clicks: 1, deliveries: 1 },
      { templateKey: null, links: 2, clickedLinks: 1, clicks: 2, deliveries: 1 },
    ]));
  });
});

describe('audit trail (GET /v1/audit)', () => {
  it('records who changed a template, preferences, a delivery and keys, with before and after', async () => {
    const editorKey = await hub.apiKey(['admin:read', 'admin:write']);
    const keyRow = await hub.prisma.apiKey.findFirstOrThrow({ orderBy: { createdAt: 'desc' } });
    const editorName = keyRow.name;
    const as = (method: 'PUT' | 'PATCH' | 'POST', url: string, payload?: Record<string, unknown>) =>
      payload === undefined
        ? hub.gateway.inject({ method, url, headers: { authorization: `Bearer ${editorKey}` } })
        : hub.gateway.inject({ method, url, headers: { authorization: `Bearer ${editorKey}` }, payload });

    expect((await as('PUT', '/v1/templates/task_reminder', { text: 'Due: {{task_name}} at {{due_time}}' })).statusCode).toBe(200);
    const userId = await seedUser(hub.prisma, { externalId: 'audited' });
    expect((await as('PATCH', '/v1/users/audited/sms-preferences', { dailySmsLimit: 3, taskReminders: false })).statusCode).toBe(200);
    expect((await as('PATCH', '/v1/users/audited/sms-preferences', { quietHoursStart: '25:00', quietHoursEnd: '07:00' })).statusCode).toBe(400);
    await hub.prisma.notificationEvent.create({ data: { id: 'audit-ev', eventType: 'task.reminder', targetUserId: 'audited', payload: {}, occurredAt: new Date(), publishedAt: new Date(), routedAt: new Date() } });
    const d = await hub.prisma.notificationDelivery.create({ data: { eventId: 'audit-ev', userId, channel: 'sms', status: 'deferred', deferredUntil: new Date(Date.now() + 3_600_000) } });
    expect((await as('POST', `/v1/deliveries/${d.id}/cancel`)).statusCode).toBeLessThan(300);

    const trail = async (query: string) => waitFor(async () => {
      const items = (await get(`/v1/audit?${query}`)).json().items as { actor: string; action: string; targetId: string; changes: { before?: Record<string, unknown>; after?: Record<string, unknown>; changed?: string[]; body?: unknown } }[];
      return items.length > 0 ? items : null;
    }, { what: `audit ${query}` });

    const [template] = await trail('targetType=sms_template&targetId=task_reminder');
    expect(template).toMatchObject({ actor: editorName, action: 'PUT /v1/templates/:key', changes: { changed: ['messageTemplate'], after: { messageTemplate: 'Due: {{task_name}} at {{due_time}}' } } });
    expect(template!.changes.before!.messageTemplate).not.toBe('Due: {{task_name}} at {{due_time}}');

    const prefs = await trail('targetType=sms_preferences&targetId=audited');
    expect(prefs).toHaveLength(1); // the refused PATCH left no row
    expect(prefs[0]!.changes).toMatchObject({ changed: ['dailySmsLimit', 'taskReminders'], before: { dailySmsLimit: 10, taskReminders: true }, after: { dailySmsLimit: 3, taskReminders: false } });

    const [cancel] = await trail(`targetType=delivery&targetId=${d.id}`);
    expect(cancel).toMatchObject({ actor: editorName, action: 'POST /v1/deliveries/:id/cancel' });
    // and the delivery's own timeline shows the admin cancel, who did it and what the API answered
    const detail = (await get(`/v1/deliveries/${d.id}`)).json() as { status: string; adminActions: { action: string; actor: string; statusCode: number | null; at: string }[] };
    expect(detail.status).toBe('cancelled');
    expect(detail.adminActions).toEqual([{ action: 'POST /v1/deliveries/:id/cancel', actor: editorName, statusCode: expect.any(Number), at: expect.any(String) }]);
    expect(detail.adminActions[0]!.statusCode).toBeLessThan(300);

    const created = await trail('action=api_key.created');
    expect(created.length).toBeGreaterThanOrEqual(3);
    await hub.prisma.apiKey.update({ where: { id: keyRow.id }, data: { revokedAt: new Date() } });
    const [revoked] = await trail(`action=api_key.revoked&targetId=${keyRow.id}`);
    expect(revoked!.actor).toMatch(/^cli:/);

    const pageRes = await get('/v1/audit?limit=2');
    const page = pageRes.json();
    expect(pageRes.statusCode, pageRes.body).toBe(200);
    expect(page.items).toHaveLength(2);
    const next = (await get(`/v1/audit?limit=2&cursor=${page.nextCursor}`)).json();
    expect(next.items[0].id).not.toBe(page.items[1].id);
    expect((await get('/v1/audit?cursor=nope')).json().error.code).toBe('invalid_cursor');
  });
});
