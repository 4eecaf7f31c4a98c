import { createHash, randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import type { KafkaMessage } from 'kafkajs';
import { createLogger } from '@hub/logger';
import { dlqOf, HEADERS, TOPICS } from '@hub/contracts';
import { databaseUrlFor, waitFor } from '@hub/testkit';
import { Bus, ensureHubTopics, TransientError, type RunningConsumer } from '../src/index.ts';

// Issue 11: a message PostgreSQL refuses, a DLQ copy too large for Kafka and an outage longer
// than the session timeout, each on a real broker and a real database.
const log = createLogger({ service: 'poison-test', level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
const prefix = `p${randomBytes(4).toString('hex')}`;
const SESSION_MS = 6_000;
let bus: Bus;
let db: pg.Pool;
const schema = z.object({ n: z.number().int(), text: z.string() });

beforeAll(async () => {
  bus = new Bus({ clientId: `${prefix}-test`, brokers: inject('kafkaBrokers'), topicPrefix: prefix, logger: log, sessionTimeoutMs: SESSION_MS });
  await ensureHubTopics(bus, { partitions: { [TOPICS.events]: 1, [TOPICS.smsStatus]: 1, [TOPICS.schedule]: 1, [TOPICS.smsInbound]: 1 } });
  // Read-only statements on the migrated template: PostgreSQL's own refusals, nothing written.
  db = new pg.Pool({ connectionString: databaseUrlFor(inject('baseDatabaseUrl'), inject('templateDatabase')), max: 2 });
}, 120_000);
afterAll(async () => {
  await bus?.close();
  await db?.end();
});

/** Every message of a topic's DLQ twin (a fresh reader each time). */
async function readDlq(topic: string, expected: number): Promise<KafkaMessage[]> {
  const got: KafkaMessage[] = [];
  const reader = bus.kafka.consumer({ groupId: `${prefix}-reader-${randomBytes(3).toString('hex')}`, maxWaitTimeInMs: 100 });
  await reader.connect();
  await reader.subscribe({ topic: bus.topic(dlqOf(topic)), fromBeginning: true });
  await reader.run({ eachMessage: async ({ message }) => void got.push(message) });
  try {
    await waitFor(async () => got.length >= expected, { timeoutMs: 30_000, what: `${expected} DLQ messages on ${topic}` });
    await new Promise((r) => setTimeout(r, 1_500)); // and no more than that
    return got;
  } finally {
    await reader.disconnect();
  }
}

/** A consumer that records what it handled and how often its group rebalanced. */
async function subject(topic: string, handle: (m: { n: number; text: string }) => Promise<void>) {
  const handled: number[] = [];
  const consumer: RunningConsumer = await bus.consume({
    groupId: `subject-${topic}`, topic, schema,
    handleBatch: async (messages) => {
      for (const m of messages) {
        await handle(m.value);
        handled.push(m.value.n);
      }
    },
  });
  await consumer.ready;
  return { handled, consumer };
}

const header = (m: KafkaMessage, name: string) => m.headers?.[name]?.toString();

describe('poison messages (issue 11)', () => {
  it('dead-letters a value PostgreSQL refuses exactly once, and the next message on the partition is handled within seconds', async () => {
    // The text becomes NUL-bearing only inside the handler, past the bus's own check.
    const nul = await subject(TOPICS.smsStatus, async (v) => {
      await db.query('SELECT $1::text AS t', [v.text.replaceAll('~', '\u0000')]);
    });
    const t0 = Date.now();
    await bus.sendRaw(bus.topic(TOPICS.smsStatus), [
      { key: 'k', value: JSON.stringify({ n: 2, text: 'bad~value' }), headers: { [HEADERS.correlationId]: 'c2' } },
      { key: 'k', value: JSON.stringify({ n: 3, text: 'good' }), headers: {} },
    ]);
    await waitFor(async () => nul.handled.includes(3), { timeoutMs: 15_000, what: 'the message after the poison one handled' });
    const movedOnMs = Date.now() - t0;
    const letters = await readDlq(TOPICS.smsStatus, 1);
    expect(letters).toHaveLength(1);
    expect(header(letters[0]!, HEADERS.dlqReason)).toBe('refused');
    expect(header(letters[0]!, HEADERS.dlqError)).toMatch(/UTF8|0x00/);
    expect(header(letters[0]!, HEADERS.correlationId)).toBe('c2');
    expect(nul.handled).toEqual([3]);
    console.info(`poison refused by PostgreSQL: next message handled ${movedOnMs} ms after publish`);
    await nul.consumer.stop();
  }, 90_000);

  it('retries an outage longer than the session timeout in place: no eviction, no DLQ, handled once', async () => {
    let failUntil = 0;
    const s = await subject(TOPICS.schedule, async () => {
      if (Date.now() < failUntil) throw new TransientError('database unavailable');
    });
    failUntil = Date.now() + SESSION_MS * 1.7;
    await bus.sendRaw(bus.topic(TOPICS.schedule), [{ key: 'k', value: JSON.stringify({ n: 10, text: 'x' }), headers: {} }]);
    await waitFor(async () => s.handled.includes(10), { timeoutMs: 40_000, what: 'handled after the outage' });
    expect(s.handled).toEqual([10]);
    // Had the member been evicted, its commit would fail and message 10 would come back.
    await new Promise((r) => setTimeout(r, 3_000));
    expect(s.handled).toEqual([10]);
    const admin = bus.admin();
    await admin.connect();
    const [dlqEnd] = await admin.fetchTopicOffsets(bus.topic(dlqOf(TOPICS.schedule)));
    const committed = await admin.fetchOffsets({ groupId: bus.topic(`subject-${TOPICS.schedule}`), topics: [bus.topic(TOPICS.schedule)] });
    await admin.disconnect();
    expect(dlqEnd?.high).toBe('0');
    expect(committed[0]?.partitions[0]?.offset).toBe('1');
    await s.consumer.stop();
  }, 90_000);

  it('a DLQ copy too large for Kafka is truncated with the original size and hash, never thrown', async () => {
    const s = await subject(TOPICS.smsInbound, async (v) => {
      if (v.text.length > 1_000) await db.query('SELECT $1::timestamptz', ['0000-01-01T00:00:00Z']); // 22008: year 0000
    });
    // Just under the broker's 1 MiB limit: accepted by Kafka, but value + x-dlq-* headers is not.
    const big = JSON.stringify({ n: 20, text: 'x'.repeat(1_048_000) });
    await bus.sendRaw(bus.topic(TOPICS.smsInbound), [{ key: 'k', value: big, headers: {} }]);
    await bus.sendRaw(bus.topic(TOPICS.smsInbound), [{ key: 'k', value: JSON.stringify({ n: 21, text: 'small' }), headers: {} }]);
    await waitFor(async () => s.handled.includes(21), { timeoutMs: 15_000, what: 'the next message handled' });
    const [letter, ...more] = await readDlq(TOPICS.smsInbound, 1);
    expect(more).toHaveLength(0);
    expect(header(letter!, HEADERS.dlqTruncated)).toBe('true');
    expect(Number(header(letter!, HEADERS.dlqOriginalBytes))).toBe(Buffer.byteLength(big));
    expect(header(letter!, HEADERS.dlqSha256)).toBe(createHash('sha256').update(big).digest('hex'));
    expect(big.startsWith(letter!.value!.toString('utf8'))).toBe(true);
    expect(header(letter!, HEADERS.dlqOffset)).toBe('0');
    await s.consumer.stop();
  }, 90_000);
});
