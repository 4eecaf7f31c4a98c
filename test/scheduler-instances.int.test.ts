import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { Bus, ensureHubTopics, type RunningConsumer } from '@hub/bus';
import { z } from '@hub/config';
import { createPrisma, type PrismaClient } from '@hub/db';
import { createLogger } from '@hub/logger';
import { buildScheduler, type SchedulerDeps } from '@hub/scheduler';
import { createTestDatabase, waitFor } from '@hub/testkit';

/**
 * Several schedulers on one database (real PostgreSQL, real Kafka): every due job is
 * published exactly once on its target topic, none is left behind, and a live instance
 * slower to publish than the claim timeout keeps its jobs (claims are renewed).
 */
const TARGET = 'test.scheduler-target.v1';
const log = createLogger({ service: 'test', level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
const prefix = `t${randomBytes(4).toString('hex')}`;
const brokers = () => inject('kafkaBrokers');

/** A real Bus whose publishes to the target topic take `delayMs` longer (a slow or unreachable broker). */
class SlowBus extends Bus {
  delayMs = 0;
  override async sendRaw(fullTopic: string, messages: Parameters<Bus['sendRaw']>[1]): Promise<void> {
    if (this.delayMs > 0 && fullTopic === this.topic(TARGET)) await new Promise((r) => setTimeout(r, this.delayMs));
    return super.sendRaw(fullTopic, messages);
  }
}

let prisma: PrismaClient;
let dropDb: () => Promise<void>;
let testBus: Bus;
let counter: RunningConsumer;
const closers: (() => Promise<unknown>)[] = [];
/** Publishes seen on the target topic, per scheduled job id. */
const seen = new Map<string, number>();
let seenTotal = 0;

const newBus = (name: string, slow = false) => {
  const options = { clientId: `${prefix}-${name}`, brokers: brokers(), topicPrefix: prefix, logger: log.child({ service: name }), sessionTimeoutMs: 6_000 };
  const bus = slow ? new SlowBus(options) : new Bus(options);
  closers.push(() => bus.close());
  return bus;
};

beforeAll(async () => {
  const db = await createTestDatabase(inject('baseDatabaseUrl'), inject('templateDatabase'));
  dropDb = db.drop;
  prisma = createPrisma(db.url, { poolMax: 10 });
  testBus = newBus('test');
  await ensureHubTopics(testBus, { partitions: { 'notify.schedule.v1': 1 } });
  const admin = testBus.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: testBus.topic(TARGET), numPartitions: 2, replicationFactor: 1 }], waitForLeaders: false });
  await waitFor(async () => (await admin.fetchTopicOffsets(testBus.topic(TARGET))).length === 2, { what: 'target topic ready' });
  await admin.disconnect();
  counter = await testBus.consume({
    groupId: 'test.counter',
    topic: TARGET,
    schema: z.object({ n: z.number() }),
    handleBatch: async (messages) => {
      for (const m of messages) {
        const id = m.headers['x-scheduled-job-id'] ?? 'none';
        seen.set(id, (seen.get(id) ?? 0) + 1);
        seenTotal++;
      }
    },
  });
  await counter.ready;
});

afterAll(async () => {
  await counter?.stop();
  await Promise.allSettled(closers.map((c) => c()));
  await prisma?.$disconnect();
  await dropDb?.().catch(() => undefined);
});

/** Inserts `count` jobs for the target topic, due from `dueAt` on, spread over `spreadMs`. */
async function insertJobs(tag: string, count: number, dueAt: Date, spreadMs: number): Promise<string[]> {
  const rows = await prisma.scheduledJob.createManyAndReturn({
    data: Array.from({ length: count }, (_, n) => ({
      kind: 'test', dueAt: new Date(dueAt.getTime() + Math.floor((n * spreadMs) / count)), topic: testBus.topic(TARGET),
      key: `${tag}-${n % 7}`, payload: { n }, headers: {}, refId: tag, dedupeKey: `${tag}:${n}`,
    })),
    select: { id: true },
  });
  return rows.map((r) => r.id);
}

