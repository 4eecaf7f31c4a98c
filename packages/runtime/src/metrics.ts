import { createServer, type Server } from 'node:http';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import type { ConsumerLag } from '@hub/bus';
import type { Logger } from '@hub/logger';

/** One Prometheus registry per service, with Node's default process metrics. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

/** hub_kafka_consumer_lag{group,topic,partition}, fed by the bus after every committed chunk. */
export function consumerLagRecorder(registry: Registry): (lag: ConsumerLag) => void {
  const gauge = new Gauge({
    name: 'hub_kafka_consumer_lag',
    help: 'Messages not yet processed in a partition (high watermark of the last fetch minus the committed offset)',
    labelNames: ['group', 'topic', 'partition'] as const,
    registers: [registry],
  });
  return (l) => gauge.set({ group: l.groupId, topic: l.topic, partition: String(l.partition) }, l.lag);
}

/** Counts dead-lettered messages per source topic and reason (hub_dlq_messages_total). */
export function deadLetterRecorder(registry: Registry): (letter: { topic: string; reason: string; truncated: boolean }) => void {
  const counter = new Counter({
    name: 'hub_dlq_messages_total',
    help: 'Messages sent to a dead-letter topic, by source topic and reason (truncated: the copy was cut to fit Kafka)',
    labelNames: ['topic', 'reason', 'truncated'] as const,
    registers: [registry],
  });
  return (l) => counter.inc({ topic: l.topic, reason: l.reason, truncated: String(l.truncated) });
}

/**
 * GET /metrics on its own port, for the services without an HTTP server of their own
 * (router, sms-adapter, scheduler). Resolves once listening.
 */
export async function serveMetrics(registry: Registry, port: number, host: string, log: Logger): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not_found', message: 'only GET /metrics is served here' }));
      return;
    }
    registry.metrics().then(
      (body) => res.writeHead(200, { 'content-type': registry.contentType }).end(body),
      (err: unknown) => {
        log.error({ err }, 'collecting metrics failed');
        res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'internal', message: 'collecting metrics failed' }));
      },
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  log.info({ port, host }, 'metrics served at /metrics');
  return server;
}
