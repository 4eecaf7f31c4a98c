import { systemClock } from '@hub/contracts';
import { createInfra, runService } from '@hub/runtime';
import { configuredSender, twilioAccountFromEnv, twilioProviderFromEnv } from '@hub/sms-provider';
import { createSmtpProvider, smtpOptionsFromEnv } from '@hub/email-provider';
import { buildGateway } from './app.ts';
import { DEV_INBOX_KEYS } from './inbox/settings.ts';
import { DEV_LINK_SECRET, loadGatewayConfig, recipientDefaultsFrom } from './config.ts';
import { allowedDestinations } from '@hub/sms-rules';

const config = loadGatewayConfig();
const infra = createInfra('gateway', config);
await runService(infra.log, async () => {
  // Without credentials the gateway still serves everything but verification and provider health.
  const provider = twilioProviderFromEnv(config);
  // The account checks of /health (balance, sender exists), asked in the background.
  const providerAccount = twilioAccountFromEnv(config);
  // The relay of the address confirmations (SMTP_*; the local start points it at the email sandbox).
  const emailProvider = config.EMAIL_ENABLED ? createSmtpProvider(smtpOptionsFromEnv(config)) : undefined;
  if (!config.HUB_LINK_SECRET) {
    infra.log.warn({ variable: 'HUB_LINK_SECRET' }, 'HUB_LINK_SECRET is unset: unsubscribe links are verified with the development secret; set it (the same value as the email-adapter) before real use');
  }
  if (!config.INBOX_TOKEN_KEYS) infra.log.warn({ variable: 'INBOX_TOKEN_KEYS' }, 'INBOX_TOKEN_KEYS is unset: inbox tokens are checked with the development key "dev"; set it before real use');
  const app = await buildGateway({
    ...infra,
    provider,
    ...(providerAccount ? { providerAccount: { account: providerAccount, sender: configuredSender(config) } } : {}),
    ...(emailProvider ? { emailProvider } : {}),
    email: {
      from: config.EMAIL_FROM,
      linkSecret: config.HUB_LINK_SECRET ?? DEV_LINK_SECRET,
      trustUpstreamVerified: config.EMAIL_TRUST_UPSTREAM_VERIFIED,
      verificationTtlMs: config.EMAIL_VERIFICATION_TTL_MINUTES * 60_000,
      maxVerificationStarts: config.EMAIL_VERIFICATION_STARTS_PER_HOUR,
    },
    clock: systemClock,
    inbox: {
      keys: config.INBOX_TOKEN_KEYS ?? DEV_INBOX_KEYS,
      maxJwtTtlSeconds: config.INBOX_JWT_MAX_TTL_SECONDS,
      databaseUrl: config.DATABASE_URL,
      heartbeatMs: config.INBOX_STREAM_HEARTBEAT_MS,
    },
    apiKeyCacheTtlMs: config.GATEWAY_API_KEY_CACHE_TTL_MS,
    databaseUrl: config.DATABASE_URL,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    recipientDefaults: recipientDefaultsFrom(config),
    sends: { allowRawNumbers: config.GATEWAY_SENDS_ALLOW_RAW_NUMBERS },
    bodyLimit: config.GATEWAY_BODY_LIMIT_BYTES,
    rateLimitPerMinute: config.GATEWAY_RATE_LIMIT_PER_MINUTE,
    maxBatch: config.GATEWAY_MAX_BATCH,
    maxVerificationStarts: config.GATEWAY_VERIFICATION_STARTS_PER_HOUR,
    allowedCountries: allowedDestinations(config.SMS_ALLOWED_COUNTRIES, config.TWILIO_FROM_NUMBER, config.SMS_DEFAULT_COUNTRY).countries,
    prices: config.GATEWAY_SMS_PRICES,
    health: {
      latencyYellowMs: config.HEALTH_LATENCY_YELLOW_MS,
      latencyRedMs: config.HEALTH_LATENCY_RED_MS,
      rateGreen: config.HEALTH_RATE_GREEN,
      rateYellow: config.HEALTH_RATE_YELLOW,
      rateWindowMs: config.HEALTH_RATE_WINDOW_MS,
      minSample: config.HEALTH_RATE_MIN_SAMPLE,
      cacheMs: config.HEALTH_CACHE_MS,
      emailBounceYellow: config.HEALTH_EMAIL_BOUNCE_YELLOW,
      emailBounceRed: config.HEALTH_EMAIL_BOUNCE_RED,
      emailComplaintYellow: config.HEALTH_EMAIL_COMPLAINT_YELLOW,
      emailComplaintRed: config.HEALTH_EMAIL_COMPLAINT_RED,
      deliveryTimeYellowMs: config.HEALTH_DELIVERY_TIME_YELLOW_MS,
      deliveryTimeRedMs: config.HEALTH_DELIVERY_TIME_RED_MS,
      balanceYellow: config.HEALTH_BALANCE_YELLOW,
      balanceRed: config.HEALTH_BALANCE_RED,
      accountRefreshMs: config.HEALTH_ACCOUNT_REFRESH_MS,
    },
  });
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  infra.log.info({ address }, 'gateway listening');
  return { stop: async () => { await app.close(); providerAccount?.close(); await emailProvider?.close(); await infra.close(); } };
});
