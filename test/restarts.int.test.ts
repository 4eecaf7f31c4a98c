import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaBroker } from '@hub/kafka-local';
import { migrate } from '@hub/db';
import { startPostgres, waitFor, type LocalPostgres } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { sendCounts } from './support/events.ts';

/**
 * Restart Kafka, then PostgreSQL, during a steady stream of events: every accepted
 * event is delivered exactly once and the services reconnect on their own.
 */
let broker: KafkaBroker | null = null;
let hub: TestHub | null = null;
let pgServer: LocalPostgres | null = null;
const dataDir = mkdtempSync(path.join(tmpdir(), 'hub-restart-kafka-'));

afterAll(async () => {
  await hub?.stop();
  await broker?.stop();
  await pgServer?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Posts like a well-behaved client: a 5xx is retried with the same event id. */
async function postWithRetry(h: TestHub, key: string, id: string, target: string): Promise<number> {
  for (let attempt = 0; attempt < 120; attempt++) {
    const res = await h.gateway.inject({
      method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${key}` },
      payload: { id, type: 'task.reminder', targetUserId: target, payload: { task_name: id, due_time: 'now' } },
    }).catch(() => null);
    if (res && res.statusCode === 202) return attempt;
    if (res && res.statusCode < 500) throw new Error(`unexpected ${res.statusCode}: ${res.body}`);
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`event ${id} was never accepted`);
}

async function expectDeliveredOnce(h: TestHub, ids: string[]) {
  let last = '';
  const rows = await waitFor(async () => {
    const list = await h.prisma.notificationDelivery.findMany({ where: { eventId: { in: ids } }, include: { smsMessages: true } });
    const events = await h.prisma.notificationEvent.count({ where: { id: { in: ids } } });
    const counts: Record<string, number> = {};
    for (const d of list) counts[`${d.status}/${d.smsMessages[0]?.status ?? '-'}`] = (counts[`${d.status}/${d.smsMessages[0]?.status ?? '-'}`] ?? 0) + 1;
    last = `${events} events stored, deliveries ${JSON.stringify(counts)}`;
    return list.length === ids.length && list.every((d) => d.status === 'delivered') ? list : null;
  }, { timeoutMs: 90_000, what: `${ids.length} events delivered` }).catch((err: Error) => {
    throw new Error(`${err.message}; last seen: ${last}`);
  });
  await h.sandbox.drain();
  const counts = sendCounts(h);
  for (const d of rows) expect(counts.get(d.smsMessages[0]!.id), `sends of ${d.eventId}`).toBe(1);
}

describe('infrastructure restarts during a steady stream', { timeout: 240_000 }, () => {
  it('loses nothing when the Kafka broker restarts', async () => {
    broker = await startKafka({ dataDir });
    hub = await startHub({ brokers: broker.brokers });
    const key = await hub.apiKey(['events:write']);
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) await seedUser(hub.prisma, { externalId: `kr-${i}` });
    for (let i = 0; i < 30; i++) {
      if (i === 10) await broker.restart();
      ids.push(`kr-e${i}`);
      await postWithRetry(hub, key, `kr-e${i}`, `kr-${i}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await expectDeliveredOnce(hub, ids);
  });

  it('loses nothing when PostgreSQL restarts (killed, down a few seconds, crash recovery)', async () => {
    await hub?.stop();
    // A server of this test's own: the machine's shared one must not restart under other tests.
    pgServer = await startPostgres();
    const databaseUrl = pgServer.url.replace(/\/postgres$/, '/hub_restart');
    await migrate({ databaseUrl, migrationsDir: path.resolve(import.meta.dirname, '../prisma/migrations') });
    hub = await startHub({ databaseUrl });
    const h = hub;
    const key = await h.apiKey(['events:write']);
    const ids: string[] = [];
    let retried = 0;
    for (let i = 0; i < 20; i++) await seedUser(h.prisma, { externalId: `pr-${i}` });
    let restarted: Promise<void> | null = null;
    for (let i = 0; i < 20; i++) {
      // Not awaited: the stream goes on (and is refused) while the server is down.
      if (i === 8) restarted = pgServer.restart(4_000);
      ids.push(`pr-e${i}`);
      retried += await postWithRetry(h, key, `pr-e${i}`, `pr-${i}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await restarted;
    await expectDeliveredOnce(h, ids);
    expect(retried, 'the gateway should have refused events while the database was away').toBeGreaterThan(0);
  });
});
