export { buildScheduler, type SchedulerDeps } from './app.ts';
export { loadSchedulerConfig } from './config.ts';
export { sweepRetention, startRetention, DEFAULT_RETENTION, type RetentionPolicy, type RetentionResult } from './retention.ts';
export { retentionPolicyOf, schedulerEnv } from './config.ts';
