/**
 * The pinned broker. 3.9 is the last line that keeps every old protocol version (Kafka
 * 4.0 removed some, KIP-896) and runs KRaft without ZooKeeper; kafkajs 2.2.4 is tested
 * against it (test/broker.int.test.ts). The logging backend in maven/pom.xml matches 3.x.
 */
export const KAFKA_VERSION = '3.9.1';

/** The Scala build of the broker jar (kafka_2.13). */
export const SCALA_BINARY_VERSION = '2.13';
