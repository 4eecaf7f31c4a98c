import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startKafka, type KafkaBroker } from '@hub/kafka-local';
import { dropDatabase, migrate } from '@hub/db';
import { adminUrl, databaseUrlFor, defaultDatabaseUrl } from './database.ts';
import { startContainerInfra, type ContainerInfra } from './containers.ts';

declare module 'vitest' {
  export interface ProvidedContext {
    kafkaBrokers: string[];
    templateDatabase: string;
    baseDatabaseUrl: string;
  }
}

const repoRoot = path.resolve(import.meta.dirname, '../../..');

/**
 * Integration suite setup: a real Kafka broker (started here unless KAFKA_BROKERS is set)
 * and a migrated template database that each test file clones (CREATE DATABASE … TEMPLATE).
 * HUB_TEST_INFRA=containers runs both in containers instead (testcontainers: see
 * containers.ts); the default, `local`, runs the broker as a local process and uses the
 * PostgreSQL server of DATABASE_URL.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let broker: KafkaBroker | null = null;
  let containers: ContainerInfra | null = null;
  let dataDir: string | null = null;
  let brokers: string[];
  const infra = process.env.HUB_TEST_INFRA ?? 'local';
  if (infra !== 'local' && infra !== 'containers') throw new Error(`HUB_TEST_INFRA must be local or containers, not ${infra}`);
  if (infra === 'containers') {
    const t0 = Date.now();
    containers = await startContainerInfra();
    brokers = containers.brokers;
    console.log(`[testkit] Kafka (${containers.images.kafka}) and PostgreSQL (${containers.images.postgres}) in containers, ready in ${Date.now() - t0} ms`);
  } else if (process.env.KAFKA_BROKERS) {
    brokers = process.env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean);
  } else {
    dataDir = mkdtempSync(path.join(tmpdir(), 'hub-test-kafka-'));
    broker = await startKafka({ dataDir });
    brokers = broker.brokers;
  }
  const baseUrl = containers ? databaseUrlFor(containers.databaseUrl, 'notification_hub') : process.env.DATABASE_URL ?? defaultDatabaseUrl;
  const template = `hub_test_template_${process.pid}`;
  try {
    await dropDatabase(adminUrl(baseUrl), template).catch(() => undefined);
    await migrate({ databaseUrl: databaseUrlFor(baseUrl, template), migrationsDir: path.join(repoRoot, 'prisma/migrations'), log: () => undefined });
  } catch (err) {
    // nothing else would stop what was started above
    await broker?.stop().catch(() => undefined);
    await containers?.stop();
    throw err;
  }

  project.provide('kafkaBrokers', brokers);
  project.provide('templateDatabase', template);
  project.provide('baseDatabaseUrl', baseUrl);

  return async () => {
    await dropDatabase(adminUrl(baseUrl), template).catch(() => undefined);
    if (broker) await broker.stop();
    if (containers) await containers.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}
