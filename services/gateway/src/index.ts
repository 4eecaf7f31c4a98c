export { buildGateway, type GatewayDeps, type RouteEntry } from './app.ts';
export { loadGatewayConfig, gatewayEnv } from './config.ts';
export { createApiKey, verifyApiKey, hasScope, SCOPES, type Scope } from './api-keys.ts';
export { SEED_RECIPIENT_DEFAULTS, type RecipientDefaults } from './recipient-defaults.ts';
export { signInboxToken, signInboxJwt, verifyInboxToken, parseInboxKeys, type InboxTokenKey } from './inbox/tokens.ts';
export { DEV_INBOX_KEYS, type InboxSettings } from './inbox/settings.ts';
