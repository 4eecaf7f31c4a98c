import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import type { Registry } from 'prom-client';
import type { PrismaClient } from '@hub/db';
import type { Bus } from '@hub/bus';
import type { Clock } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import type { PhoneVerifier, SmsProvider } from '@hub/sms-provider';
import type { EmailProvider } from '@hub/email-provider';
import type { Scope } from './api-keys.ts';
import { HealthMonitor, type ProviderAccountHealth } from './health/monitor.ts';
import { DEFAULT_HEALTH_THRESHOLDS, type HealthThresholds } from './health/verdict.ts';
import { authenticate, routeScopes, useKeyCache } from './plugins/auth.ts';
import { VerifiedKeyCache } from './key-cache.ts';
import { watchApiKeyChanges } from './key-changes.ts';
import { DEV_LINK_SECRET, MAX_EVENT_PAYLOAD_BYTES } from './config.ts';
import { clientErrorHandler, frameworkErrorHandler, registerErrorHandler } from './plugins/errors.ts';
import { registerInputGuard } from './plugins/input-guard.ts';
import { createGatewayMetrics, instrumentProvider, registerHttpMetrics } from './plugins/metrics.ts';
import { DEFAULT_PRICES, type PriceTable } from './pricing.ts';
import { registerDeliveryRoutes } from './routes/deliveries.ts';
import { registerEventCancelRoute } from './routes/event-cancel.ts';
import { registerEventRoutes } from './routes/events.ts';
import { registerHealthRoutes } from './routes/health.ts';
import { registerLinkRoutes } from './routes/links.ts';
import { registerMetricsApiRoutes } from './routes/metrics-api.ts';
import { registerPhoneVerificationRoutes } from './routes/phone-verification.ts';
import { registerSmsMessageRoutes } from './routes/sms-messages.ts';
import { registerSmsPreferenceRoutes } from './routes/sms-preferences.ts';
import { registerTemplateRoutes } from './routes/templates.ts';
import { registerUserRoutes } from './routes/users.ts';
import { registerChannelPreferenceRoutes } from './routes/channel-preferences.ts';
import { registerEmailAddressRoutes } from './routes/email-address.ts';
import { registerEmailMessageRoutes } from './routes/email-messages.ts';
import { registerEmailTemplateRoutes } from './routes/email-templates.ts';
import { registerEmailVerificationRoutes } from './routes/email-verification.ts';
import { registerChannelMetricsRoutes } from './routes/metrics-channels.ts';
import { registerUnsubscribeRoutes } from './routes/unsubscribe.ts';
import { registerInboxRoutes } from './routes/inbox.ts';
import { registerInboxExampleRoutes } from './routes/inbox-example.ts';
import { registerRoutingRoutes } from './routes/inbox-routing.ts';
import { InboxStreamHub } from './inbox/stream-hub.ts';
import { DEV_INBOX_KEYS, type InboxSettings } from './inbox/settings.ts';
import { SEED_RECIPIENT_DEFAULTS, type RecipientDefaults } from './recipient-defaults.ts';
import { registerSendRoutes } from './routes/sends.ts';
import { registerEventDetailRoute } from './routes/event-detail.ts';
import { registerRecipientSearchRoutes } from './routes/recipients-search.ts';
import { registerAuditTrail } from './routes/audit.ts';
import { registerConsoleRoutes } from './routes/console.ts';
import { registerConsumerLagRoute } from './routes/consumer-lag.ts';
import { registerDeliveriesLiveRoute } from './routes/deliveries-live.ts';
import { registerOptOutHistoryRoute } from './routes/opt-out-history.ts';
import { DeliveryFeed, type DeliveryFeedOptions } from './live/delivery-feed.ts';

