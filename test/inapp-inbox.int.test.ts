import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import { signInboxJwt, signInboxToken } from '@hub/gateway';
import { startHub, TEST_INBOX_KEY, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { openSse, type SseClient } from './inapp-sse-client.ts';

// Issue 13: the in-app channel end to end on the real broker and database — the adapter
// stores items, the end-user inbox API lists and marks them, the SSE stream pushes them live
// and resumes after a reconnect without losing or repeating any; one user never reaches
// another's inbox.

let hub: TestHub;
let apiKey: string;
const streams: SseClient[] = [];

beforeAll(async () => {
  hub = await startHub();
  apiKey = await hub.apiKey(['events:write', 'admin:read', 'admin:write']);
});
afterAll(async () => {
  for (const s of streams) s.close();
  await hub?.stop();
});

const tokenOf = (externalId: string) => signInboxToken(TEST_INBOX_KEY, externalId);

async function post(id: string, targetUserId: string, payload: Record<string, unknown> = { task_name: id, due_time: 'soon' }, type = 'task.reminder') {
  const res = await hub.gateway.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${apiKey}` }, payload: { id, type, targetUserId, payload } });
  expect(res.statusCode).toBe(202);
}

async function inbox(token: string, method: 'GET' | 'POST', url: string, payload?: object) {
  const res = await hub.gateway.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies of many shapes, checked field by field
  return { status: res.statusCode, body: res.json() as Record<string, any> };
}

const delivered = (eventId: string) => waitFor(async () => {
  const d = await hub.prisma.notificationDelivery.findFirst({ where: { eventId, channel: 'inapp' } });
  return d?.status === 'delivered' ? d : null;
}, { timeoutMs: 20_000, what: `in-app delivery of ${eventId}` });

async function stream(token: string, opts: { lastEventId?: string; header?: string } = {}) {
  const q = new URLSearchParams({ token, ...(opts.lastEventId ? { lastEventId: opts.lastEventId } : {}) });
  const s = await openSse(`${hub.gatewayUrl}/v1/inbox/stream?${q}`, opts.header ? { 'last-event-id': opts.header } : {});
  streams.push(s);
  return s;
}

describe('in-app channel and inbox API', () => {
  it('stores an event as an inbox item rendered from the in-app template, delivered on the delivery row, with counts', async () => {
    await seedUser(hub.prisma, { externalId: 'ia-1', channels: ['inapp'] });
    await post('ia-evt-1', 'ia-1', { task_name: 'Pay rent', due_time: 'tomorrow' });
    const d = await delivered('ia-evt-1');
    expect(d.attempts).toBe(1);
    const { status, body } = await inbox(tokenOf('ia-1'), 'GET', '/v1/inbox/items');
    expect(status).toBe(200);
    expect(body.items).toHaveLength(1);
    expect(body.items[0]).toMatchObject({ eventId: 'ia-evt-1', eventType: 'task.reminder', title: 'Reminder: Pay rent', body: 'Pay rent is due tomorrow.', readAt: null, seenAt: null, seq: '1' });
    expect(body.counts).toEqual({ total: 1, unread: 1, unseen: 1, lastEventId: '1' });
    expect(d.externalId).toBe(body.items[0].id);
  });

  it('a redelivered request stores no second item', async () => {
    await seedUser(hub.prisma, { externalId: 'ia-dup', channels: ['inapp'] });
    await post('ia-dup-1', 'ia-dup');
    const d = await delivered('ia-dup-1');
    const { deliveryRequestSchema, deliveryTopic } = await import('@hub/contracts');
    await hub.bus.publish(deliveryTopic('inapp'), deliveryRequestSchema, [{
      key: d.userId, value: { deliveryId: d.id, eventId: d.eventId, userId: d.userId, channel: 'inapp', eventType: 'task.reminder', priority: 'normal', reason: 'new', requestedAt: new Date().toISOString() },
    }]);
    await post('ia-dup-2', 'ia-dup'); // a later event: once it is in, the replay was handled (same partition, in order)
    await delivered('ia-dup-2');
    const n = await hub.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM inapp_items WHERE event_id = 'ia-dup-1'`;
    expect(n[0]!.n).toBe(1);
  });

  it('pushes a new item to a connected stream, then resumes after Last-Event-ID with exactly the missed items, in order', async () => {
    await seedUser(hub.prisma, { externalId: 'ia-live', channels: ['inapp'] });
    const token = tokenOf('ia-live');
    const s1 = await stream(token);
    expect(s1.status).toBe(200);
    await s1.waitFor('counts', 1);
    const t0 = performance.now();
    await post('ia-live-1', 'ia-live');
    const [first] = await s1.waitFor('item', 1);
    expect(first!.id).toBe('1');
    expect((first!.data as { eventId: string }).eventId).toBe('ia-live-1');
    console.log(`event POST -> item on the stream: ${Math.round(first!.at - t0)} ms`);
    s1.close();

    await post('ia-live-2', 'ia-live');
    await post('ia-live-3', 'ia-live');
    await delivered('ia-live-3');
    // The browser's EventSource sends the id of the last event it saw as Last-Event-ID.
    const s2 = await stream(token, { header: first!.id! });
    const resumed = await s2.waitFor('item', 2);
    expect(resumed.map((e) => e.id)).toEqual(['2', '3']);
    await post('ia-live-4', 'ia-live');
    const after = await s2.waitFor('item', 3);
    expect(after.map((e) => e.id)).toEqual(['2', '3', '4']);
    // ?lastEventId= (first connection, from the list's counts.lastEventId) resumes the same way.
    const s3 = await stream(token, { lastEventId: '3' });
    expect((await s3.waitFor('item', 1)).map((e) => e.id)).toEqual(['4']);
    // No Last-Event-ID: only what comes next.
    const s4 = await stream(token);
    await s4.waitFor('counts', 1);
    await post('ia-live-5', 'ia-live');
    expect((await s4.waitFor('item', 1)).map((e) => e.id)).toEqual(['5']);
    expect((await s2.waitFor('item', 4)).map((e) => e.id)).toEqual(['2', '3', '4', '5']);
    expect(s2.events.filter((e) => e.event === 'item').length).toBe(4);
  });

  it('marks seen, read, archived (one and all) on the items and the delivery rows, with counts and state on the stream; filters and cursor pages', async () => {
    await seedUser(hub.prisma, { externalId: 'ia-mark', channels: ['inapp'], subscriptions: ['note.odd', 'note.even'] });
    const token = tokenOf('ia-mark');
    for (let i = 1; i <= 5; i++) await post(`ia-mark-${i}`, 'ia-mark', { title: `Item ${i}`, message: `body ${i}` }, i % 2 ? 'note.odd' : 'note.even');
    await delivered('ia-mark-5');
    const s = await stream(token);
    await s.waitFor('counts', 1);

    const page1 = await inbox(token, 'GET', '/v1/inbox/items?limit=2');
    expect(page1.body.items.map((i: { title: string }) => i.title)).toEqual(['Item 5', 'Item 4']);
    const page2 = await inbox(token, 'GET', `/v1/inbox/items?limit=2&cursor=${page1.body.nextCursor}`);
    const page3 = await inbox(token, 'GET', `/v1/inbox/items?limit=2&cursor=${page2.body.nextCursor}`);
    expect(page2.body.items.map((i: { title: string }) => i.title)).toEqual(['Item 3', 'Item 2']);
    expect(page3.body.items.map((i: { title: string }) => i.title)).toEqual(['Item 1']);
    expect(page3.body.nextCursor).toBeNull();

    const target = page1.body.items[1];
    const read = await inbox(token, 'POST', `/v1/inbox/items/${target.id}/mark`, { action: 'read' });
    expect(read.status).toBe(200);
    expect(read.body.readAt).not.toBeNull();
    expect(read.body.seenAt).not.toBeNull();
    await s.waitFor('state', 1);
    const counts = await s.waitFor('counts', 2);
    expect(counts[1]!.data).toMatchObject({ total: 5, unread: 4, unseen: 4 });
    const row = await hub.prisma.$queryRaw<{ read_at: Date | null; seen_at: Date | null; status: string }[]>`
      SELECT read_at, seen_at, status::text FROM notification_deliveries WHERE event_id = 'ia-mark-4' AND channel = 'inapp'`;
    expect(row[0]!.status).toBe('delivered');
    expect(row[0]!.read_at).not.toBeNull();

    expect((await inbox(token, 'GET', '/v1/inbox/items?read=false')).body.items).toHaveLength(4);
    expect((await inbox(token, 'GET', '/v1/inbox/items?eventType=note.odd')).body.items).toHaveLength(3);
    const seenAll = await inbox(token, 'POST', '/v1/inbox/mark-all', { action: 'seen', eventType: 'note.even' });
    expect(seenAll.body.updated).toBe(2);
    expect(seenAll.body.counts).toMatchObject({ unread: 4, unseen: 3 });
    const archived = await inbox(token, 'POST', `/v1/inbox/items/${page3.body.items[0].id}/mark`, { action: 'archive' });
    expect(archived.body.archivedAt).not.toBeNull();
    expect((await inbox(token, 'GET', '/v1/inbox/items')).body.items).toHaveLength(4);
    expect((await inbox(token, 'GET', '/v1/inbox/items?archived=true')).body.items).toHaveLength(1);
    const all = await inbox(token, 'POST', '/v1/inbox/mark-all', { action: 'read' });
    expect(all.body.counts).toMatchObject({ total: 4, unread: 0, unseen: 0 });
    const unread = await inbox(token, 'POST', `/v1/inbox/items/${target.id}/mark`, { action: 'unread' });
    expect(unread.body.readAt).toBeNull();
    expect((await inbox(token, 'GET', '/v1/inbox/counts')).body).toMatchObject({ unread: 1 });
  });

  it('never lets a user reach another user\'s inbox, and refuses API keys, forged, expired and over-long tokens', async () => {
    await seedUser(hub.prisma, { externalId: 'ia-alice', channels: ['inapp'] });
    await seedUser(hub.prisma, { externalId: 'ia-bob', channels: ['inapp'] });
    const alice = tokenOf('ia-alice');
    const bob = tokenOf('ia-bob');
    const bobStream = await stream(bob);
    await bobStream.waitFor('counts', 1);
    await post('ia-alice-1', 'ia-alice');
    await delivered('ia-alice-1');
    const aliceItem = (await inbox(alice, 'GET', '/v1/inbox/items')).body.items[0];
    expect(aliceItem.eventId).toBe('ia-alice-1');

    expect((await inbox(bob, 'GET', '/v1/inbox/items')).body.items).toHaveLength(0);
    for (const action of ['read', 'seen', 'archive', 'unread']) {
      const res = await inbox(bob, 'POST', `/v1/inbox/items/${aliceItem.id}/mark`, { action });
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('item_not_found');
    }
    expect((await inbox(bob, 'POST', '/v1/inbox/mark-all', { action: 'read' })).body.updated).toBe(0);
    expect((await inbox(alice, 'GET', '/v1/inbox/items')).body.items[0].readAt).toBeNull();
    // Bob's stream saw nothing of Alice's item (only its own initial counts).
    expect(bobStream.events.filter((e) => e.event === 'item')).toHaveLength(0);

    // A token for Bob cannot be turned into one for Alice: the MAC covers the user id.
    const [v, kid, , mac] = bob.split('.');
    const forged = `${v}.${kid}.${Buffer.from('ia-alice').toString('base64url')}.${mac}`;
    const refusals: [string, string, string][] = [
      ['an admin API key', apiKey, 'admin_key_not_accepted'],
      ['a forged HMAC token', forged, 'invalid_token'],
      ['a token of an unknown key', signInboxToken({ kid: 'other', secret: 'x'.repeat(40) }, 'ia-alice'), 'unknown_key'],
      ['a token signed with another secret', signInboxToken({ kid: 'test', secret: 'y'.repeat(40) }, 'ia-alice'), 'invalid_token'],
      ['an expired JWT', signInboxJwt(TEST_INBOX_KEY, { sub: 'ia-alice', exp: Math.floor(Date.now() / 1000) - 10 }), 'token_expired'],
      ['a JWT living a day', signInboxJwt(TEST_INBOX_KEY, { sub: 'ia-alice', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 86_400 }), 'token_lifetime_too_long'],
    ];
    for (const [what, token, code] of refusals) {
      const res = await inbox(token, 'GET', '/v1/inbox/items');
      expect({ what, status: res.status, code: res.body.error?.code }).toEqual({ what, status: 401, code });
    }
    const none = await hub.gateway.inject({ method: 'GET', url: '/v1/inbox/items' });
    expect(none.statusCode).toBe(401);
    const noStream = await hub.gateway.inject({ method: 'GET', url: `/v1/inbox/stream?token=${encodeURIComponent(forged)}` });
    expect(noStream.statusCode).toBe(401);
    // The user token is no admin credential either.
    const admin = await hub.gateway.inject({ method: 'GET', url: '/v1/deliveries', headers: { authorization: `Bearer ${alice}` } });
    expect(admin.statusCode).toBe(401);

    const jwt = signInboxJwt(TEST_INBOX_KEY, { sub: 'ia-alice', iat: Math.floor(Date.now() / 1000), exp: Math.floor(Date.now() / 1000) + 600 });
    expect((await inbox(jwt, 'GET', '/v1/inbox/items')).body.items[0].id).toBe(aliceItem.id);
  });

  it('a user who turned in-app off for an event type gets no item (skipped preference_off)', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'ia-pref', channels: ['inapp'] });
    await hub.prisma.notificationPreference.create({ data: { userId, channel: 'inapp', eventType: 'task.reminder', enabled: false, source: 'api' } });
    await post('ia-pref-1', 'ia-pref');
    const d = await waitFor(async () => {
      const row = await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'ia-pref-1', channel: 'inapp' } });
      return row?.status === 'skipped' ? row : null;
    }, { timeoutMs: 20_000, what: 'skipped' });
    expect(d.skipReason).toBe('preference_off');
  });
});
