import { Bus } from '@hub/bus';
import { createPrisma, type PrismaClient } from '@hub/db';
import { createLogger, type Logger } from '@hub/logger';
import type { Registry } from 'prom-client';
import { consumerLagRecorder, createMetricsRegistry, deadLetterRecorder, serveMetrics } from './metrics.ts';

export interface InfraConfig {
  KAFKA_BROKERS: string[];
  KAFKA_TOPIC_PREFIX: string;
  KAFKA_CLIENT_ID?: string | undefined;
  KAFKA_SESSION_TIMEOUT_MS?: number;
  KAFKA_FETCH_MAX_WAIT_MS?: number;
  DATABASE_URL: string;
  DATABASE_POOL_MAX: number;
  LOG_LEVEL: string;
  /** When set, GET /metrics is served on this port (services without an HTTP server). */
  METRICS_PORT?: number | undefined;
  HOST?: string | undefined;
}

export interface Infra {
  log: Logger;
  bus: Bus;
  prisma: PrismaClient;
  metrics: Registry;
  /** Resolves once the metrics port (if any) listens; rejects when it cannot be bound. */
  ready(): Promise<void>;
  /** Closes Kafka clients, then the database pool. */
  close(): Promise<void>;
}

/** The I/O clients a service process owns, built from its parsed configuration. */
export function createInfra(service: string, config: InfraConfig): Infra {
  const log = createLogger({ service, level: config.LOG_LEVEL });
  const metrics = createMetricsRegistry(service);
  const bus = new Bus({
    clientId: config.KAFKA_CLIENT_ID ?? service, brokers: config.KAFKA_BROKERS, topicPrefix: config.KAFKA_TOPIC_PREFIX, logger: log,
    sessionTimeoutMs: config.KAFKA_SESSION_TIMEOUT_MS, fetchMaxWaitMs: config.KAFKA_FETCH_MAX_WAIT_MS, onLag: consumerLagRecorder(metrics),
    onDeadLetter: deadLetterRecorder(metrics),
  });
  const prisma = createPrisma(config.DATABASE_URL, { poolMax: config.DATABASE_POOL_MAX });
  const metricsServer = config.METRICS_PORT ? serveMetrics(metrics, config.METRICS_PORT, config.HOST ?? '0.0.0.0', log) : null;
  // A port that cannot be bound fails start-up (runService exits non-zero), not silently.
  metricsServer?.catch(() => undefined);
  return {
    log,
    bus,
    prisma,
    metrics,
    ready: async () => {
      await metricsServer;
    },
    close: async () => {
      const server = await metricsServer?.catch(() => null);
      server?.close();
      await bus.close();
      await prisma.$disconnect();
    },
  };
}
