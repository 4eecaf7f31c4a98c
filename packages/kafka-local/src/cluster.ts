import path from 'node:path';
import { freePort, randomClusterId, startKafka, waitReady, type KafkaBroker } from './broker.ts';
import { ensureKafkaJars } from './jars.ts';

export interface KafkaCluster {
  brokers: string[];
  nodes: KafkaBroker[];
  stop(): Promise<void>;
}

/**
 * Several Kafka nodes on this machine (each broker + controller, one static quorum): a
 * real multi-broker cluster for replication and broker-loss tests.
 */
export async function startKafkaCluster(options: { size?: number; dataDir: string; heapMb?: number }): Promise<KafkaCluster> {
  const size = options.size ?? 3;
  const libsDir = await ensureKafkaJars();
  const ports = await Promise.all(Array.from({ length: size }, () => freePort()));
  const controllerPorts = await Promise.all(Array.from({ length: size }, () => freePort()));
  const voters = controllerPorts.map((p, i) => `${i + 1}@127.0.0.1:${p}`).join(',');
  const replication = String(Math.min(3, size));
  const clusterId = randomClusterId();
  const nodes = await Promise.all(
    ports.map((port, i) =>
      startKafka({
        dataDir: path.join(options.dataDir, `node-${i + 1}`),
        nodeId: i + 1,
        port,
        controllerPort: controllerPorts[i],
        quorumVoters: voters,
        heapMb: options.heapMb ?? 384,
        libsDir,
        clusterId,
        extraProps: {
          'offsets.topic.replication.factor': replication,
          'transaction.state.log.replication.factor': replication,
          'transaction.state.log.min.isr': String(Math.min(2, size)),
          'default.replication.factor': replication,
          'min.insync.replicas': String(Math.min(2, size)),
        },
      }),
    ),
  );
  const brokers = nodes.flatMap((n) => n.brokers);
  await waitReady(brokers, () => nodes.every((n) => n.pid !== undefined), path.join(options.dataDir, 'node-1', 'logs', 'server.log'), 90_000).catch(async (err) => {
    await Promise.all(nodes.map((n) => n.stop()));
    throw err;
  });
  return { brokers, nodes, stop: async () => { await Promise.all(nodes.map((n) => n.stop())); } };
}
