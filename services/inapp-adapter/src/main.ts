import { systemClock } from '@hub/contracts';
import { createInfra, runService } from '@hub/runtime';
import { buildInappAdapter } from './app.ts';
import { loadInappAdapterConfig } from './config.ts';

const config = loadInappAdapterConfig();
const infra = createInfra('inapp-adapter', config);
await runService(infra.log, async () => {
  await infra.ready();
  const adapter = await buildInappAdapter({
    ...infra,
    clock: systemClock,
    templateCacheTtlMs: config.INAPP_TEMPLATE_CACHE_TTL_MS,
    userConcurrency: config.INAPP_USER_CONCURRENCY,
    partitionsConcurrency: config.INAPP_PARTITIONS_CONCURRENCY,
  });
  infra.log.info('inapp-adapter started');
  return { stop: async () => { await adapter.stop(); await infra.close(); } };
});
