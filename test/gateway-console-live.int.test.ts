import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { ConsumerLagReader } from '@hub/bus';
import { systemClock, TOPICS } from '@hub/contracts';
import { createLogger } from '@hub/logger';
import { createMetricsRegistry } from '@hub/runtime';
import { waitFor } from '@hub/testkit';
import { buildGateway } from '@hub/gateway';
import { startHub, type TestHub } from './support/hub.ts';
import { postReminder } from './support/events.ts';
import { seedUser, uniqueEmail, uniquePhone } from './support/seed.ts';
import { openSse, type SseClient } from './inapp-sse-client.ts';
import { caller, type Caller } from '../services/gateway/test/helpers.ts';

/**
 * The console's admin routes against a real hub: the live delivery stream (one shared feed per
 * gateway process, resume by Last-Event-ID, bounded, cleaned up), consumer lag read from the
 * brokers, and a recipient's opt-out history with the admin opt-out / opt-in it records.
 */

let hub: TestHub;
let readerKey: string;
let admin: Caller;
let reader: Caller;
let producerKey: string;
const log = createLogger({ service: 'console-live-test', level: 'silent', pretty: false });

beforeAll(async () => {
  hub = await startHub();
  readerKey = await hub.apiKey(['admin:read']);
  reader = caller(hub.gateway, readerKey);
  admin = caller(hub.gateway, await hub.apiKey(['admin:write']));
  producerKey = await hub.apiKey(['events:write']);
}, 60_000);
afterAll(async () => {
  await hub?.stop();
});

