import { systemClock } from '@hub/contracts';
import { createInfra, runService } from '@hub/runtime';
import { buildRouter } from './app.ts';
import { loadRouterConfig } from './config.ts';

const config = loadRouterConfig();
const infra = createInfra('router', config);
await runService(infra.log, async () => {
  await infra.ready();
  const router = await buildRouter({ ...infra, clock: systemClock, channels: config.ROUTER_CHANNELS, chunkSize: config.ROUTER_FANOUT_CHUNK, routeAheadMs: config.ROUTER_ROUTE_AHEAD_MS });
  infra.log.info('router started');
  return { stop: async () => { await router.stop(); await infra.close(); } };
});
