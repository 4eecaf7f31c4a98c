import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import kafkajs, { type Admin, type Consumer, type Kafka, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKafka, type KafkaBroker } from '../src/index.ts';
import { client, collect, committedTotal, waitFor, type Received } from './clients.ts';

const topic = 'orders';
const group = 'order-readers';

function messages(from: number, count: number) {
  return Array.from({ length: count }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}` }));
}

async function highWatermarkTotal(admin: Admin): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, p) => sum + Number(p.high), 0);
}

describe('a real Kafka broker (KRaft, from Maven Central jars) with kafkajs', () => {
  let dataDir: string;
  let broker: KafkaBroker;
  let kafka: Kafka;
  let admin: Admin;
  let producer: Producer;
  let consumer: Consumer;
  let received: Received[] = [];

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'kafka-local-test-'));
    broker = await startKafka({ dataDir });
    kafka = client(broker.brokers, 'kafka-local-test');
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1, createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
    await producer.connect();
  }, 180_000);

  afterAll(async () => {
    await consumer?.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await admin?.disconnect().catch(() => undefined);
    await broker?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  }, 60_000);

  it('listens on 127.0.0.1 and logs to a file in the data dir', () => {
    expect(broker.brokers).toEqual([`127.0.0.1:${broker.port}`]);
    expect(broker.pid).toBeGreaterThan(0);
    expect(readFileSync(broker.logFile, 'utf8')).toContain('Kafka Server started');
  });

  it('creates a topic with 3 partitions, produces idempotently (acks -1), consumes with a group and commits', async () => {
    expect(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true })).toBe(true);
    const metadata = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(metadata.topics[0]?.partitions).toHaveLength(3);

    const acks = await producer.send({ topic, acks: -1, messages: messages(0, 30) });
    expect(new Set(acks.map((a) => a.partition)).size).toBeGreaterThan(1);

    consumer = kafka.consumer({ groupId: group, sessionTimeout: 10_000, heartbeatInterval: 1_000 });
    received = await collect(consumer, topic);
    await waitFor(() => received.length >= 30, '30 messages');
    await commitWhatWasReceived();
    expect(await committedTotal(kafka, group, topic)).toBe(30);
    expect(new Set(received.map((m) => m.key))).toEqual(new Set(messages(0, 30).map((m) => m.key)));
  }, 120_000);

  it('keeps topics, messages and committed offsets across a restart, and the same clients reconnect', async () => {
    const pidBefore = broker.pid;
    await broker.restart();
    expect(broker.pid).not.toBe(pidBefore);

    // Same admin, producer and running consumer as before the restart.
    expect(await admin.listTopics()).toContain(topic);
    expect(await committedTotal(kafka, group, topic)).toBe(30);
    await producer.send({ topic, acks: -1, messages: messages(30, 10) });
    expect(await highWatermarkTotal(admin)).toBe(40);
    await waitFor(() => received.length >= 40, 'the 10 messages sent after the restart');
    expect(new Set(received.map((m) => `${m.partition}/${m.offset}`)).size).toBe(received.length);
    await commitWhatWasReceived();
    expect(await committedTotal(kafka, group, topic)).toBe(40);
  }, 180_000);

  it('survives a SIGKILL: restart() recovers every acknowledged message', async () => {
    await broker.kill();
    expect(broker.running).toBe(false);
    await broker.restart();
    const fresh = kafka.consumer({ groupId: `${group}-after-crash` });
    try {
      const all = await collect(fresh, topic);
      await waitFor(() => all.length >= 40, 'all 40 messages after the crash');
      expect(new Set(all.map((m) => m.key))).toEqual(new Set(messages(0, 40).map((m) => m.key)));
    } finally {
      await fresh.disconnect();
    }
    expect(await committedTotal(kafka, group, topic)).toBe(40);
  }, 180_000);

  /** Commits, per partition, one past the highest offset received. */
  async function commitWhatWasReceived(): Promise<void> {
    const next = new Map<number, bigint>();
    for (const m of received) {
      const after = BigInt(m.offset) + 1n;
      if ((next.get(m.partition) ?? 0n) < after) next.set(m.partition, after);
    }
    await consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic, partition, offset: String(offset) })));
  }
});
