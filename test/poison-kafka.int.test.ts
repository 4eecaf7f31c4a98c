import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import kafkajs from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dlqOf, HEADERS, TOPIC_SCHEMAS, TOPICS, type TopicName } from '@hub/contracts';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { CliError, runCli } from '../scripts/hub-cli.ts';

// Issue 11, the Kafka half of the attack suite: every class of bad message, produced with a
// plain producer to every topic a service consumes, lands in that topic's DLQ exactly once,
// the next good message on the same partition is processed within seconds, and the bad ones
// write nothing.

let hub: TestHub;
let producer: kafkajs.Producer;
const now = () => new Date().toISOString();

/** The consumer group that reads each topic (services/<name>/src/app.ts). */
const GROUPS: Record<TopicName, string> = {
  [TOPICS.events]: 'router',
  [TOPICS.smsDeliveries]: 'sms-adapter',
  [TOPICS.smsStatus]: 'status-ingest.status',
  [TOPICS.smsInbound]: 'status-ingest.inbound',
  [TOPICS.emailDeliveries]: 'email-adapter',
  [TOPICS.emailStatus]: 'email-adapter.status',
  [TOPICS.inappDeliveries]: 'inapp-adapter',
  [TOPICS.routing]: 'router.routing',
  [TOPICS.schedule]: 'scheduler',
};

/** A valid message per topic whose handling writes nothing (unknown ids), marked `poison`. */
const GOOD: Record<TopicName, () => Record<string, unknown>> = {
  [TOPICS.events]: () => ({ id: `poison-ok-${randomUUID()}`, type: 'poison.nobody', payload: {}, occurredAt: now() }),
  [TOPICS.smsDeliveries]: () => ({ deliveryId: randomUUID(), eventId: 'poison-none', userId: randomUUID(), channel: 'sms', eventType: 'task.reminder', priority: 'normal', requestedAt: now() }),
  [TOPICS.smsStatus]: () => ({ messageId: randomUUID(), sid: 'SMpoison0000000000000000000000000', status: 'delivered', receivedAt: now() }),
  [TOPICS.smsInbound]: () => ({ sid: 'SMpoison0000000000000000000000001', from: '+15005550006', to: '+15005550006', body: 'poison test', receivedAt: now() }),
  [TOPICS.emailDeliveries]: () => ({ deliveryId: randomUUID(), eventId: 'poison-none', userId: randomUUID(), channel: 'email', eventType: 'task.reminder', priority: 'normal', requestedAt: now() }),
  [TOPICS.emailStatus]: () => ({ messageId: randomUUID(), kind: 'delivered', raw: 'delivered', occurredAt: now(), receivedAt: now() }),
  [TOPICS.inappDeliveries]: () => ({ deliveryId: randomUUID(), eventId: 'poison-none', userId: randomUUID(), channel: 'inapp', eventType: 'task.reminder', priority: 'normal', requestedAt: now() }),
  [TOPICS.routing]: () => ({ kind: 'fallback', eventId: 'poison-none', userId: randomUUID(), fromChannel: 'sms', deliveryId: randomUUID(), requestedAt: now() }),
  [TOPICS.schedule]: () => ({ kind: 'poison', dueAt: '9999-01-01T00:00:00Z', topic: TOPICS.events, key: null, payload: {} }),
};

/** JSON text nested n deep (built as text: JSON.stringify itself overflows the stack on it). */
const deep = (n: number): string => `${'{"d":'.repeat(n)}1${'}'.repeat(n)}`;
const withRaw = (value: Record<string, unknown>, field: string, raw: string) =>
  JSON.stringify({ ...value, [field]: '__RAW__' }).replace('"__RAW__"', raw);

