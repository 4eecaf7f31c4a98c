export { buildStatusIngest, type StatusIngestDeps } from './app.ts';
export { loadStatusIngestConfig } from './config.ts';
