import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { z } from 'zod';
import { createLogger } from '@hub/logger';
import { HEADERS, TOPICS } from '@hub/contracts';
import { waitFor } from '@hub/testkit';
import { Bus, ensureHubTopics, listDeadLetters, PoisonMessageError, replayDeadLetters, type DeadLetter, type RunningConsumer } from '../src/index.ts';

const log = createLogger({ service: 'dlq-test', level: process.env.TEST_LOG_LEVEL ?? 'silent', pretty: false });
const prefix = `d${randomBytes(4).toString('hex')}`;
const topic = TOPICS.schedule;
const schema = z.object({ n: z.number().int(), bad: z.boolean() });
let bus: Bus;
let consumer: RunningConsumer;
/** While true the handler refuses every `bad` message (a bug); the fix sets it false. */
let broken = true;
const handled: { n: number; headers: Record<string, string> }[] = [];

beforeAll(async () => {
  bus = new Bus({ clientId: `${prefix}-test`, brokers: inject('kafkaBrokers'), topicPrefix: prefix, logger: log, sessionTimeoutMs: 6_000 });
  await ensureHubTopics(bus);
  consumer = await bus.consume({
    groupId: 'dlq-subject', topic, schema,
    // All or nothing, like a handler's DB transaction: the bus re-runs a failed batch message by message.
    handleBatch: async (messages) => {
      const done: typeof handled = [];
      for (const m of messages) {
        if (m.value.bad && broken) throw new PoisonMessageError('refused', `message ${m.value.n} refused`);
        done.push({ n: m.value.n, headers: m.headers });
      }
      handled.push(...done);
    },
  });
  await consumer.ready;
}, 120_000);
afterAll(async () => {
  await consumer?.stop();
  await bus?.close();
});

const listed = async () => {
  const letters: DeadLetter[] = [];
  const run = await listDeadLetters(bus, { topic, onMessage: (l) => letters.push(l) });
  return { run, letters };
};

describe('dead-letter listing and replay', () => {
  it('lists what failed without consuming it, then replays it in chunks to the topic with its headers', async () => {
    const messages = [1, 2, 3, 4, 5].map((n) => ({ key: `k${n}`, value: { n, bad: n % 2 === 1 }, headers: { [HEADERS.correlationId]: `c${n}` } }));
    await bus.publish(topic, schema, messages);
    await waitFor(async () => handled.length === 2 && (await listed()).run.handled === 3, { timeoutMs: 30_000, what: '2 handled, 3 dead-lettered' });

    const first = await listed();
    expect(first.run).toEqual({ handled: 3, remaining: 0, skipped: 0 });
    expect(first.letters.map((l) => JSON.parse(l.value).n).sort()).toEqual([1, 3, 5]);
    for (const l of first.letters) {
      expect(l.reason).toBe('refused');
      expect(l.error).toMatch(/refused/);
      expect(l.origin).toMatch(new RegExp(`^${prefix}\\.${topic.replaceAll('.', '\\.')}/\\d+/\\d+$`));
      expect(Number.isNaN(Date.parse(l.failedAt ?? ''))).toBe(false);
    }
    // Listing again sees the same: nothing was consumed.
    expect((await listed()).run).toEqual({ handled: 3, remaining: 0, skipped: 0 });

    broken = false;
    const replayedFirst = await replayDeadLetters(bus, { topic, limit: 2 });
    expect(replayedFirst).toEqual({ handled: 2, remaining: 1, skipped: 0 });
    expect((await listed()).run).toEqual({ handled: 1, remaining: 0, skipped: 0 });
    expect(await replayDeadLetters(bus, { topic })).toEqual({ handled: 1, remaining: 0, skipped: 0 });
    expect(await replayDeadLetters(bus, { topic })).toEqual({ handled: 0, remaining: 0, skipped: 0 });

    await waitFor(async () => handled.length === 5, { timeoutMs: 30_000, what: 'the replayed messages handled' });
    const replayed = handled.filter((h) => h.n % 2 === 1);
    expect(replayed.map((h) => h.n).sort()).toEqual([1, 3, 5]);
    for (const h of replayed) {
      expect(h.headers[HEADERS.correlationId]).toBe(`c${h.n}`);
      expect(h.headers[HEADERS.replayedFrom]).toMatch(/\.dlq\/\d+\/\d+$/);
      expect(Object.keys(h.headers).filter((k) => k.startsWith('x-dlq-'))).toEqual([]);
    }
  }, 120_000);

  it('a replayed message that fails again goes back to the DLQ and waits for the next replay (no loop)', async () => {
    broken = true;
    await bus.publish(topic, schema, [{ key: 'k9', value: { n: 9, bad: true } }]);
    await waitFor(async () => (await listed()).run.handled === 1, { timeoutMs: 30_000, what: 'message 9 dead-lettered' });

    expect(await replayDeadLetters(bus, { topic })).toEqual({ handled: 1, remaining: 0, skipped: 0 });
    const again = await waitFor(async () => {
      const l = await listed();
      return l.run.handled === 1 ? l.letters[0] : null;
    }, { timeoutMs: 30_000, what: 'message 9 dead-lettered again' });
    expect(JSON.parse(again.value).n).toBe(9);
    expect(again.origin).toMatch(new RegExp(`^${prefix}\\.${topic.replaceAll('.', '\\.')}/`));

    broken = false;
    expect(await replayDeadLetters(bus, { topic })).toEqual({ handled: 1, remaining: 0, skipped: 0 });
    await waitFor(async () => handled.some((h) => h.n === 9), { timeoutMs: 30_000, what: 'message 9 handled after the fix' });
    expect((await listed()).run).toEqual({ handled: 0, remaining: 0, skipped: 0 });
  }, 120_000);
});
