export { buildGateway, type GatewayDeps } from './app.ts';
export { loadGatewayConfig, gatewayEnv } from './config.ts';
export { createApiKey, verifyApiKey, SCOPES, type Scope } from './api-keys.ts';
