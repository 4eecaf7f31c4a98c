import { systemClock } from '@hub/contracts';
import { createInfra, runService } from '@hub/runtime';
import { buildRouter } from './app.ts';
import { loadRouterConfig } from './config.ts';

const config = loadRouterConfig();
const infra = createInfra('router', config);
await runService(infra.log, async () => {
  await infra.ready();
  const router = await buildRouter({ ...infra, clock: systemClock, channels: config.ROUTER_CHANNELS, chunkSize: config.ROUTER_FANOUT_CHUNK, routeAheadMs: config.ROUTER_ROUTE_AHEAD_MS });
  if (config.routeAheadFrom === 'explicit-without-messaging-service') {
    infra.log.warn({ routeAheadMs: config.ROUTER_ROUTE_AHEAD_MS }, 'ROUTER_ROUTE_AHEAD_MS is set but TWILIO_MESSAGING_SERVICE_SID is not: the sms-adapter can only schedule natively through a Messaging Service, so it will hold these deliveries in the scheduler');
  }
  infra.log.info({ routeAheadMs: config.ROUTER_ROUTE_AHEAD_MS, routeAheadFrom: config.routeAheadFrom }, 'router started');
  return { stop: async () => { await router.stop(); await infra.close(); } };
});
