export { buildGateway, type GatewayDeps, type RouteEntry } from './app.ts';
export { loadGatewayConfig, gatewayEnv } from './config.ts';
export { createApiKey, verifyApiKey, hasScope, SCOPES, type Scope } from './api-keys.ts';
