import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { clearState, writeState } from './broker-state.ts';
import { describeExit, exitOf, hasExited, terminate } from './child-exit.ts';
import { randomClusterId } from './cluster-id.ts';
import { jvmArgs, type JvmOptions } from './java.ts';
import { ensureKafkaJars } from './jars.ts';
import { tailLogs } from './log-tail.ts';
import { assertPortFree, freePorts } from './ports.ts';
import { waitReady } from './ready.ts';
import { log4jProperties, renderProperties, serverProperties } from './server-config.ts';
import { spawnJava } from './spawn-java.ts';
import { formatStorage, formattedClusterId } from './storage.ts';

export interface KafkaNodeOptions {
  /** Data, config and logs. Default: a new temp dir, removed by stop(). A formatted dir keeps its data. */
  dataDir?: string;
  /** Broker logs (server.log, stdout.log); default <dataDir>/logs. */
  logDir?: string;
  /** Default 1. */
  nodeId?: number;
  /** Client (PLAINTEXT) port; default a free port. */
  port?: number;
  /** KRaft controller port; default a free port. */
  controllerPort?: number;
  /** Listen address; default 127.0.0.1 (never all interfaces unless asked). */
  host?: string;
  /** Max heap; default $KAFKA_HEAP_MB or 512. */
  heapMb?: number;
  /** Overrides/additions to server.properties. */
  extraProps?: Record<string, string>;
  /** Extra JVM arguments. */
  jvmArgs?: string[];
  /** Static voters "id@host:port,…" for a multi-node quorum; default this node alone. */
  quorumVoters?: string;
  /** Cluster id for formatting new storage; default random. Ignored for a formatted dir. */
  clusterId?: string;
  /** Jars to run; default ensureKafkaJars(). */
  libsDir?: string;
  /** Default 60 s. */
  readyTimeoutMs?: number;
  /** SIGTERM grace before SIGKILL in stop()/restart(); default 20 s. */
  stopTimeoutMs?: number;
  /** Keep the broker running after this Node process exits; default false. */
  detached?: boolean;
  /** Wait until clients can use it; default true (a cluster waits for all nodes itself). */
  waitForReady?: boolean;
}

export interface KafkaBroker {
  /** Bootstrap addresses, e.g. ['127.0.0.1:40123']. */
  readonly brokers: string[];
  /** The JVM's pid (undefined if it could not start). */
  readonly pid: number | undefined;
  readonly nodeId: number;
  readonly port: number;
  readonly controllerPort: number;
  readonly clusterId: string;
  readonly dataDir: string;
  /** log4j output (server.log); stdout.log beside it has the JVM's own output. */
  readonly logFile: string;
  readonly running: boolean;
  /** Resolves when the current JVM exits. */
  readonly exited: Promise<void>;
  /** Polls until clients can use this node (it is listed in the cluster's brokers). */
  waitUntilReady(timeoutMs?: number): Promise<void>;
  /** SIGTERM, wait, SIGKILL after stopTimeoutMs. Removes a temp data dir. */
  stop(): Promise<void>;
  /** SIGKILL at once, data kept (crash tests); restart() brings it back. */
  kill(): Promise<void>;
  /** Stops (if running) and starts again with the same data dir and ports; waits until ready. */
  restart(): Promise<void>;
}

/**
 * Starts one Apache Kafka node (combined broker + controller, KRaft, no ZooKeeper) on the
 * JDK, from jars fetched with Maven. Formats the storage on first use.
 */