export interface GatewayDeps {
  prisma: PrismaClient;
  bus: Bus;
  log: Logger;
  clock: Clock;
  metrics: Registry;
  publicBaseUrl: string;
  bodyLimit?: number;
  rateLimitPerMinute?: number;
  maxBatch?: number;
  /** Twilio (or sandbox): cancelling natively scheduled messages, phone verification, health probe. */
  provider?: SmsProvider & PhoneVerifier;
  /** Verification starts allowed per user per rolling hour (default 5). */
  maxVerificationStarts?: number;
  /** Countries verification codes may be sent to (default: any; main.ts passes the SMS allow-list). */
  allowedCountries?: readonly string[];
  /** Health criteria (runbook defaults); tests lower them to stay fast. */
  health?: Partial<HealthThresholds>;
  /** The background account checks of /health (balance, sender exists); absent: they report not_configured. */
  providerAccount?: ProviderAccountHealth;
  /** Price per segment by country for the cost metrics. */
  prices?: PriceTable;
  /** Bound of an event's serialized payload (default MAX_EVENT_PAYLOAD_BYTES, 256 KiB). */
  maxEventPayloadBytes?: number;
  /** The mail relay for address confirmations (and the health probe); absent: confirmation starts answer 409 email_not_configured. */
  emailProvider?: EmailProvider;
  /** Email settings (docs/email-gateway.md); defaults: EMAIL_FROM's default, the dev link secret, no upstream trust, 24 h links. */
  email?: EmailSettings;
  /** End-user inbox API (docs/inbox.md): token keys, JWT lifetime bound, the LISTEN connection of the stream hub. */
  inbox?: InboxSettings;
  /** SMS preferences of recipients the gateway creates (GATEWAY_DEFAULT_*; default the seeds': toggles off, quiet hours 21:00–08:00). */
  recipientDefaults?: RecipientDefaults;
  /**
   * Verified API keys are kept this long (GATEWAY_API_KEY_CACHE_TTL_MS, default 10 s; 0 = off):
   * the bound on how long a revoked key keeps working when the change notification below is lost.
   */
  apiKeyCacheTtlMs?: number;
  /** When set, api_keys changes announced by PostgreSQL (LISTEN hub_api_key_changed) drop the cached key at once. */
  databaseUrl?: string;
  /** POST /v1/sends: whether a raw phone number may be texted (GATEWAY_SENDS_ALLOW_RAW_NUMBERS, default false). */
  sends?: { allowRawNumbers: boolean };
  /** The console's live stream and consumer-lag cache (docs/console.md); tests lower the bounds. */
  consoleLive?: Omit<DeliveryFeedOptions, 'prisma' | 'log' | 'metrics'> & { maxStreamMs?: number; lagTtlMs?: number };
}

export interface EmailSettings {
  /** From of the confirmation mails, e.g. 'Notification Hub <hub@example.com>'. */
  from: string;
  /** HUB_LINK_SECRET: verifies the one-click unsubscribe tokens the email-adapter signs. */
  linkSecret: string;
  /** EMAIL_TRUST_UPSTREAM_VERIFIED: PUT …/email may store verified=true (verified_by 'upstream'). */
  trustUpstreamVerified: boolean;
  /** Lifetime of a confirmation link (default 24 h). */
  verificationTtlMs?: number;
  /** Confirmation starts per user per rolling hour (default 5). */
  maxVerificationStarts?: number;
  /** Requests per minute per IP on /u/:token and /e/verify/:token (defaults 60 and 30). */
  unsubscribeRateLimitPerMinute?: number;
  verifyPageRateLimitPerMinute?: number;
}

export const DEFAULT_EMAIL_SETTINGS: EmailSettings = {
  from: 'Notification Hub <hub@localhost>',
  linkSecret: DEV_LINK_SECRET,
  trustUpstreamVerified: false,
};

/** One registered route: what the OpenAPI and auth tests compare against. */
export interface RouteEntry {
  method: string;
  url: string;
  /** Scopes of its API-key check (any one suffices), or null for a public route. */
  scopes: readonly Scope[] | null;
  /** Left out of the OpenAPI document (schema.hide). */
  hidden: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered on the app, captured by an onRoute hook. */
    routeTable: RouteEntry[];
  }
}

