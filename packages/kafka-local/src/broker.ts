import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import kafkajs from 'kafkajs';
import { ensureKafkaJars } from './jars.ts';

export interface KafkaNodeOptions {
  dataDir: string;
  nodeId?: number;
  port?: number;
  controllerPort?: number;
  heapMb?: number;
  /** Static voters "id@host:port,…" (a multi-node quorum); default: this node alone. */
  quorumVoters?: string;
  extraProps?: Record<string, string>;
  clusterId?: string;
  libsDir?: string;
}

export interface KafkaBroker {
  brokers: string[];
  readonly pid: number | undefined;
  dataDir: string;
  /** SIGTERM, then SIGKILL after 20 s. */
  stop(): Promise<void>;
  /** SIGKILL, for crash tests. */
  kill(): Promise<void>;
  /** Starts again with the same data and ports. */
  restart(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const a = server.address();
      const port = typeof a === 'object' && a ? a.port : 0;
      server.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // Never leave a broker behind when the Node parent goes away.
  process.once('exit', () => {
    for (const child of live) child.kill('SIGKILL');
  });
}

function java(libs: string, args: string[], log4j: string, heapMb: number) {
  return [
    `-Xmx${heapMb}m`, `-Xms${Math.min(heapMb, 256)}m`, '-XX:+UseG1GC', '-XX:MaxGCPauseMillis=20',
    '-XX:+ExitOnOutOfMemoryError', '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4j}`,
    '-cp', `${libs}/*`,
    ...args,
  ];
}

function writeConfig(o: Required<Pick<KafkaNodeOptions, 'dataDir' | 'nodeId' | 'port' | 'controllerPort'>> & KafkaNodeOptions): { props: string; log4j: string } {
  const logs = path.join(o.dataDir, 'logs');
  mkdirSync(logs, { recursive: true });
  const props: Record<string, string> = {
    'process.roles': 'broker,controller',
    'node.id': String(o.nodeId),
    'controller.quorum.voters': o.quorumVoters ?? `${o.nodeId}@127.0.0.1:${o.controllerPort}`,
    listeners: `PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${o.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'log.dirs': path.join(o.dataDir, 'kraft'),
    'num.partitions': '3',
    'offsets.topic.replication.factor': '1',
    'transaction.state.log.replication.factor': '1',
    'transaction.state.log.min.isr': '1',
    'group.initial.rebalance.delay.ms': '0',
    'auto.create.topics.enable': 'false',
    'num.network.threads': '2',
    'num.io.threads': '4',
    'log.retention.hours': '24',
    ...o.extraProps,
  };
  const propsFile = path.join(o.dataDir, 'server.properties');
  writeFileSync(propsFile, Object.entries(props).map(([k, v]) => `${k}=${v}`).join('\n') + '\n');
  const log4j = path.join(o.dataDir, 'log4j.properties');
  writeFileSync(log4j, [
    'log4j.rootLogger=WARN, file',
    'log4j.appender.file=org.apache.log4j.FileAppender',
    `log4j.appender.file.File=${path.join(logs, 'server.log')}`,
    'log4j.appender.file.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka.server.KafkaRaftServer=INFO',
    'log4j.logger.kafka.server.BrokerServer=INFO',
  ].join('\n') + '\n');
  return { props: propsFile, log4j };
}

function tail(file: string, lines = 40): string {
  if (!existsSync(file)) return '(no log)';
  return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
}

async function waitReady(brokers: string[], isAlive: () => boolean, logFile: string, timeoutMs: number): Promise<void> {
  const kafka = new kafkajs.Kafka({ clientId: 'kafka-local-probe', brokers, logLevel: kafkajs.logLevel.NOTHING, retry: { retries: 0 }, connectionTimeout: 1_000 });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive()) throw new Error(`Kafka exited during start-up. Log tail:\n${tail(logFile)}`);
    const admin = kafka.admin();
    try {
      await admin.connect();
      await admin.describeCluster();
      await admin.listTopics();
      await admin.disconnect();
      return;
    } catch {
      await admin.disconnect().catch(() => undefined);
    }
    if (Date.now() > deadline) throw new Error(`Kafka was not ready within ${timeoutMs} ms. Log tail:\n${tail(logFile)}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/**
 * Starts one Apache Kafka node (combined broker + controller, KRaft) on the JDK. Formats
 * its storage on first use; a formatted data dir keeps its data across restarts.
 */
export async function startKafka(options: KafkaNodeOptions): Promise<KafkaBroker> {
  const libs = options.libsDir ?? (await ensureKafkaJars());
  const nodeId = options.nodeId ?? 1;
  const port = options.port ?? (await freePort());
  const controllerPort = options.controllerPort ?? (await freePort());
  const heapMb = options.heapMb ?? Number(process.env.KAFKA_HEAP_MB ?? 512);
  mkdirSync(options.dataDir, { recursive: true });
  const { props, log4j } = writeConfig({ ...options, nodeId, port, controllerPort });
  const logFile = path.join(options.dataDir, 'logs', 'server.log');
  const stdoutFile = path.join(options.dataDir, 'logs', 'stdout.log');

  if (!existsSync(path.join(options.dataDir, 'kraft', 'meta.properties'))) {
    const clusterId = options.clusterId ?? randomClusterId();
    const format = spawnSync('java', java(libs, ['kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', props, '--ignore-formatted'], log4j, 256), { encoding: 'utf8' });
    if (format.status !== 0) throw new Error(`formatting Kafka storage failed:\n${format.stdout}\n${format.stderr}`);
  }

  let child: ChildProcess;
  const brokers = [`127.0.0.1:${port}`];
  const launch = async () => {
    const out = openSync(stdoutFile, 'a');
    child = spawn('java', java(libs, ['kafka.Kafka', props], log4j, heapMb), { stdio: ['ignore', out, out], detached: false });
    live.add(child);
    child.once('exit', () => live.delete(child));
    installExitHook();
    const started = child;
    if (!options.quorumVoters) await waitReady(brokers, () => started.exitCode === null && started.signalCode === null, logFile, 90_000);
  };
  const waitExit = (signal: NodeJS.Signals, graceMs: number) =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      child.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      child.kill(signal);
    });
  await launch();
  return {
    brokers,
    get pid() {
      return child.pid;
    },
    dataDir: options.dataDir,
    stop: () => waitExit('SIGTERM', 20_000),
    kill: () => waitExit('SIGKILL', 5_000),
    restart: async () => {
      await waitExit('SIGTERM', 20_000);
      await launch();
    },
  };
}

/** What StorageTool random-uuid prints: 16 random bytes, base64url without padding. */
export function randomClusterId(): string {
  return randomBytes(16).toString('base64url');
}

export { waitReady };
