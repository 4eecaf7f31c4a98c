import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import { Bus, ensureHubTopics } from '@hub/bus';
import { systemClock, TOPIC_PARTITIONS, type Clock, type TopicName } from '@hub/contracts';
import { createPrisma, type PrismaClient } from '@hub/db';
import { createLogger, type Logger } from '@hub/logger';
import { createMetricsRegistry } from '@hub/runtime';
import { createTwilioProvider, type PhoneVerifier, type SmsProvider } from '@hub/sms-provider';
import { createTwilioSandbox, type TwilioSandbox } from '@hub/twilio-sandbox';
import { createTestDatabase, freePort } from '@hub/testkit';
import { buildGateway, createApiKey, type RecipientDefaults, type Scope } from '@hub/gateway';
import { buildRouter } from '@hub/router';
import { buildSmsAdapter } from '@hub/sms-adapter';
import { buildStatusIngest } from '@hub/status-ingest';
import { buildScheduler } from '@hub/scheduler';
import { buildEmailAdapter } from '@hub/email-adapter';
import { createSmtpProvider, type EmailProvider } from '@hub/email-provider';
import { createEmailSandbox, type EmailSandbox } from '@hub/email-sandbox';
import { buildInappAdapter } from '@hub/inapp-adapter';
import type { InboxTokenKey } from '@hub/gateway';
import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';

export interface HubOptions {
  clock?: Clock;
  /** Partitions per topic (fewer = faster group joins in tests). */
  partitions?: number;
  ratePerSecond?: number;
  maxAttempts?: number;
  /** The adapter's template cache TTL (default 0: no cache). */
  templateCacheTtlMs?: number;
  allowedCountries?: string[];
  footer?: 'first' | 'always' | 'never';
  /** A Messaging Service for the sms-adapter: enables Twilio-native scheduling (the router then routes targeted events up to 7 days ahead). */
  messagingServiceSid?: string;
  /** Services NOT built in this process (a test runs them as child processes: crash tests). */
  external?: ExternalService[];
  /** Another broker than the suite's (tests that restart Kafka start their own). */
  brokers?: string[];
  /** Per-call timeout of the provider the in-process services use (default 5000 ms; child processes get it as TWILIO_TIMEOUT_MS). */
  providerTimeoutMs?: number;
  /** An already migrated database of another server (tests that restart PostgreSQL start their own). */
  databaseUrl?: string;
  /** What the email-adapter does with a send of unknown outcome nobody confirmed (default 'resend'). */
  emailUnknownOutcome?: 'resend' | 'fail';
  /** How long a send of unknown outcome waits for the provider's event (default 2000 ms). */
  emailReconcileAfterMs?: number;
  /** The email sandbox posts its SendGrid events (default true). */
  emailWebhooks?: boolean;
  emailMaxAttempts?: number;
  /** Per-user SMS limits of the sms-adapter (default: none in test hubs; production defaults 10/min, 100/h). */
  smsRateLimits?: { perMinute: number; perHour: number };
  smsRateLimitAction?: 'defer' | 'skip';
  /** Defaults of recipients created through the gateway (default: the legacy ones, toggles on, no quiet hours). */
  recipientDefaults?: RecipientDefaults;
  /** The sms- and email-adapters' channel pause on provider-wide failures (default 300 ms doubling to 3 s: production 5 s to 5 min). */
  smsPause?: { initialMs: number; maxMs: number };
  /** The gateway's POST /v1/sends may text a raw number (GATEWAY_SENDS_ALLOW_RAW_NUMBERS; default false). */
  sendsAllowRawNumbers?: boolean;
}

/** What test hubs give new recipients unless told otherwise: what the existing tests were written against. */
export const LEGACY_RECIPIENT_DEFAULTS: RecipientDefaults = { taskReminders: true, dailyBriefSms: true, urgentAlerts: true, quietHoursStart: null, quietHoursEnd: null };

export type ExternalService = 'sms-adapter' | 'router' | 'scheduler' | 'status-ingest' | 'email-adapter' | 'inapp-adapter';

/** The key test hubs sign end-user inbox tokens with (INBOX_TOKEN_KEYS=test=<secret>). */
export const TEST_INBOX_KEY: InboxTokenKey = { kid: 'test', secret: 'test-inbox-secret-0123456789abcdef0123' };

/** The secret of unsubscribe links in test hubs (the gateway and the email-adapter share it). */
export const TEST_LINK_SECRET = 'test-link-secret-0123456789abcdef';
export const TEST_EMAIL_FROM = 'Test Hub <hub@hub.test>';

