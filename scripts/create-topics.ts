/** Creates every hub topic and its DLQ twin (used by docker-compose's migrate step). */
import { Bus, ensureHubTopics } from '@hub/bus';
import { createLogger } from '@hub/logger';

const log = createLogger({ service: 'create-topics' });
const bus = new Bus({
  clientId: 'create-topics',
  brokers: (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  topicPrefix: process.env.KAFKA_TOPIC_PREFIX ?? '',
  logger: log,
});
const created = await ensureHubTopics(bus, { replicationFactor: Number(process.env.KAFKA_REPLICATION_FACTOR ?? 1) });
log.info({ created }, 'topics ready');
await bus.close();
