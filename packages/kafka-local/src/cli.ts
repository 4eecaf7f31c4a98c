/**
 * tsx packages/kafka-local/src/cli.ts fetch            fetch the broker's jars (Maven Central) into the cache
 * tsx packages/kafka-local/src/cli.ts start [--detach] run one broker: foreground (Ctrl-C stops it) or, with
 *                                                      --detach, in the background until `stop`
 * tsx packages/kafka-local/src/cli.ts status           is the broker of the data dir running? (exit 0 yes, 3 no)
 * tsx packages/kafka-local/src/cli.ts stop             stop that broker (SIGTERM, SIGKILL after 30 s)
 *
 * Environment: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_DATA_DIR (<repo>/.cache/kafka-data,
 * kept across runs), KAFKA_HEAP_MB (512), KAFKA_CACHE_DIR (<repo>/.cache/kafka).
 */
import path from 'node:path';
import { clearState, isBrokerProcess, readState } from './broker-state.ts';
import { startKafka } from './broker.ts';
import { ensureKafkaJars } from './jars.ts';
import { repoRoot } from './paths.ts';
import { probeOnce } from './ready.ts';
import { stopBrokerPid } from './stop-pid.ts';
import { KAFKA_VERSION } from './version.ts';

const dataDir = path.resolve(process.env.KAFKA_DATA_DIR ?? path.join(repoRoot, '.cache', 'kafka-data'));

function runningState() {
  const state = readState(dataDir);
  return state && isBrokerProcess(state.pid, dataDir) ? state : null;
}

async function fetchJars(): Promise<void> {
  const started = Date.now();
  const libs = await ensureKafkaJars({ onFetch: (m) => console.log(m) });
  console.log(`Kafka ${KAFKA_VERSION} jars ready in ${libs} (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

async function start(detached: boolean): Promise<void> {
  const already = runningState();
  if (already) {
    console.log(`Kafka is already running (pid ${already.pid}) at ${already.brokers.join(',')} for ${dataDir}`);
    return;
  }
  await ensureKafkaJars({ onFetch: (m) => console.log(m) });
  const started = Date.now();
  const broker = await startKafka({
    dataDir,
    port: Number(process.env.KAFKA_PORT ?? 9092),
    controllerPort: Number(process.env.KAFKA_CONTROLLER_PORT ?? 9093),
    detached,
  });
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(`Kafka ${KAFKA_VERSION} ready in ${seconds} s (pid ${broker.pid}, data ${dataDir}, logs ${broker.logFile})`);
  console.log(`KAFKA_BROKERS=${broker.brokers.join(',')}`);
  if (detached) {
    console.log('running in the background; `cli.ts stop` stops it');
    return;
  }
  console.log('Ctrl-C stops it');
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await broker.stop();
    console.log('Kafka stopped');
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
  await broker.exited;
  if (!stopping) {
    console.error(`Kafka exited on its own; see ${broker.logFile}`);
    process.exit(1);
  }
}

async function status(): Promise<void> {
  const state = runningState();
  if (!state) {
    console.log(`Kafka is not running for ${dataDir}`);
    process.exit(3);
  }
  const answering = await probeOnce({ brokers: state.brokers, expectNodeIds: [state.nodeId] });
  console.log(`Kafka is running (pid ${state.pid}) at ${state.brokers.join(',')}${answering ? '' : ' but does not answer yet'}`);
  if (!answering) process.exit(1);
}

async function stop(): Promise<void> {
  const state = readState(dataDir);
  const outcome = state ? await stopBrokerPid(state.pid, dataDir) : 'not running';
  if (state) clearState(dataDir, state.pid);
  console.log(`Kafka ${outcome}${state ? ` (pid ${state.pid})` : ''}`);
}

async function main(command: string | undefined, flags: string[]): Promise<void> {
  switch (command) {
    case 'fetch':
      return fetchJars();
    case 'start':
      return start(flags.includes('--detach'));
    case 'status':
      return status();
    case 'stop':
      return stop();
    default:
      console.error('usage: cli.ts fetch | start [--detach] | status | stop');
      process.exit(2);
  }
}

const [command, ...flags] = process.argv.slice(2);
try {
  await main(command, flags);
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  process.exit(1);
}
