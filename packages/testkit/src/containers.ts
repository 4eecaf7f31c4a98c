import { GenericContainer, PullPolicy, Wait, type StartedTestContainer } from 'testcontainers';
import pg from 'pg';
import { randomClusterId, serverProperties, waitReady } from '@hub/kafka-local';
import { freePort } from './ports.ts';

/**
 * The integration suite's Kafka and PostgreSQL in containers (HUB_TEST_INFRA=containers),
 * started with testcontainers instead of as local processes.
 *
 * Images: the official ones by default, the same the user compose file runs
 * (HUB_TEST_POSTGRES_IMAGE=postgres:15, HUB_TEST_KAFKA_IMAGE=apache/kafka:3.9.1); where no
 * registry can be reached, point them at locally built stand-ins that take the same
 * environment (scripts/docker/build-images.sh: local/postgres:15, local/kafka:3.9.1) and set
 * HUB_TEST_IMAGE_PULL=never. Both containers run on host networking, each on free 127.0.0.1
 * ports chosen here: the same on a Linux engine with the official images as with the
 * stand-ins, and no container ever gets a private address (the rule on the machines this
 * project is built on). Docker Desktop needs its host networking enabled for this.
 *
 * Kafka runs one combined broker + controller with the settings of the local broker
 * (@hub/kafka-local's serverProperties), written as the images' KAFKA_* variables.
 */
export interface ContainerInfra {
  brokers: string[];
  /** postgresql://… of the server's maintenance database. */
  databaseUrl: string;
  images: { postgres: string; kafka: string };
  stop(): Promise<void>;
}

const PASSWORD = 'hub-test';

export async function startContainerInfra(env: NodeJS.ProcessEnv = process.env): Promise<ContainerInfra> {
  const images = {
    postgres: env.HUB_TEST_POSTGRES_IMAGE ?? 'postgres:15',
    kafka: env.HUB_TEST_KAFKA_IMAGE ?? 'apache/kafka:3.9.1',
  };
  const pull = env.HUB_TEST_IMAGE_PULL === 'never' ? { shouldPull: () => false } : PullPolicy.defaultPolicy();
  const started: StartedTestContainer[] = [];
  const stop = async () => {
    await Promise.allSettled(started.reverse().map((c) => c.stop({ remove: true, removeVolumes: true, timeout: 10_000 })));
  };
  try {
    const [pgPort, kafkaPort, controllerPort] = [await freePort(), await freePort(), await freePort()];
    const [postgres, kafka] = await Promise.all([
      new GenericContainer(images.postgres)
        .withPullPolicy(pull)
        .withNetworkMode('host')
        .withEnvironment({ POSTGRES_PASSWORD: PASSWORD, PGPORT: String(pgPort) })
        .withCommand(['postgres', '-c', 'listen_addresses=127.0.0.1', '-c', `port=${pgPort}`, '-c', 'max_connections=300', '-c', 'fsync=off'])
        .withTmpFs({ '/var/lib/postgresql/data': 'rw' })
        // the image's first-start server listens on its socket only: TCP answers once the real one is up
        .withWaitStrategy(Wait.forSuccessfulCommand(`pg_isready -h 127.0.0.1 -p ${pgPort}`))
        .withStartupTimeout(120_000)
        .start()
        .then((c) => (started.push(c), c)),
      new GenericContainer(images.kafka)
        .withPullPolicy(pull)
        .withNetworkMode('host')
        .withEnvironment(kafkaEnvironment(kafkaPort, controllerPort))
        .withStartupTimeout(120_000)
        .start()
        .then((c) => (started.push(c), c)),
    ]);
    const brokers = [`127.0.0.1:${kafkaPort}`];
    await waitReady({
      brokers, timeoutMs: 120_000,
      failure: () => null,
      describe: () => `(container ${kafka.getId().slice(0, 12)}, image ${images.kafka})`,
    });
    const databaseUrl = `postgresql://postgres:${PASSWORD}@127.0.0.1:${pgPort}/postgres`;
    await waitForPostgres(databaseUrl, postgres);
    return { brokers, databaseUrl, images, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** The local broker's server.properties as the images' KAFKA_* variables (a.b_c → KAFKA_A_B__C). */
export function kafkaEnvironment(port: number, controllerPort: number): Record<string, string> {
  const props = serverProperties({ nodeId: 1, host: '127.0.0.1', port, controllerPort, kraftDir: '/tmp/kafka-data' });
  const env: Record<string, string> = {
    CLUSTER_ID: randomClusterId(),
    KAFKA_HEAP_OPTS: '-Xmx512m -Xms128m',
  };
  for (const [key, value] of Object.entries(props)) {
    env[`KAFKA_${key.replace(/_/g, '__').replace(/-/g, '___').replace(/\./g, '_').toUpperCase()}`] = value;
  }
  return env;
}

/** pg_isready passes before the server takes logins on every setup: connect until one works. */
async function waitForPostgres(url: string, container: StartedTestContainer): Promise<void> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`PostgreSQL in container ${container.getId().slice(0, 12)} refused logins for 60 s: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 250));
    } finally {
      await client.end().catch(() => undefined);
    }
  }
}
