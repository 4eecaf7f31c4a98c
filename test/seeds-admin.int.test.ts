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