const live = (base: string, headers: Record<string, string> = {}) => openSse(`${base}/v1/deliveries/live`, { authorization: `Bearer ${readerKey}`, ...headers });
interface DeliveryData { id: string; eventId: string; status: string; updatedAt: string; channel: string }
const deliveriesOf = (s: SseClient, eventId: string) => s.events.filter((e) => e.event === 'delivery' && (e.data as DeliveryData).eventId === eventId);
const metric = async (base: string, name: string) => {
  const text = await (await fetch(`${base}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
};

describe('GET /v1/deliveries/live', () => {
  it('refuses a request that does not accept an event stream (406) and a malformed Last-Event-ID (400)', async () => {
    expect((await reader('GET', '/v1/deliveries/live')).body.error?.code).toBe('not_acceptable');
    const bad = await reader('GET', '/v1/deliveries/live', undefined, { accept: 'text/event-stream', 'last-event-id': 'abc' });
    expect([bad.status, bad.body.error?.code]).toEqual([400, 'invalid_last_event_id']);
    expect((await caller(hub.gateway, producerKey)('GET', '/v1/deliveries/live', undefined, { accept: 'text/event-stream' })).status).toBe(403);
  });

  it('streams a new delivery and its status changes until delivered, with timeline entries; resumes from Last-Event-ID', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'live-user', phone });
    // Callbacks 2 s apart: the delivery is sent for a few polls before it is delivered.
    hub.sandbox.setScenario(phone, { delayMs: 2_000 });
    const stream = await live(hub.gatewayUrl);
    expect(stream.status).toBe(200);
    const eventId = `live-${Date.now()}`;
    await postReminder(hub, producerKey, eventId, 'live-user');
    await waitFor(async () => deliveriesOf(stream, eventId).some((e) => (e.data as DeliveryData).status === 'delivered'), { what: 'the delivery delivered on the stream', timeoutMs: 30_000 });
    const seen = deliveriesOf(stream, eventId);
    const statuses = seen.map((e) => (e.data as DeliveryData).status);
    // It appeared before it was delivered (pending or sent first), each version once, ids = updatedAt in ms.
    expect(statuses[0]).not.toBe('delivered');
    expect(new Set(seen.map((e) => e.id)).size).toBe(seen.length);
    for (const e of seen) expect(e.id).toBe(String(Date.parse((e.data as DeliveryData).updatedAt)));
    const deliveryId = (seen[0]!.data as DeliveryData).id;
    expect(stream.events.some((e) => e.event === 'timeline' && (e.data as { deliveryId: string }).deliveryId === deliveryId)).toBe(true);
    stream.close();

    // A reconnect with the id of its first event gets the delivery's latest version from the catch-up.
    const resumed = await live(hub.gatewayUrl, { 'last-event-id': seen[0]!.id! });
    await waitFor(async () => deliveriesOf(resumed, eventId).some((e) => (e.data as DeliveryData).status === 'delivered'), { what: 'the catch-up' });
    resumed.close();
    // Too far back: reset (reload the view).
    const old = await live(hub.gatewayUrl, { 'last-event-id': String(Date.now() - 3_600_000) });
    await old.waitFor('reset', 1);
    old.close();
  }, 60_000);

  it('one poller per process, only while a stream is open; bounded streams; heartbeats; streams end after their lifetime', async () => {
    const metrics = createMetricsRegistry('gateway');
    const second: FastifyInstance = await buildGateway({
      prisma: hub.prisma, bus: hub.bus, log, clock: systemClock, metrics, publicBaseUrl: 'http://127.0.0.1:3000',
      consoleLive: { maxStreams: 2, pollMs: 100, heartbeatMs: 200, maxStreamMs: 1_500 },
    });
    try {
      await second.listen({ port: 0, host: '127.0.0.1' });
      const base = `http://127.0.0.1:${(second.server.address() as AddressInfo).port}`;
      const polls = () => metric(base, 'hub_console_feed_polls_total');
      expect(await polls()).toBe(0);
      const [a, b] = [await live(base), await live(base)];
      expect(await metric(base, 'hub_console_streams')).toBe(2);
      const third = await fetch(`${base}/v1/deliveries/live`, { headers: { authorization: `Bearer ${readerKey}`, accept: 'text/event-stream' } });
      expect([third.status, ((await third.json()) as { error: { code: string } }).error.code]).toEqual([503, 'too_many_streams']);
      await waitFor(async () => (await polls()) >= 5, { what: 'polls while streams are open' });

      // Heartbeat comments on the raw stream.
      a.close();
      await waitFor(async () => (await metric(base, 'hub_console_streams')) === 1, { what: 'a closed stream removed' });
      const raw = await fetch(`${base}/v1/deliveries/live`, { headers: { authorization: `Bearer ${readerKey}`, accept: 'text/event-stream' } });
      const reader = raw.body!.getReader();
      let text = '';
      while (!text.includes(': keep-alive')) text += new TextDecoder().decode((await reader.read()).value);
      // The lifetime ends the stream from the server side.
      while (!(await reader.read()).done) { /* drain until the gateway ends it */ }
      b.close();
      await waitFor(async () => (await metric(base, 'hub_console_streams')) === 0, { what: 'every stream removed' });
      const stopped = await polls();
      await new Promise((r) => setTimeout(r, 500));
      expect(await polls()).toBe(stopped);
    } finally {
      await second.close();
    }
  }, 60_000);

  it('reads changed deliveries through the (status, updated_at) index, without a new one', async () => {
    const plan = await hub.prisma.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN SELECT id FROM notification_deliveries
      WHERE status = ANY(ARRAY['pending','deferred','sent','delivered','failed','skipped','cancelled']::delivery_status[]) AND updated_at > now() - interval '5 seconds'`);
    const text = plan.map((p) => p['QUERY PLAN']).join('\n');
    console.log(`[console-live] plan of the feed's read:\n${text}`);
    await hub.prisma.$executeRawUnsafe('SET enable_seqscan = off');
    const forced = await hub.prisma.$queryRawUnsafe<{ 'QUERY PLAN': string }[]>(`EXPLAIN SELECT id FROM notification_deliveries
      WHERE status = ANY(ARRAY['pending','sent']::delivery_status[]) AND updated_at > now() - interval '5 seconds'`);
    await hub.prisma.$executeRawUnsafe('RESET enable_seqscan');
    expect(forced.map((p) => p['QUERY PLAN']).join('\n')).toMatch(/notification_deliveries_status_updated_at_idx/);
  });
});

