export { startKafka, type KafkaBroker, type KafkaNodeOptions } from './broker.ts';
export { startKafkaCluster, type KafkaCluster, type KafkaClusterOptions } from './cluster.ts';
export { ensureKafkaJars, defaultCacheDir, libsDirFor, type EnsureJarsOptions } from './jars.ts';
export { KAFKA_VERSION } from './version.ts';
export { freePort, freePorts } from './ports.ts';
export { randomClusterId } from './cluster-id.ts';
export { readState, type BrokerState } from './broker-state.ts';
export { serverProperties, type NodeLayout } from './server-config.ts';
export { waitReady, probeOnce, type ReadyProbe, type WaitReadyOptions } from './ready.ts';
