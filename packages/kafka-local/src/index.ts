export { startKafka, freePort, randomClusterId, type KafkaBroker, type KafkaNodeOptions } from './broker.ts';
export { startKafkaCluster, type KafkaCluster } from './cluster.ts';
export { ensureKafkaJars, defaultCacheDir, KAFKA_VERSION } from './jars.ts';
