import { systemClock } from '@hub/contracts';
import { createInfra, runService } from '@hub/runtime';
import { buildGateway } from './app.ts';
import { loadGatewayConfig } from './config.ts';

const config = loadGatewayConfig();
const infra = createInfra('gateway', config);
await runService(infra.log, async () => {
  const app = await buildGateway({
    ...infra,
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
