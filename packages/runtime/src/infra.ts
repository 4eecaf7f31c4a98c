import { Bus } from '@hub/bus';
import { createPrisma, type PrismaClient } from '@hub/db';
import { createLogger, type Logger } from '@hub/logger';
import type { Registry } from 'prom-client';
import { createMetricsRegistry } from './metrics.ts';

export interface InfraConfig {
  KAFKA_BROKERS: string[];
  KAFKA_TOPIC_PREFIX: string;
  KAFKA_CLIENT_ID?: string | undefined;
  KAFKA_SESSION_TIMEOUT_MS?: number;
  DATABASE_URL: string;
  DATABASE_POOL_MAX: number;
  LOG_LEVEL: string;
}

export interface Infra {
  log: Logger;
  bus: Bus;
  prisma: PrismaClient;
  metrics: Registry;
  /** Closes Kafka clients, then the database pool. */
  close(): Promise<void>;
}

/** The I/O clients a service process owns, built from its parsed configuration. */
export function createInfra(service: string, config: InfraConfig): Infra {
  const log = createLogger({ service, level: config.LOG_LEVEL });
  const bus = new Bus({ clientId: config.KAFKA_CLIENT_ID ?? service, brokers: config.KAFKA_BROKERS, topicPrefix: config.KAFKA_TOPIC_PREFIX, logger: log, sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS });
  const prisma = createPrisma(config.DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX });
  const metrics = createMetricsRegistry(service);
  return {
    log,
    bus,
    prisma,
    metrics,
    close: async () => {
      await bus.close();
      await prisma.$disconnect();
    },
  };
}