export async function startKafka(options: KafkaNodeOptions = {}): Promise<KafkaBroker> {
  const libsDir = options.libsDir ?? (await ensureKafkaJars());
  const tempDir = options.dataDir === undefined;
  const dataDir = path.resolve(options.dataDir ?? mkdtempSync(path.join(tmpdir(), 'kafka-local-')));
  const logDir = path.resolve(options.logDir ?? path.join(dataDir, 'logs'));
  const kraftDir = path.join(dataDir, 'kraft');
  const nodeId = options.nodeId ?? 1;
  const host = options.host ?? '127.0.0.1';
  const [p1, p2] = await freePorts(2, host);
  const port = options.port ?? p1 ?? 0;
  const controllerPort = options.controllerPort ?? p2 ?? 0;
  const brokers = [`${host}:${port}`];
  const stopTimeoutMs = options.stopTimeoutMs ?? 20_000;
  const readyTimeoutMs = options.readyTimeoutMs ?? 60_000;

  mkdirSync(logDir, { recursive: true });
  const propsFile = path.join(dataDir, 'server.properties');
  const props = serverProperties({ nodeId, host, port, controllerPort, kraftDir, quorumVoters: options.quorumVoters, extraProps: options.extraProps });
  writeFileSync(propsFile, renderProperties(props));
  const log4jFile = path.join(dataDir, 'log4j.properties');
  writeFileSync(log4jFile, log4jProperties(logDir));
  const jvm: JvmOptions = {
    libsDir, log4jFile, logDir,
    heapMb: options.heapMb ?? Number(process.env.KAFKA_HEAP_MB ?? 512),
    extra: options.jvmArgs,
  };
  const logFile = path.join(logDir, 'server.log');
  const stdoutFile = path.join(logDir, 'stdout.log');
  const clusterId = options.clusterId ?? formattedClusterId(kraftDir) ?? randomClusterId();

  let child: ChildProcess | undefined;
  let spawnError: Error | undefined;

  const launch = async () => {
    await assertPortFree(port, host, 'Kafka port');
    await assertPortFree(controllerPort, host, 'Kafka controller port');
    await formatStorage({ jvm, propsFile, kraftDir, clusterId });
    spawnError = undefined;
    const started = spawnJava(jvmArgs(jvm, 'kafka.Kafka', [propsFile]), { outputFile: stdoutFile, detached: options.detached ?? false });
    started.once('error', (err) => (spawnError = err));
    started.once('exit', () => clearState(dataDir, started.pid));
    child = started;
  };

  const waitUntilReady = async (timeoutMs = readyTimeoutMs) => {
    const current = child;
    await waitReady({
      brokers,
      expectNodeIds: [nodeId],
      expectClusterId: formattedClusterId(kraftDir) ?? undefined,
      timeoutMs,
      failure: () => {
        if (spawnError) return `Kafka could not start: ${spawnError.message}`;
        if (!current || hasExited(current)) return `Kafka (node ${nodeId}) exited during start-up (${current ? describeExit(current) : 'not started'})`;
        return null;
      },
      describe: () => tailLogs([logFile, stdoutFile]),
    });
    if (current?.pid !== undefined) writeState(dataDir, { pid: current.pid, nodeId, brokers, controllerPort, startedAt: new Date().toISOString() });
  };

  const startAndWait = async (wait: boolean) => {
    await launch();
    if (!wait) return;
    try {
      await waitUntilReady();
    } catch (err) {
      if (child) await terminate(child, 'SIGKILL', 5_000);
      throw err;
    }
  };

  try {
    await startAndWait(options.waitForReady !== false);
  } catch (err) {
    if (tempDir) rmSync(dataDir, { recursive: true, force: true });
    throw err;
  }

  return {
    brokers,
    get pid() {
      return child?.pid;
    },
    nodeId,
    port,
    controllerPort,
    get clusterId() {
      return formattedClusterId(kraftDir) ?? clusterId;
    },
    dataDir,
    logFile,
    get running() {
      return child !== undefined && !hasExited(child);
    },
    get exited() {
      return child ? exitOf(child) : Promise.resolve();
    },
    waitUntilReady,
    stop: async () => {
      if (child) await terminate(child, 'SIGTERM', stopTimeoutMs);
      if (tempDir) rmSync(dataDir, { recursive: true, force: true });
    },
    kill: async () => {
      if (child) await terminate(child, 'SIGKILL', 5_000);
    },
    restart: async () => {
      if (child) await terminate(child, 'SIGTERM', stopTimeoutMs);
      await startAndWait(true);
    },
  };
}
