import { systemClock } from '@hub/contracts';
import { createInfra, runService } from '@hub/runtime';
import { twilioProviderFromEnv } from '@hub/sms-provider';
import { buildGateway } from './app.ts';
import { loadGatewayConfig } from './config.ts';
import { allowedDestinations } from '@hub/sms-rules';

const config = loadGatewayConfig();
const infra = createInfra('gateway', config);
await runService(infra.log, async () => {
  // Without credentials the gateway still serves everything but verification and provider health.
  const provider = twilioProviderFromEnv(config);
  const app = await buildGateway({
    ...infra,
    provider,
    clock: systemClock,
    publicBaseUrl: config.PUBLIC_BASE_URL,
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
    },
  });
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  infra.log.info({ address }, 'gateway listening');
  return { stop: async () => { await app.close(); await infra.close(); } };
});
