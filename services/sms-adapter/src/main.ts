import { systemClock } from '@hub/contracts';
import { createInfra, runService } from '@hub/runtime';
import { twilioProviderFromEnv } from '@hub/sms-provider';
import { buildSmsAdapter } from './app.ts';
import { providerCallRecorder } from './metrics.ts';
import { loadSmsAdapterConfig } from './config.ts';

const config = loadSmsAdapterConfig();
const infra = createInfra('sms-adapter', config);
await runService(infra.log, async () => {
  await infra.ready();
  const provider = twilioProviderFromEnv(config, { onCall: providerCallRecorder(infra.metrics) });
  if (!provider) throw new Error('TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are required');
  const adapter = await buildSmsAdapter({
    ...infra,
    clock: systemClock,
    provider,
    ratePerSecond: config.SMS_RATE_PER_SECOND,
    templateCacheTtlMs: config.SMS_TEMPLATE_CACHE_TTL_MS,
    databaseUrl: config.DATABASE_URL,
    partitionsConcurrency: config.SMS_PARTITIONS_CONCURRENCY,
    userConcurrency: config.SMS_USER_CONCURRENCY,
    hotPath: { maxBatch: config.SMS_DB_BATCH_MAX, concurrency: config.SMS_DB_BATCH_CONCURRENCY },
    reconcileStaleAfterMs: config.SMS_STALE_AFTER_MS,
    reconcileIntervalMs: config.SMS_RECONCILE_INTERVAL_MS,
    pause: { initialMs: config.SMS_PAUSE_INITIAL_MS, maxMs: config.SMS_PAUSE_MAX_MS },
    settings: {
      statusCallbackBaseUrl: config.STATUS_CALLBACK_BASE_URL,
      publicBaseUrl: config.PUBLIC_BASE_URL,
      from: config.TWILIO_FROM_NUMBER,
      messagingServiceSid: config.TWILIO_MESSAGING_SERVICE_SID,
      maxAttempts: config.SMS_MAX_ATTEMPTS,
      allowedCountries: config.SMS_ALLOWED_COUNTRIES,
      footer: config.SMS_OPT_OUT_FOOTER,
      reconcileAfterMs: config.SMS_RECONCILE_AFTER_MS,
      userRateLimits: { perMinute: config.SMS_RATE_LIMIT_PER_MINUTE, perHour: config.SMS_RATE_LIMIT_PER_HOUR },
      rateLimitAction: config.SMS_RATE_LIMIT_ACTION,
    },
  });
  infra.log.info({ allowedCountries: config.SMS_ALLOWED_COUNTRIES, allowedCountriesFrom: config.allowedCountriesFrom }, 'sms-adapter started');
  return { stop: async () => { await adapter.stop(); await infra.close(); } };
});
