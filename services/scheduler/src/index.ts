export { buildScheduler, type SchedulerDeps } from './app.ts';
export { loadSchedulerConfig } from './config.ts';
