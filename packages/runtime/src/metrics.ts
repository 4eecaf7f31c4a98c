import { collectDefaultMetrics, Registry } from 'prom-client';

/** One Prometheus registry per service, with Node's default process metrics. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
