import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '@hub/logger';
import { HEADERS, TOPICS } from '@hub/contracts';
import { waitFor } from '@hub/testkit';
import { Bus, ensureHubTopics } from '../src/index.ts';

const log = createLogger({ service: 'bus-test', level: 'silent', pretty: false });
const prefix = `b${randomBytes(4).toString('hex')}`;
let bus: Bus;

beforeAll(async () => {
  bus = new Bus({ clientId: `${prefix}-test`, brokers: inject('kafkaBrokers'), topicPrefix: prefix, logger: log, sessionTimeoutMs: 6_000 });
  await ensureHubTopics(bus);
});
afterAll(async () => {
  await bus?.close();
});

const schema = z.object({ n: z.number().int(), from: z.string() });

describe('Bus', () => {
  it('coalesces concurrent publishes into few writes; every caller resolves and each caller keeps its order', async () => {
    const seen: { from: string; n: number }[] = [];
    const consumer = await bus.consume({
      groupId: 'coalesce', topic: TOPICS.smsInbound, schema,
      handleBatch: async (messages) => {
        for (const m of messages) seen.push(m.value);
      },
    });
    await consumer.ready;
    const callers = 50;
    const perCaller = 20;
    // Same key per caller: one partition, so its order is observable.
    await Promise.all(Array.from({ length: callers }, (_, c) => (async () => {
      for (let n = 0; n < perCaller; n++) {
        await bus.publish(TOPICS.smsInbound, schema, [{ key: `caller-${c}`, value: { n, from: `caller-${c}` } }]);
      }
    })()));
    await waitFor(async () => seen.length >= callers * perCaller, { timeoutMs: 30_000, what: 'every message consumed' });
    expect(seen).toHaveLength(callers * perCaller);
    for (let c = 0; c < callers; c++) {
      expect(seen.filter((m) => m.from === `caller-${c}`).map((m) => m.n)).toEqual(Array.from({ length: perCaller }, (_, i) => i));
    }
    await consumer.stop();
  }, 60_000);

  it('never merges concurrent writes into a request over the broker limit (8 × 200 KB to one partition all succeed)', async () => {
    const big = 'x'.repeat(200_000);
    await expect(Promise.all(Array.from({ length: 8 }, (_, n) =>
      bus.sendRaw(bus.topic(TOPICS.smsInbound), [{ key: 'one-partition', value: JSON.stringify({ n, from: big }), headers: {} }])))).resolves.toHaveLength(8);
  }, 60_000);

  it('rejects every caller of a write that failed, and later writes still go', async () => {
    await expect(bus.sendRaw(`${prefix}.no-such-topic`, [{ key: null, value: 'x', headers: {} }])).rejects.toThrow();
    await expect(bus.publish(TOPICS.smsInbound, schema, [{ key: 'after', value: { n: 1, from: 'after' } }])).resolves.toBeUndefined();
  }, 60_000);

  it('dead-letters a message its handler cannot process with the original bytes and the reason', async () => {
    const original = '{ "from": "poison",   "n": 7, "extra": "kept" }';
    const dlq: { value: string; reason: string | undefined }[] = [];
    const dlqConsumer = await bus.kafka.consumer({ groupId: `${prefix}-dlq-reader` });
    await dlqConsumer.connect();
    await dlqConsumer.subscribe({ topic: bus.topic(`${TOPICS.smsStatus}.dlq`), fromBeginning: true });
    await dlqConsumer.run({
      eachMessage: async ({ message }) => {
        dlq.push({ value: message.value?.toString('utf8') ?? '', reason: message.headers?.[HEADERS.dlqReason]?.toString() });
      },
    });
    const consumer = await bus.consume({
      groupId: 'poison', topic: TOPICS.smsStatus, schema: schema.passthrough(), maxUnknownAttempts: 2,
      handleBatch: async () => {
        throw new Error('cannot handle this one');
      },
    });
    await consumer.ready;
    await bus.sendRaw(bus.topic(TOPICS.smsStatus), [{ key: 'k', value: original, headers: {} }]);
    await waitFor(async () => dlq.length > 0, { timeoutMs: 30_000, what: 'dead-lettered' });
    expect(dlq[0]).toEqual({ value: original, reason: 'handler_error' });
    await consumer.stop();
    await dlqConsumer.disconnect();
  }, 60_000);
});
