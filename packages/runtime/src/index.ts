export { runService, type Stoppable } from './run-service.ts';
export { createMetricsRegistry } from './metrics.ts';
export { createInfra, type Infra, type InfraConfig } from './infra.ts';
export { failpoint } from './failpoint.ts';
