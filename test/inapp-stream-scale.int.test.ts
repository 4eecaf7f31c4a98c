import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signInboxToken } from '@hub/gateway';
import { waitFor } from '@hub/testkit';
import { startHub, TEST_INBOX_KEY, type TestHub } from './support/hub.ts';
import { openSse, type SseClient } from './inapp-sse-client.ts';

// Issue 13: many concurrent inbox streams on one gateway process, fed by its one LISTEN
// connection (no per-connection polling): every stream gets exactly its user's item, and
// the time from the event POST to the item on the stream is measured (printed).

const USERS = Number(process.env.INAPP_SCALE_USERS ?? 150);
const STREAMS_PER_USER = 2;
let hub: TestHub;
let apiKey: string;
const streams: { user: string; client: SseClient }[] = [];

beforeAll(async () => {
  hub = await startHub();
  apiKey = await hub.apiKey(['events:write', 'admin:read']);
  await hub.prisma.$executeRaw`INSERT INTO users (external_id) SELECT 'scale-' || g FROM generate_series(1, ${USERS}) g`;
  await hub.prisma.$executeRaw`
    INSERT INTO notification_subscriptions (user_id, event_type, channels) SELECT id, 'scale.ping', ARRAY['inapp'] FROM users WHERE external_id LIKE 'scale-%'`;
}, 60_000);
afterAll(async () => {
  for (const s of streams) s.client.close();
  await hub?.stop();
});

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;

describe('inbox streams at scale', { timeout: 120_000 }, () => {
  it(`${USERS * STREAMS_PER_USER} concurrent streams each get exactly their user's item, live`, async () => {
    const opened: Promise<void>[] = [];
    for (let u = 1; u <= USERS; u++) {
      for (let k = 0; k < STREAMS_PER_USER; k++) {
        const user = `scale-${u}`;
        opened.push(openSse(`${hub.gatewayUrl}/v1/inbox/stream?token=${encodeURIComponent(signInboxToken(TEST_INBOX_KEY, user))}`).then(async (client) => {
          expect(client.status).toBe(200);
          streams.push({ user, client });
          await client.waitFor('counts', 1, 60_000);
        }));
      }
    }
    await Promise.all(opened);
    const gauge = await hub.gateway.inject({ method: 'GET', url: '/metrics' });
    expect(gauge.body).toMatch(new RegExp(`hub_inbox_streams(\\{[^}]*\\})? ${USERS * STREAMS_PER_USER}\\b`));

    const t0 = performance.now();
    const wall0 = Date.now();
    const events = Array.from({ length: USERS }, (_, i) => ({ id: `scale-evt-${i + 1}`, type: 'scale.ping', targetUserId: `scale-${i + 1}`, payload: { message: `ping ${i + 1}` } }));
    const res = await hub.gateway.inject({ method: 'POST', url: '/v1/events/batch', headers: { authorization: `Bearer ${apiKey}` }, payload: { events } });
    expect(res.statusCode).toBe(202);
    const stored: number[] = [];
    const arrivals = await Promise.all(streams.map(async ({ user, client }) => {
      const [item] = await client.waitFor('item', 1, 60_000);
      expect((item!.data as { eventId: string }).eventId).toBe(`scale-evt-${user.slice('scale-'.length)}`);
      stored.push(Date.parse((item!.data as { createdAt: string }).createdAt) - wall0);
      return item!.at - t0;
    }));
    await new Promise((r) => setTimeout(r, 300));
    for (const { client } of streams) expect(client.events.filter((e) => e.event === 'item')).toHaveLength(1);
    arrivals.sort((a, b) => a - b);
    console.log(`${streams.length} streams on one gateway; ${USERS} events in one batch POST -> item on each stream: p50 ${Math.round(quantile(arrivals, 0.5))} ms, p95 ${Math.round(quantile(arrivals, 0.95))} ms, max ${Math.round(arrivals[arrivals.length - 1]!)} ms; stored by the adapter: p50 ${Math.round(quantile(stored.sort((a, b) => a - b), 0.5))} ms, max ${Math.round(stored[stored.length - 1]!)} ms`);
    // One event while every stream stays open: the latency a user sees.
    const singles: number[] = [];
    for (let i = 1; i <= 5; i++) {
      const target = streams.filter((s) => s.user === `scale-${i}`);
      const t1 = performance.now();
      const one = await hub.gateway.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${apiKey}` }, payload: { id: `scale-one-${i}`, type: 'scale.ping', targetUserId: `scale-${i}`, payload: { message: 'one' } } });
      expect(one.statusCode).toBe(202);
      const got = await Promise.all(target.map(({ client }) => client.waitFor('item', 2, 30_000)));
      singles.push(Math.max(...got.map((items) => items[1]!.at)) - t1);
    }
    singles.sort((a, b) => a - b);
    for (const { client } of streams.splice(0)) client.close();
    await waitFor(async () => /hub_inbox_streams(\{[^}]*\})? 0\b/.test((await hub.gateway.inject({ method: 'GET', url: '/metrics' })).body) || null, { timeoutMs: 10_000, what: 'every stream closed' });
    console.log(`with ${USERS * STREAMS_PER_USER} streams open, one event POST -> item on both of its user's streams: median ${Math.round(quantile(singles, 0.5))} ms, max ${Math.round(singles[singles.length - 1]!)} ms (5 events)`);
  });
});
