import { dlqOf, TOPIC_PARTITIONS, type TopicName } from '@hub/contracts';
import type { Bus } from './bus.ts';

export interface EnsureTopicsOptions {
  replicationFactor?: number;
  /** Override partition counts (tests use fewer partitions for faster group joins). */
  partitions?: Partial<Record<TopicName, number>>;
}

/**
 * Creates every hub topic and its `.dlq` twin with explicit partition counts. Idempotent:
 * existing topics are left as they are.
 */
export async function ensureHubTopics(bus: Bus, options: EnsureTopicsOptions = {}): Promise<string[]> {
  const admin = bus.admin();
  await admin.connect();
  try {
    const existing = new Set(await admin.listTopics());
    const wanted: { topic: string; numPartitions: number; replicationFactor: number }[] = [];
    for (const [name, count] of Object.entries(TOPIC_PARTITIONS) as [TopicName, number][]) {
      const numPartitions = options.partitions?.[name] ?? count;
      const replicationFactor = options.replicationFactor ?? 1;
      for (const topic of [bus.topic(name), dlqOf(bus.topic(name))]) {
        if (!existing.has(topic)) wanted.push({ topic, numPartitions, replicationFactor });
      }
    }
    if (wanted.length > 0) {
      await admin.createTopics({
        topics: wanted.map((t) => ({
          ...t,
          configEntries: t.replicationFactor > 1 ? [{ name: 'min.insync.replicas', value: String(Math.min(2, t.replicationFactor)) }] : [],
        })),
        waitForLeaders: true,
      });
    }
    return wanted.map((t) => t.topic);
  } finally {
    await admin.disconnect();
  }
}
