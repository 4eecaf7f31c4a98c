import kafkajs from 'kafkajs';
import { assertGroupCoordinatorsLoaded } from './group-probe.ts';

export interface ReadyProbe {
  /** Bootstrap addresses to ask. */
  brokers: string[];
  /** Node ids that must be in the cluster's broker list (default: any answer will do). */
  expectNodeIds?: number[];
  /** The cluster id the answer must carry (so another Kafka on the same port does not pass). */
  expectClusterId?: string;
}

/**
 * One attempt: connect an admin client, describe the cluster, list topics, and (once
 * __consumer_offsets exists) check that every group coordinator partition is loaded.
 */
export async function probeOnce(p: ReadyProbe): Promise<boolean> {
  const kafka = new kafkajs.Kafka({
    clientId: 'kafka-local-probe',
    brokers: p.brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { retries: 0 },
    connectionTimeout: 1_000,
    requestTimeout: 5_000,
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (p.expectClusterId !== undefined && cluster.clusterId !== p.expectClusterId) return false;
    const topics = await admin.listTopics();
    await assertGroupCoordinatorsLoaded(admin, topics);
    const ids = new Set(cluster.brokers.map((b) => b.nodeId));
    return (p.expectNodeIds ?? []).every((id) => ids.has(id));
  } catch {
    return false;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

export interface WaitReadyOptions extends ReadyProbe {
  timeoutMs: number;
  /** Checked before each attempt: an error message when the process is gone, else null. */
  failure: () => string | null;
  /** Appended to a timeout error (e.g. log tails). */
  describe: () => string;
}

/** Polls until kafkajs can talk to the broker(s); throws with context on exit or timeout. */
export async function waitReady(o: WaitReadyOptions): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  for (;;) {
    const failed = o.failure();
    if (failed !== null) throw new Error(`${failed}\n${o.describe()}`);
    if (await probeOnce(o)) return;
    if (Date.now() > deadline) {
      throw new Error(`Kafka at ${o.brokers.join(',')} was not ready within ${o.timeoutMs} ms\n${o.describe()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