/** Every class of bad value for one topic, derived from its good message. */
function badMessages(topic: TopicName): { what: string; value: Buffer | string | null }[] {
  const good = GOOD[topic]();
  const fields = Object.keys(good);
  const strings = fields.filter((f) => typeof good[f] === 'string');
  const dates = fields.filter((f) => /At$|For$/.test(f));
  const records = fields.filter((f) => good[f] !== null && typeof good[f] === 'object');
  const out: { what: string; value: Buffer | string | null }[] = [
    { what: 'no value (tombstone)', value: null },
    { what: 'empty value', value: '' },
    { what: 'not JSON', value: '{"id": ' },
    { what: 'invalid UTF-8', value: Buffer.from([0xff, 0xfe, 0x7b, 0x7d]) },
    { what: 'JSON array', value: '[]' },
    { what: 'JSON number', value: '42' },
    { what: 'JSON null', value: 'null' },
    { what: 'empty object', value: '{}' },
    { what: 'nested 10,000 deep', value: deep(10_000) },
    { what: 'a huge string field', value: JSON.stringify({ ...good, [strings[0]!]: 'x'.repeat(900_000) }) },
  ];
  for (const f of fields) {
    // A field with a default (payload, priority, key…) may be left out: that message is good.
    const missing = { ...good, [f]: undefined };
    if (!TOPIC_SCHEMAS[topic].safeParse(missing).success) out.push({ what: `${f} missing`, value: JSON.stringify(missing) });
    out.push({ what: `${f} of the wrong type`, value: JSON.stringify({ ...good, [f]: typeof good[f] === 'number' ? 'seven' : 7 }) });
  }
  for (const f of strings) {
    out.push({ what: `NUL in ${f}`, value: JSON.stringify({ ...good, [f]: `${String(good[f])}\u0000` }) });
    // JSON.stringify writes a lone surrogate as the escape \ud800, as a hostile producer would.
    out.push({ what: `lone surrogate in ${f}`, value: JSON.stringify({ ...good, [f]: `${String(good[f])}\ud800` }) });
  }
  for (const f of dates) out.push({ what: `year 0000 in ${f}`, value: JSON.stringify({ ...good, [f]: '0000-01-01T00:00:00Z' }) });
  for (const f of records) {
    out.push({ what: `NUL deep in ${f}`, value: JSON.stringify({ ...good, [f]: { a: [{ b: 'x\u0000' }] } }) });
    out.push({ what: `NUL in a key of ${f}`, value: JSON.stringify({ ...good, [f]: { 'k\u0000': 1 } }) });
    out.push({ what: `${f} nested 10,000 deep`, value: withRaw(good, f, deep(10_000)) });
    out.push({ what: `${f} nested 40 deep`, value: withRaw(good, f, deep(40)) });
  }
  // Arbitrary JSON from fast-check (fixed seed): any value that is not an object of the topic's shape.
  const arbitrary = fc.sample(fc.oneof(fc.jsonValue(), fc.array(fc.jsonValue()), fc.string()), { seed: 11, numRuns: 8 });
  for (const [i, v] of arbitrary.entries()) out.push({ what: `arbitrary JSON #${i}`, value: JSON.stringify(v ?? null) ?? 'null' });
  return out;
}

beforeAll(async () => {
  hub = await startHub({ partitions: 1 });
  const kafka = new kafkajs.Kafka({ clientId: 'poison-producer', brokers: hub.brokers, logLevel: kafkajs.logLevel.NOTHING });
  producer = kafka.producer();
  await producer.connect();
}, 180_000);
afterAll(async () => {
  await producer?.disconnect();
  await hub?.stop();
});

async function offsets(topic: string, groupId: string) {
  const admin = hub.bus.admin();
  await admin.connect();
  try {
    const [end] = await admin.fetchTopicOffsets(hub.bus.topic(topic));
    const [committed] = await admin.fetchOffsets({ groupId: hub.bus.topic(groupId), topics: [hub.bus.topic(topic)] });
    return { end: BigInt(end?.high ?? '0'), committed: BigInt(committed?.partitions[0]?.offset ?? '-1') };
  } finally {
    await admin.disconnect();
  }
}

/** Origin offsets of every DLQ copy of a topic so far. */
async function dlqOrigins(topic: string, expected: number): Promise<string[]> {
  const origins: string[] = [];
  const reader = hub.bus.kafka.consumer({ groupId: `${hub.prefix}-dlq-${randomUUID()}`, maxWaitTimeInMs: 100 });
  await reader.connect();
  await reader.subscribe({ topic: hub.bus.topic(dlqOf(topic)), fromBeginning: true });
  await reader.run({ eachMessage: async ({ message }) => void origins.push(message.headers?.[HEADERS.dlqOffset]?.toString() ?? '?') });
  try {
    await waitFor(async () => origins.length >= expected, { timeoutMs: 30_000, what: `${expected} DLQ copies of ${topic}` });
    await new Promise((r) => setTimeout(r, 1_000));
    return origins;
  } finally {
    await reader.disconnect();
  }
}

