import { systemClock } from '@hub/contracts';
import { createInfra, runService } from '@hub/runtime';
import { createTwilioProvider } from '@hub/sms-provider';
import { buildGateway } from './app.ts';
import { loadGatewayConfig } from './config.ts';

const config = loadGatewayConfig();
const infra = createInfra('gateway', config);
await runService(infra.log, async () => {
  const provider = config.TWILIO_ACCOUNT_SID && config.TWILIO_AUTH_TOKEN
    ? createTwilioProvider({
        accountSid: config.TWILIO_ACCOUNT_SID,
        authToken: config.TWILIO_AUTH_TOKEN,
        baseUrl: config.TWILIO_BASE_URL,
        from: config.TWILIO_FROM_NUMBER,
        messagingServiceSid: config.TWILIO_MESSAGING_SERVICE_SID,
        verifyServiceSid: config.TWILIO_VERIFY_SERVICE_SID,
        timeoutMs: config.TWILIO_TIMEOUT_MS,
      })
    : undefined;
  const app = await buildGateway({
    ...infra,
    provider,
    clock: systemClock,
    publicBaseUrl: config.PUBLIC_BASE_URL,
    bodyLimit: config.GATEWAY_BODY_LIMIT_BYTES,
    rateLimitPerMinute: config.GATEWAY_RATE_LIMIT_PER_MINUTE,
    maxBatch: config.GATEWAY_MAX_BATCH,
  });
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  infra.log.info({ address }, 'gateway listening');
  return { stop: async () => { await app.close(); await infra.close(); } };
});