describe('GET /v1/metrics/consumer-lag', () => {
  it('lists every service with its groups, partitions and states; cached', async () => {
    const res = await reader('GET', '/v1/metrics/consumer-lag');
    expect(res.status).toBe(200);
    const services = res.body.services as { service: string; lag: number; groups: { groupId: string; state: string | null; members: number | null; partitions: unknown[] }[] }[];
    expect(services.map((s) => s.service)).toEqual(['router', 'sms-adapter', 'email-adapter', 'inapp-adapter', 'status-ingest', 'scheduler']);
    const router = services.find((s) => s.service === 'router')!.groups.find((g) => g.groupId === 'router')!;
    expect(router.state).toBe('Stable');
    expect(router.members).toBeGreaterThanOrEqual(1);
    expect(router.partitions.length).toBeGreaterThan(0);
    const again = await reader('GET', '/v1/metrics/consumer-lag');
    expect(again.body.checkedAt).toBe(res.body.checkedAt);
  });

  it('counts messages a group has not committed (a group that never consumed: from the log start)', async () => {
    const lagReader = new ConsumerLagReader(hub.bus);
    try {
      const before = (await lagReader.read([{ groupId: 'nobody-reads', topic: TOPICS.events }]))[0]!;
      expect(before.partitions.every((p) => p.committed === null)).toBe(true);
      await seedUser(hub.prisma, { externalId: 'lag-user' });
      await postReminder(hub, producerKey, `lag-${Date.now()}`, 'lag-user');
      await waitFor(async () => (await lagReader.read([{ groupId: 'nobody-reads', topic: TOPICS.events }]))[0]!.lag === before.lag + 1, { what: 'one more message of lag' });
      const routed = (await lagReader.read([{ groupId: 'router', topic: TOPICS.events }]))[0]!;
      expect(routed.partitions.some((p) => p.committed !== null)).toBe(true);
    } finally {
      await lagReader.close();
    }
  });
});

describe('GET /v1/users/:externalId/opt-out-history', () => {
  it('shows admin opt-outs and opt-ins on SMS and email, newest first, with the actor; each change audited', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'history-user', phone, email: uniqueEmail('history') });
    expect((await reader('GET', '/v1/users/history-user/opt-out-history')).body.items).toEqual([]);
    expect((await admin('POST', '/v1/users/history-user/sms-preferences/opt-out', { reason: 'asked by phone' })).status).toBe(200);
    expect((await admin('POST', '/v1/users/history-user/sms-preferences/opt-in', {})).status).toBe(200);
    expect((await admin('POST', '/v1/users/history-user/email/opt-out', {})).status).toBe(200);
    const res = await reader('GET', '/v1/users/history-user/opt-out-history');
    expect(res.status).toBe(200);
    const items = res.body.items as { channel: string; action: string; source: string; address: string; actor: string | null; at: string }[];
    expect(items.map((i) => [i.channel, i.action, i.source])).toEqual([['email', 'opt_out', 'admin'], ['sms', 'opt_in', 'admin'], ['sms', 'opt_out', 'admin']]);
    expect(items[1]!.address).toBe(phone);
    expect(items.every((i) => i.actor === 'test')).toBe(true);
    expect((await reader('GET', '/v1/users/history-user/opt-out-history?limit=1')).body.items).toHaveLength(1);
    const audited = await waitFor(async () => {
      const rows = await hub.prisma.adminAuditEvent.findMany({ where: { targetId: 'history-user' } });
      return rows.length >= 3 ? rows : null;
    }, { what: 'the audit rows' });
    expect(audited.map((r) => r.action).sort()).toEqual(expect.arrayContaining([expect.stringContaining('opt-out'), expect.stringContaining('opt-in')]));
    expect((await reader('GET', '/v1/users/nobody-here/opt-out-history')).status).toBe(404);
  });
});
