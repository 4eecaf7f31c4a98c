export { runService, type Stoppable } from './run-service.ts';
export { createMetricsRegistry, consumerLagRecorder, serveMetrics } from './metrics.ts';
export { createInfra, type Infra, type InfraConfig } from './infra.ts';
export { failpoint } from './failpoint.ts';
