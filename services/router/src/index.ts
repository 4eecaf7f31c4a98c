export { buildRouter, type RouterDeps } from './app.ts';
export { loadRouterConfig } from './config.ts';