describe('poison messages on every consumed topic', () => {
  for (const topic of Object.keys(GROUPS) as TopicName[]) {
    it(`${topic}: each bad message is dead-lettered once; the next good one is processed within seconds`, async () => {
      const bad = badMessages(topic);
      const before = await offsets(topic, GROUPS[topic]);
      await producer.send({ topic: hub.bus.topic(topic), messages: bad.map((b) => ({ key: 'poison', value: b.value })) });
      const sentAt = Date.now();
      await producer.send({ topic: hub.bus.topic(topic), messages: [{ key: 'poison', value: JSON.stringify(GOOD[topic]()) }] });
      const end = before.end + BigInt(bad.length) + 1n;
      await waitFor(async () => (await offsets(topic, GROUPS[topic])).committed >= end, { timeoutMs: 30_000, what: `${GROUPS[topic]} past the good message` });
      const movedOnMs = Date.now() - sentAt;

      const origins = await dlqOrigins(topic, bad.length);
      const expected = bad.map((_, i) => String(before.end + BigInt(i)));
      // Exactly one copy per bad message, and none of the good one.
      expect([...origins].sort()).toEqual([...expected].sort());
      console.info(`${topic}: ${bad.length} bad messages dead-lettered once each; good message committed ${movedOnMs} ms after it was produced`);
    }, 120_000);
  }

  it('the good event after the poison is routed and delivered, and the bad ones wrote nothing', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'poison-user' });
    await producer.send({ topic: hub.bus.topic(TOPICS.events), messages: [
      { key: 'poison-user', value: JSON.stringify({ id: 'poison-bad-1', type: 'task.reminder', targetUserId: 'poison-user', payload: { task_name: 'x\u0000' }, occurredAt: now() }) },
      { key: 'poison-user', value: JSON.stringify({ id: 'poison-good-1', type: 'task.reminder', targetUserId: 'poison-user', payload: { task_name: 'after the poison', due_time: 'now' }, occurredAt: now() }) },
    ] });
    await waitFor(async () => (await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'poison-good-1', userId } }))?.status === 'delivered', { timeoutMs: 30_000, what: 'the good event delivered' });
    // Only the good ones were stored: the events-topic good message and this one.
    expect(await hub.prisma.notificationEvent.count({ where: { id: { startsWith: 'poison-ok-' } } })).toBe(1);
    expect(await hub.prisma.notificationEvent.count({ where: { id: 'poison-bad-1' } })).toBe(0);
    expect(await hub.prisma.scheduledJob.count({ where: { kind: 'poison' } })).toBe(1); // the one good schedule request
    expect(await hub.prisma.smsMessageEvent.count({ where: { twilioSid: { startsWith: 'SMpoison' } } })).toBe(0);
  }, 60_000);

  it('the operator CLI lists, shows and replays one dead letter by its position', async () => {
    const cli = async (...args: string[]) => {
      const lines: string[] = [];
      await runCli(args, { prisma: hub.prisma, print: (l) => lines.push(l), bus: () => hub.bus });
      return lines;
    };
    const listed = await cli('dlq', 'list', 'events', '--limit', '3');
    expect(listed).toHaveLength(4);
    expect(listed[0]).toMatch(/^0\/0 .* empty_value/);
    expect(listed[3]).toMatch(/^3 listed; \d+ more waiting in notify\.events\.v1\.dlq$/);
    await expect(cli('dlq', 'replay', 'events')).rejects.toThrow(CliError);
    await expect(cli('dlq', 'show', 'events', '--offset', 'zero')).rejects.toThrow(/partition>\/<offset/);
    const [shown] = await cli('dlq', 'show', 'events', '--offset', '0/2');
    expect(shown).toMatch(/^0\/2 .* invalid_json/);
    // Replaying one letter that is still bad sends it back to the DLQ once; the progress of a full replay is untouched.
    const before = (await offsets(dlqOf(TOPICS.events), 'unused')).end;
    expect(await cli('dlq', 'replay', 'events', '--offset', '0/2')).toEqual([expect.stringMatching(/^0\/2 /), expect.stringMatching(/^1 replayed to notify\.events\.v1; 0 waiting/)]);
    await waitFor(async () => (await offsets(dlqOf(TOPICS.events), 'unused')).end === before + 1n, { timeoutMs: 20_000, what: 'the replayed letter dead-lettered again' });
    expect((await cli('dlq', 'list', 'events', '--limit', '1')).at(-1)).toMatch(new RegExp(`^1 listed; ${before} more waiting`));
  }, 60_000);
});