export interface TestHub {
  prefix: string;
  databaseUrl: string;
  brokers: string[];
  prisma: PrismaClient;
  /** A bus of the test itself, for publishing and reading topics directly. */
  bus: Bus;
  sandbox: TwilioSandbox;
  provider: SmsProvider & PhoneVerifier;
  /** The local SMTP server standing in for the email provider (SendGrid-format events). */
  emailSandbox: EmailSandbox;
  emailProvider: EmailProvider;
  gateway: FastifyInstance;
  /** Where the gateway listens (email links point here). */
  gatewayUrl: string;
  statusIngestUrl: string;
  /** The in-process router's metrics (fallbacks, escalations). */
  routerMetrics: Registry;
  /** The in-process sms-adapter's metrics (channel pause). */
  smsAdapterMetrics: Registry;
  emailAdapterMetrics: Registry;
  log: Logger;
  apiKey(scopes?: Scope[]): Promise<string>;
  /** Environment for running a service of this hub as a child process. */
  envFor(service: ExternalService, extra?: Record<string, string>): Record<string, string>;
  stop(): Promise<void>;
}

const TEST_LOG_LEVEL = process.env.TEST_LOG_LEVEL ?? 'silent';

/**
 * Starts the whole hub in this process against the real broker and a fresh database:
 * all five services, each with its own Kafka clients, a unique topic prefix, and the
 * Twilio sandbox reached through the official SDK.
 */