/** Builds the gateway's Fastify app; main.ts listens, tests call app.inject. */
export async function buildGateway(deps: GatewayDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log as FastifyBaseLogger,
    bodyLimit: deps.bodyLimit ?? 1024 * 1024,
    logController: new LogController({ disableRequestLogging: true }),
    // External user ids are up to 200 characters (users.external_id), URL-encoded in paths.
    routerOptions: { maxParamLength: 700 },
    // The router's refusals (bad percent-encoding, an over-long parameter) and HTTP the
    // parser refuses, in the hub's error shape like every other 4xx.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  });
  const routeTable: RouteEntry[] = [];
  app.decorate('routeTable', routeTable);
  const keyCache = new VerifiedKeyCache(deps.apiKeyCacheTtlMs ?? 10_000);
  useKeyCache(deps.prisma, keyCache);
  const keyChanges = deps.databaseUrl ? watchApiKeyChanges(deps.databaseUrl, keyCache, deps.log) : null;
  app.addHook('onClose', async () => keyChanges?.stop());
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue; // fastify's automatic twin of each GET
      routeTable.push({ method, url: route.url, scopes: routeScopes(route.onRequest), hidden: (route.schema as { hide?: boolean } | undefined)?.hide === true });
    }
  });
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandler(app);
  // A JSON API: a text/plain body is 415 like any other non-JSON one (Fastify parses it by default).
  app.removeContentTypeParser('text/plain');
  // NUL, lone surrogates, deep nesting, oversized event payloads: refused before any route
  // schema or handler sees the input (docs/operations.md, "Input limits").
  const maxPayload = deps.maxEventPayloadBytes ?? MAX_EVENT_PAYLOAD_BYTES;
  registerInputGuard(app, {
    bounded: {
      'POST /v1/events': [{ path: ['payload'], maxBytes: maxPayload }],
      'POST /v1/events/batch': [{ path: ['events', '*', 'payload'], maxBytes: maxPayload }],
    },
  });
  const metrics = createGatewayMetrics(deps.metrics);
  registerHttpMetrics(app, metrics);
  const provider = deps.provider ? instrumentProvider(deps.provider, metrics) : undefined;

  await app.register(helmet, { contentSecurityPolicy: false });
  await app.register(rateLimit, { global: false });
  // One limiter for every request, before any route hook: per verified API key (whichever
  // header carries it), so clients behind one NAT do not share a budget and a forged or
  // revoked key cannot spend another key's; requests without a valid key, failed
  // authentications included, are limited per IP. The key is looked up once per request
  // (requireScope reuses the answer).
  app.addHook('onRequest', app.rateLimit({
    max: deps.rateLimitPerMinute ?? 6_000,
    timeWindow: '1 minute',
    keyGenerator: async (req) => {
      const check = await authenticate(deps.prisma, req);
      return check?.ok ? `key:${check.key.id}` : `ip:${req.ip}`;
    },
  }));
  await app.register(swagger, {
    openapi: {
      info: { title: 'Notification Hub API', version: '1.0.0', description: 'Publish notification events; manage recipients, their phone and email addresses, preferences, SMS and email templates; query deliveries, messages, metrics and health.' },
      servers: [{ url: deps.publicBaseUrl }],
      components: { securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } } },
      security: [{ apiKey: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  const core = { prisma: deps.prisma, bus: deps.bus, clock: deps.clock };
  app.decorate('recipientDefaults', deps.recipientDefaults ?? SEED_RECIPIENT_DEFAULTS);
  registerAuditTrail(app, { prisma: deps.prisma, log: deps.log });
  registerEventDetailRoute(app, { prisma: deps.prisma });
  registerRecipientSearchRoutes(app, { prisma: deps.prisma });
  registerSendRoutes(app, { ...core, allowRawNumbers: deps.sends?.allowRawNumbers ?? false, allowedCountries: deps.allowedCountries ?? ['*'] });
  registerEventRoutes(app, { ...core, metrics, maxBatch: deps.maxBatch ?? 500 });
  registerEventCancelRoute(app, { ...core, provider });
  registerLinkRoutes(app, { prisma: deps.prisma });
  registerDeliveryRoutes(app, { ...core, provider });
  registerSmsMessageRoutes(app, { prisma: deps.prisma });
  registerUserRoutes(app, { prisma: deps.prisma });
  const email = { ...DEFAULT_EMAIL_SETTINGS, ...deps.email };
  registerEmailAddressRoutes(app, { prisma: deps.prisma, clock: deps.clock, trustUpstreamVerified: email.trustUpstreamVerified });
  registerEmailVerificationRoutes(app, {
    prisma: deps.prisma, clock: deps.clock, provider: deps.emailProvider, from: email.from, publicBaseUrl: deps.publicBaseUrl,
    ttlMs: email.verificationTtlMs ?? 24 * 60 * 60 * 1000, maxStarts: email.maxVerificationStarts ?? 5,
    ...(email.verifyPageRateLimitPerMinute ? { pageRateLimitPerMinute: email.verifyPageRateLimitPerMinute } : {}),
  });
  registerUnsubscribeRoutes(app, {
    prisma: deps.prisma, clock: deps.clock, linkSecret: email.linkSecret,
    ...(email.unsubscribeRateLimitPerMinute ? { rateLimitPerMinute: email.unsubscribeRateLimitPerMinute } : {}),
  });
  registerChannelPreferenceRoutes(app, { prisma: deps.prisma });
  registerEmailTemplateRoutes(app, { prisma: deps.prisma });
  registerEmailMessageRoutes(app, { prisma: deps.prisma });
  registerChannelMetricsRoutes(app, { prisma: deps.prisma, clock: deps.clock });
  registerSmsPreferenceRoutes(app, { prisma: deps.prisma, clock: deps.clock });
  registerPhoneVerificationRoutes(app, { ...core, metrics, provider, maxStarts: deps.maxVerificationStarts ?? 5, allowedCountries: deps.allowedCountries ?? ['*'] });
  registerTemplateRoutes(app, { prisma: deps.prisma, publicBaseUrl: deps.publicBaseUrl });
  registerMetricsApiRoutes(app, { prisma: deps.prisma, clock: deps.clock, prices: deps.prices ?? DEFAULT_PRICES });
  const inbox = deps.inbox ?? { keys: DEV_INBOX_KEYS, maxJwtTtlSeconds: 3_600 };
  const inboxHub = new InboxStreamHub({ prisma: deps.prisma, log: deps.log, metrics: deps.metrics, ...(inbox.databaseUrl ? { databaseUrl: inbox.databaseUrl } : {}), ...(inbox.heartbeatMs ? { heartbeatMs: inbox.heartbeatMs } : {}) });
  inboxHub.start();
  app.addHook('preClose', async () => inboxHub.close());
  registerInboxRoutes(app, { prisma: deps.prisma, clock: deps.clock, metrics: deps.metrics, auth: inbox, hub: inboxHub });
  registerInboxExampleRoutes(app);
  registerRoutingRoutes(app, { prisma: deps.prisma });
  const monitor = new HealthMonitor({ ...core, provider: deps.provider, emailProvider: deps.emailProvider, metrics, log: deps.log, thresholds: { ...DEFAULT_HEALTH_THRESHOLDS, ...deps.health }, account: deps.providerAccount, registry: deps.metrics });
  registerHealthRoutes(app, monitor);
  registerConsoleRoutes(app);
  const { maxStreamMs, lagTtlMs, ...feedOptions } = deps.consoleLive ?? {};
  const feed = new DeliveryFeed({ prisma: deps.prisma, log: deps.log, metrics: deps.metrics, ...feedOptions });
  app.addHook('preClose', async () => feed.close());
  registerDeliveriesLiveRoute(app, { prisma: deps.prisma, feed, ...(maxStreamMs ? { maxStreamMs } : {}) });
  registerConsumerLagRoute(app, { ...core, log: deps.log, ...(lagTtlMs !== undefined ? { ttlMs: lagTtlMs } : {}) });
  registerOptOutHistoryRoute(app, { prisma: deps.prisma });
  app.get('/metrics', { schema: { hide: true } as object }, async (_req, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()));
  return app;
}
