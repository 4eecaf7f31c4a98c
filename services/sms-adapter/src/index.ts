export { buildSmsAdapter, type SmsAdapterDeps } from './app.ts';
export { loadSmsAdapterConfig } from './config.ts';
