import { systemClock } from '@hub/contracts';
import { createSmtpProvider, smtpOptionsFromEnv } from '@hub/email-provider';
import { createInfra, runService } from '@hub/runtime';
import { buildEmailAdapter } from './app.ts';
import { loadEmailAdapterConfig } from './config.ts';
import { emailProviderCallRecorder } from './metrics.ts';

const config = loadEmailAdapterConfig();
const infra = createInfra('email-adapter', config);
await runService(infra.log, async () => {
  await infra.ready();
  const provider = createSmtpProvider(smtpOptionsFromEnv(config), { onCall: emailProviderCallRecorder(infra.metrics) });
  const adapter = await buildEmailAdapter({
    ...infra,
    clock: systemClock,
    provider,
    templateCacheTtlMs: config.EMAIL_TEMPLATE_CACHE_TTL_MS,
    pause: { initialMs: config.EMAIL_PAUSE_INITIAL_MS, maxMs: config.EMAIL_PAUSE_MAX_MS },
    databaseUrl: config.DATABASE_URL,
    userConcurrency: config.EMAIL_USER_CONCURRENCY,
    partitionsConcurrency: config.EMAIL_PARTITIONS_CONCURRENCY,
    settings: {
      from: config.EMAIL_FROM,
      messageIdDomain: config.messageIdDomain,
      publicBaseUrl: config.PUBLIC_BASE_URL,
      linkSecret: config.HUB_LINK_SECRET,
      unsubscribeScope: config.EMAIL_UNSUBSCRIBE_SCOPE,
      sendgridArgs: config.EMAIL_SENDGRID_ARGS,
      maxAttempts: config.EMAIL_MAX_ATTEMPTS,
      retry: { baseDelayMs: config.EMAIL_RETRY_BASE_MS, maxDelayMs: config.EMAIL_RETRY_MAX_MS },
      reconcileAfterMs: config.EMAIL_RECONCILE_AFTER_MS,
      unknownOutcome: config.EMAIL_UNKNOWN_OUTCOME,
    },
  });
  if (config.linkSecretIsDev) infra.log.warn('HUB_LINK_SECRET is not set: unsubscribe links are signed with the development secret; set it (the same value on the gateway) before sending real email');
  infra.log.info({ smtp: `${config.SMTP_HOST}:${config.SMTP_PORT}`, from: config.EMAIL_FROM }, 'email-adapter started');
  return { stop: async () => { await adapter.stop(); await provider.close(); await infra.close(); } };
});
