import kafkajs, { type Consumer, type Kafka } from 'kafkajs';

/** A kafkajs client for tests: quiet, patient across a broker restart. */
export function client(brokers: string[], clientId: string): Kafka {
  return new kafkajs.Kafka({
    clientId,
    brokers,
    logLevel: kafkajs.logLevel.NOTHING,
    retry: { initialRetryTime: 200, maxRetryTime: 2_000, retries: 30 },
  });
}

/** Polls `condition` until true; throws `what` after `timeoutMs`. */
export async function waitFor(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export interface Received {
  partition: number;
  offset: string;
  key: string;
  value: string;
}

/** Subscribes `consumer` to `topic` from the beginning and collects what arrives into the returned array. */
export async function collect(consumer: Consumer, topic: string): Promise<Received[]> {
  const received: Received[] = [];
  consumer.on(consumer.events.CRASH, (e) => console.warn(`consumer crashed (restart: ${e.payload.restart}): ${e.payload.error.message}`));
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      received.push({ partition, offset: message.offset, key: String(message.key), value: String(message.value) });
    },
  });
  return received;
}

/** Sum of a group's committed offsets on `topic`, as the broker reports them. */
export async function committedTotal(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (entry?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}
