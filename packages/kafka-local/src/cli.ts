/**
 * tsx packages/kafka-local/src/cli.ts fetch   download the broker's jars (Maven Central) into the cache
 * tsx packages/kafka-local/src/cli.ts start   run one broker in the foreground (KAFKA_PORT, default 9092;
 *                                             data in .cache/kafka-data); Ctrl-C stops it
 */
import path from 'node:path';
import { ensureKafkaJars, KAFKA_VERSION } from './jars.ts';
import { startKafka } from './broker.ts';

const command = process.argv[2];
if (command === 'fetch') {
  const started = Date.now();
  const libs = await ensureKafkaJars();
  console.log(`Kafka ${KAFKA_VERSION} jars ready in ${libs} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
} else if (command === 'start') {
  const dataDir = process.env.KAFKA_DATA_DIR ?? path.resolve(import.meta.dirname, '../../../.cache/kafka-data');
  const broker = await startKafka({ dataDir, port: Number(process.env.KAFKA_PORT ?? 9092), controllerPort: Number(process.env.KAFKA_CONTROLLER_PORT ?? 9093) });
  console.log(`Kafka ${KAFKA_VERSION} listening on ${broker.brokers.join(',')} (data: ${dataDir}); Ctrl-C stops it`);
  const stop = async () => {
    await broker.stop();
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
} else {
  console.error('usage: cli.ts fetch | start');
  process.exit(2);
}
