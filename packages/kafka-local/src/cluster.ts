import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { startKafka, type KafkaBroker } from './broker.ts';
import { randomClusterId } from './cluster-id.ts';
import { ensureKafkaJars } from './jars.ts';
import { formattedClusterId } from './storage.ts';
import { tailLogs } from './log-tail.ts';
import { freePorts } from './ports.ts';
import { waitReady } from './ready.ts';

export interface KafkaClusterOptions {
  /** Number of nodes, each a combined broker + controller (a voter); default 3. */
  brokers?: number;
  /** Parent of node-1, node-2, …; default a new temp dir, removed by stop(). */
  dataDir?: string;
  /** Max heap per node; default 384. */
  heapMb?: number;
  /** default.replication.factor and internal topics'; default min(3, brokers). */
  replicationFactor?: number;
  /** min.insync.replicas (and the transaction log's); default min(2, brokers). */
  minInsyncReplicas?: number;
  extraProps?: Record<string, string>;
  /** Default 90 s (several JVMs start at once on a small machine). */
  readyTimeoutMs?: number;
  /** SIGTERM grace per node before SIGKILL; default 20 s. */
  stopTimeoutMs?: number;
  detached?: boolean;
  libsDir?: string;
}

export interface KafkaCluster {
  /** Every node's bootstrap address. */
  readonly brokers: string[];
  readonly nodes: KafkaBroker[];
  readonly clusterId: string;
  readonly dataDir: string;
  /** The node with this node.id (1-based). */
  node(nodeId: number): KafkaBroker;
  /** Stops every node (all at once: one by one would leave the last without a quorum). */
  stop(): Promise<void>;
}

/**
 * Several Kafka nodes on this machine sharing one static controller quorum: a real
 * multi-broker cluster for replication and broker-loss tests (kill a node, restart it).
 * With 3 nodes, one may be down and the quorum and min.insync.replicas=2 still hold.
 */
export async function startKafkaCluster(options: KafkaClusterOptions = {}): Promise<KafkaCluster> {
  const size = options.brokers ?? 3;
  if (!Number.isInteger(size) || size < 1) throw new Error(`brokers must be a positive integer, got ${size}`);
  const libsDir = options.libsDir ?? (await ensureKafkaJars());
  const tempDir = options.dataDir === undefined;
  const dataDir = path.resolve(options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'kafka-local-cluster-')));
  const ports = await freePorts(2 * size);
  const ids = Array.from({ length: size }, (_, i) => i + 1);
  const clientPort = (id: number) => ports[id - 1] ?? 0;
  const controllerPort = (id: number) => ports[size + id - 1] ?? 0;
  const voters = ids.map((id) => `${id}@127.0.0.1:${controllerPort(id)}`).join(',');
  const rf = String(options.replicationFactor ?? Math.min(3, size));
  const minIsr = String(options.minInsyncReplicas ?? Math.min(2, size));
  const clusterId = formattedClusterId(path.join(dataDir, 'node-1', 'kraft')) ?? randomClusterId();
  const readyTimeoutMs = options.readyTimeoutMs ?? 90_000;

  const launched = await Promise.allSettled(ids.map((id) => startKafka({
    dataDir: path.join(dataDir, `node-${id}`),
    nodeId: id,
    port: clientPort(id),
    controllerPort: controllerPort(id),
    quorumVoters: voters,
    clusterId,
    libsDir,
    heapMb: options.heapMb ?? 384,
    readyTimeoutMs,
    stopTimeoutMs: options.stopTimeoutMs,
    detached: options.detached,
    waitForReady: false,
    extraProps: {
      'default.replication.factor': rf,
      'offsets.topic.replication.factor': rf,
      'transaction.state.log.replication.factor': rf,
      'min.insync.replicas': minIsr,
      'transaction.state.log.min.isr': minIsr,
      ...options.extraProps,
    },
  })));
  const nodes = launched.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = launched.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(nodes.map((n) => n.kill()));
    if (tempDir) rmSync(dataDir, { recursive: true, force: true });
    throw failed.reason;
  }
  const brokers = nodes.flatMap((n) => n.brokers);
  const stop = async () => {
    await Promise.all(nodes.map((n) => n.stop()));
    if (tempDir) rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    await Promise.all(nodes.map((n) => n.waitUntilReady(readyTimeoutMs)));
    // Ask every node, not any one: each broker answers metadata from its own cache, and
    // one that has not yet seen a peer's registration (or saw it fenced) lists fewer.
    await Promise.all(nodes.map((n) => waitReady({
      brokers: n.brokers, expectNodeIds: ids, expectClusterId: clusterId, timeoutMs: readyTimeoutMs,
      failure: () => (nodes.every((m) => m.running) ? null : 'a Kafka node exited during start-up'),
      describe: () => tailLogs(nodes.map((m) => m.logFile), 15),
    })));
  } catch (err) {
    await Promise.all(nodes.map((n) => n.kill()));
    if (tempDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }
  return {
    brokers,
    nodes,
    clusterId,
    dataDir,
    node: (nodeId) => {
      const found = nodes.find((n) => n.nodeId === nodeId);
      if (!found) throw new Error(`no node ${nodeId} (nodes are 1..${size})`);
      return found;
    },
    stop,
  };
}