export async function startHub(options: HubOptions = {}): Promise<TestHub> {
  const brokers = options.brokers ?? inject('kafkaBrokers');
  const db = options.databaseUrl
    ? { url: options.databaseUrl, drop: async () => undefined }
    : await createTestDatabase(inject('baseDatabaseUrl'), inject('templateDatabase'));
  const prefix = `t${randomBytes(4).toString('hex')}`;
  const clock = options.clock ?? systemClock;
  const log = createLogger({ service: 'test', level: TEST_LOG_LEVEL, pretty: false });
  const closers: (() => Promise<unknown>)[] = [];
  const newBus = (name: string) => {
    const bus = new Bus({ clientId: `${prefix}-${name}`, brokers, topicPrefix: prefix, logger: log.child({ service: name }), sessionTimeoutMs: 6_000 });
    closers.push(() => bus.close());
    return bus;
  };
  const prisma = createPrisma(db.url, { poolMax: 10 });
  const testBus = newBus('test');
  const partitions = options.partitions ?? 2;
  await ensureHubTopics(testBus, {
    partitions: Object.fromEntries(Object.keys(TOPIC_PARTITIONS).map((t) => [t, partitions])) as Record<TopicName, number>,
  });

  const sandbox = createTwilioSandbox({ logger: false });
  await sandbox.start();
  const provider = createTwilioProvider({
    accountSid: sandbox.accountSid,
    authToken: sandbox.authToken,
    baseUrl: sandbox.url,
    from: '+15005550006',
    verifyServiceSid: 'VA00000000000000000000000000000000',
    timeoutMs: options.providerTimeoutMs ?? 5_000,
  });

  const port = await freePort();
  const statusIngestUrl = `http://127.0.0.1:${port}`;
  const emailSandbox = createEmailSandbox({ webhookUrl: options.emailWebhooks === false ? undefined : `${statusIngestUrl}/webhooks/sendgrid/events`, eventDelayMs: 20 });
  await emailSandbox.start();
  const emailProvider = createSmtpProvider({
    host: emailSandbox.smtpHost, port: emailSandbox.smtpPort, secure: false, startTls: 'never', tls: {}, maxConnections: 5, maxMessages: 100, ratePerSecond: 0, timeoutMs: 5_000,
  });
  // The gateway listens (for the sandbox's one-click unsubscribe POSTs); email links point at it.
  const gatewayPort = await freePort();
  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const emailSettings = {
    from: TEST_EMAIL_FROM,
    messageIdDomain: 'hub.test',
    publicBaseUrl: gatewayUrl,
    linkSecret: TEST_LINK_SECRET,
    unsubscribeScope: 'event_type' as const,
    sendgridArgs: true,
    maxAttempts: options.emailMaxAttempts ?? 3,
    retry: { baseDelayMs: 300, maxDelayMs: 2_000 },
    reconcileAfterMs: options.emailReconcileAfterMs ?? 2_000,
    unknownOutcome: options.emailUnknownOutcome ?? 'resend',
  };
  const external = new Set(options.external ?? []);
  const statusIngest = external.has('status-ingest') ? null : await buildStatusIngest({
    bus: newBus('status-ingest'),
    prisma,
    log: log.child({ service: 'status-ingest' }),
    clock,
    metrics: createMetricsRegistry('status-ingest'),
    authToken: sandbox.authToken,
    publicUrl: statusIngestUrl,
    helpText: 'Test hub help. Reply STOP to unsubscribe.',
    sendgridPublicKey: emailSandbox.publicKey,
  });
  await statusIngest?.app.listen({ port, host: '127.0.0.1' });

  const smsAdapterMetrics = createMetricsRegistry('sms-adapter');
  const adapter = external.has('sms-adapter') ? null : await buildSmsAdapter({
    bus: newBus('sms-adapter'),
    prisma,
    log: log.child({ service: 'sms-adapter' }),
    clock,
    provider,
    metrics: smsAdapterMetrics,
    ratePerSecond: options.ratePerSecond ?? 1_000,
    templateCacheTtlMs: options.templateCacheTtlMs ?? 0,
    databaseUrl: db.url,
    reconcileStaleAfterMs: 3_000,
    reconcileIntervalMs: 1_000,
    pause: options.smsPause ?? { initialMs: 300, maxMs: 3_000 },
    settings: {
      statusCallbackBaseUrl: statusIngestUrl,
      publicBaseUrl: 'http://127.0.0.1:3000',
      from: '+15005550006',
      messagingServiceSid: options.messagingServiceSid,
      maxAttempts: options.maxAttempts ?? 3,
      allowedCountries: options.allowedCountries ?? ['US', 'CA', 'GB'],
      footer: options.footer ?? 'never',
      reconcileAfterMs: 2_000,
      userRateLimits: options.smsRateLimits,
      rateLimitAction: options.smsRateLimitAction,
    },
  });
  const emailAdapterMetrics = createMetricsRegistry('email-adapter');
  const emailAdapter = external.has('email-adapter') ? null : await buildEmailAdapter({
    bus: newBus('email-adapter'),
    prisma,
    log: log.child({ service: 'email-adapter' }),
    clock,
    provider: emailProvider,
    metrics: emailAdapterMetrics,
    pause: options.smsPause ?? { initialMs: 300, maxMs: 3_000 },
    templateCacheTtlMs: options.templateCacheTtlMs ?? 0,
    databaseUrl: db.url,
    settings: emailSettings,
  });
  const inappAdapter = external.has('inapp-adapter') ? null : await buildInappAdapter({
    bus: newBus('inapp-adapter'), prisma, log: log.child({ service: 'inapp-adapter' }), clock, metrics: createMetricsRegistry('inapp-adapter'), templateCacheTtlMs: 0,
  });
  const routerMetrics = createMetricsRegistry('router');
  const router = external.has('router') ? null : await buildRouter({ metrics: routerMetrics, bus: newBus('router'), prisma, log: log.child({ service: 'router' }), clock, routeAheadMs: options.messagingServiceSid ? 7 * 86_400_000 : 0 });
  const scheduler = external.has('scheduler') ? null : await buildScheduler({ bus: newBus('scheduler'), prisma, log: log.child({ service: 'scheduler' }), clock, pollMs: 100, claimTimeoutMs: 5_000 });
  const gateway = await buildGateway({
    allowedCountries: options.allowedCountries ?? ['US', 'CA', 'GB'],
    prisma,
    bus: newBus('gateway'),
    log: log.child({ service: 'gateway' }),
    clock,
    metrics: createMetricsRegistry('gateway'),
    publicBaseUrl: 'http://127.0.0.1:3000',
    provider,
    emailProvider,
    email: { from: TEST_EMAIL_FROM, linkSecret: TEST_LINK_SECRET, trustUpstreamVerified: true },
    inbox: { keys: [TEST_INBOX_KEY], maxJwtTtlSeconds: 3_600, databaseUrl: db.url },
    databaseUrl: db.url,
    recipientDefaults: options.recipientDefaults ?? LEGACY_RECIPIENT_DEFAULTS,
    sends: { allowRawNumbers: options.sendsAllowRawNumbers ?? false },
  });
  await gateway.listen({ port: gatewayPort, host: '127.0.0.1' });
  await Promise.all([statusIngest?.ready, adapter?.ready, emailAdapter?.ready, inappAdapter?.ready, router?.ready, scheduler?.ready]);

  return {
    prefix,
    databaseUrl: db.url,
    brokers,
    prisma,
    bus: testBus,
    sandbox,
    provider,
    emailSandbox,
    emailProvider,
    gateway,
    gatewayUrl,
    statusIngestUrl,
    routerMetrics,
    smsAdapterMetrics,
    emailAdapterMetrics,
    log,
    envFor: (service, extra = {}) => ({
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_CLIENT_ID: `${prefix}-${service}-child`,
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      DATABASE_URL: db.url,
      DATABASE_POOL_MAX: '5',
      LOG_LEVEL: process.env.TEST_CHILD_LOG_LEVEL ?? 'warn',
      LOG_PRETTY: '0',
      TWILIO_ACCOUNT_SID: sandbox.accountSid,
      TWILIO_AUTH_TOKEN: sandbox.authToken,
      TWILIO_BASE_URL: sandbox.url,
      TWILIO_FROM_NUMBER: '+15005550006',
      STATUS_CALLBACK_BASE_URL: statusIngestUrl,
      STATUS_INGEST_PUBLIC_URL: statusIngestUrl,
      PUBLIC_BASE_URL: 'http://127.0.0.1:3000',
      SMS_RATE_PER_SECOND: String(options.ratePerSecond ?? 1_000),
      SMS_ALLOWED_COUNTRIES: (options.allowedCountries ?? ['US', 'CA', 'GB']).join(','),
      SMS_OPT_OUT_FOOTER: options.footer ?? 'never',
      SMS_RECONCILE_AFTER_MS: '2000',
      SMS_RATE_LIMIT_PER_MINUTE: String(options.smsRateLimits?.perMinute ?? 0),
      SMS_RATE_LIMIT_PER_HOUR: String(options.smsRateLimits?.perHour ?? 0),
      SMS_STALE_AFTER_MS: '3000',
      SMS_RECONCILE_INTERVAL_MS: '1000',
      ...(service === 'status-ingest' ? { PORT: String(port), HOST: '127.0.0.1' } : {}),
      SMS_TEMPLATE_CACHE_TTL_MS: '0',
      SCHEDULER_POLL_MS: '100',
      SMTP_HOST: emailSandbox.smtpHost,
      SMTP_PORT: String(emailSandbox.smtpPort),
      SMTP_STARTTLS: 'never',
      SMTP_RATE_PER_SECOND: '0',
      SMTP_TIMEOUT_MS: '5000',
      EMAIL_FROM: TEST_EMAIL_FROM,
      EMAIL_MESSAGE_ID_DOMAIN: 'hub.test',
      HUB_LINK_SECRET: TEST_LINK_SECRET,
      ...(service === 'email-adapter' ? { PUBLIC_BASE_URL: gatewayUrl } : {}),
      EMAIL_MAX_ATTEMPTS: String(options.emailMaxAttempts ?? 3),
      EMAIL_RETRY_BASE_MS: '300',
      EMAIL_RETRY_MAX_MS: '2000',
      EMAIL_RECONCILE_AFTER_MS: String(options.emailReconcileAfterMs ?? 2_000),
      EMAIL_UNKNOWN_OUTCOME: options.emailUnknownOutcome ?? 'resend',
      EMAIL_TEMPLATE_CACHE_TTL_MS: '0',
      ...(service === 'status-ingest' ? { SENDGRID_WEBHOOK_PUBLIC_KEY: emailSandbox.publicKey } : {}),
      SCHEDULER_CLAIM_TIMEOUT_MS: '3000',
      INAPP_TEMPLATE_CACHE_TTL_MS: '0',
      ...(options.providerTimeoutMs ? { TWILIO_TIMEOUT_MS: String(options.providerTimeoutMs) } : {}),
      ...extra,
    }),
    apiKey: async (scopes: Scope[] = ['events:write', 'admin:write']) => (await createApiKey(prisma, 'test', scopes)).key,
    stop: async () => {
      await gateway.close();
      await Promise.allSettled([router?.stop(), adapter?.stop(), emailAdapter?.stop(), inappAdapter?.stop(), scheduler?.stop(), statusIngest?.stop()]);
      await Promise.allSettled(closers.map((c) => c()));
      await sandbox.close();
      await emailProvider.close();
      await emailSandbox.close();
      await prisma.$disconnect();
      await db.drop().catch(() => undefined);
    },
  };
}
