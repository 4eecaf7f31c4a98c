import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startKafka, type KafkaBroker } from '@hub/kafka-local';
import { dropDatabase, migrate } from '@hub/db';
import { adminUrl, databaseUrlFor, defaultDatabaseUrl } from './database.ts';

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
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let broker: KafkaBroker | null = null;
  let dataDir: string | null = null;
  let brokers: string[];
  if (process.env.KAFKA_BROKERS) {
    brokers = process.env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean);
  } else {
    dataDir = mkdtempSync(path.join(tmpdir(), 'hub-test-kafka-'));
    broker = await startKafka({ dataDir });
    brokers = broker.brokers;
  }
  const baseUrl = process.env.DATABASE_URL ?? defaultDatabaseUrl;
  const template = `hub_test_template_${process.pid}`;
  await dropDatabase(adminUrl(baseUrl), template).catch(() => undefined);
  await migrate({ databaseUrl: databaseUrlFor(baseUrl, template), migrationsDir: path.join(repoRoot, 'prisma/migrations'), log: () => undefined });

  project.provide('kafkaBrokers', brokers);
  project.provide('templateDatabase', template);
  project.provide('baseDatabaseUrl', baseUrl);

  return async () => {
    await dropDatabase(adminUrl(baseUrl), template).catch(() => undefined);
    if (broker) await broker.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  };
}