async function startScheduler(name: string, bus: Bus, extra: Partial<SchedulerDeps> = {}) {
  const s = await buildScheduler({ bus, prisma, log: log.child({ service: name }), pollMs: 50, instanceId: `${prefix}-${name}`, ...extra });
  closers.unshift(() => s.stop());
  await s.ready;
  return s;
}

const allDone = (ids: string[]) =>
  waitFor(async () => (await prisma.scheduledJob.count({ where: { id: { in: ids }, status: 'done' } })) === ids.length, { timeoutMs: 60_000, what: `${ids.length} jobs done` });

/** Once the schedulers are stopped (no publish in flight): the counter reads every message on the topic, one per job. */
async function expectEachPublishedOnce(ids: string[]) {
  const admin = testBus.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(testBus.topic(TARGET));
  await admin.disconnect();
  const produced = offsets.reduce((sum, p) => sum + Number(p.high), 0);
  await waitFor(async () => seenTotal >= produced, { timeoutMs: 30_000, what: `all ${produced} published messages read` });
  const counts = ids.map((id) => seen.get(id) ?? 0);
  expect(counts.filter((c) => c !== 1), 'jobs not published exactly once').toEqual([]);
  return produced;
}

describe('two scheduler instances on one database', () => {
  it('publish each of a few hundred due jobs exactly once, leaving none pending or claimed', async () => {
    const slowBus = newBus('a', true) as SlowBus;
    slowBus.delayMs = 150; // A publishes slowly (below the claim timeout): B certainly claims some too
    const ids = await insertJobs('pair', 400, new Date(Date.now() - 1_000), 3_000);
    const before = seenTotal;
    const pair = await Promise.all([
      startScheduler('a', slowBus, { batchSize: 40, claimTimeoutMs: 5_000 }),
      startScheduler('b', newBus('b'), { batchSize: 40, claimTimeoutMs: 5_000 }),
    ]);
    await allDone(ids);
    await Promise.all(pair.map((s) => s.stop()));
    const produced = await expectEachPublishedOnce(ids);
    expect(produced - before).toBe(ids.length);
    const byInstance = await prisma.scheduledJob.groupBy({ by: ['claimedBy'], where: { id: { in: ids } }, _count: true });
    console.log(`[scheduler-instances] ${ids.length} jobs fired by ${byInstance.map((g) => `${g.claimedBy}: ${g._count}`).join(', ')}`);
    expect(byInstance).toHaveLength(2);
    expect(await prisma.scheduledJob.count({ where: { id: { in: ids }, status: { not: 'done' } } })).toBe(0);
    expect(await prisma.scheduledJob.count({ where: { id: { in: ids }, attempts: { not: 1 } } })).toBe(0);
  }, 120_000);

  it('a live instance publishing for longer than the claim timeout keeps its jobs: another does not fire them again', async () => {
    const claimTimeoutMs = 1_500;
    const stuckBus = newBus('stuck', true) as SlowBus;
    stuckBus.delayMs = claimTimeoutMs * 3; // e.g. the broker unreachable for a while
    const ids = await insertJobs('stuck', 30, new Date(Date.now() + 500), 0);
    const before = seenTotal;
    const stuck = await startScheduler('stuck', stuckBus, { claimTimeoutMs });
    await waitFor(async () => (await prisma.scheduledJob.count({ where: { id: { in: ids }, status: 'claimed', claimedBy: `${prefix}-stuck` } })) === ids.length, { what: 'jobs claimed by the stuck instance' });
    // Another instance arrives while the first is still publishing, past the claim timeout.
    const rescuer = await startScheduler('rescuer', newBus('rescuer'), { claimTimeoutMs });
    await allDone(ids);
    // stop() waits for a publish in flight: a second firing by either instance is counted.
    await Promise.all([stuck.stop(), rescuer.stop()]);
    const produced = await expectEachPublishedOnce(ids);
    expect(produced - before).toBe(ids.length);
    const jobs = await prisma.scheduledJob.findMany({ where: { id: { in: ids } } });
    expect(jobs.every((j) => j.claimedBy === `${prefix}-stuck` && j.attempts === 1)).toBe(true);
  }, 120_000);
});
