import { baseEnv, metricsEnv, csvList, loadConfig, z } from '@hub/config';
import { CHANNEL_NAMES } from '@hub/contracts';

/**
 * The longest lead the sms-adapter hands to Twilio-native scheduling: the upper bound of
 * TWILIO_SCHEDULING_WINDOW in services/sms-adapter/src/timing.ts (15 min – 7 days, the part
 * of Twilio's SendAt window every version of its rule allows). Routing further ahead would
 * only make the adapter park the delivery in the scheduler.
 */
export const NATIVE_SCHEDULING_MAX_LEAD_MS = 7 * 86_400_000;

export const routerEnv = z.object({
  ...baseEnv,
  ...metricsEnv,
  /**
   * Channels that have an adapter in this deployment (default: every channel of the registry,
   * packages/contracts/src/channels.ts); a subscription to any other is recorded as skipped
   * (channel_unavailable).
   */
  ROUTER_CHANNELS: csvList.default([...CHANNEL_NAMES]),
  /** Subscribers read and written per chunk of a broadcast. */
  ROUTER_FANOUT_CHUNK: z.coerce.number().int().min(100).max(50_000).default(5_000),
  /**
   * Targeted events scheduled at most this far ahead are routed at once and held by the
   * sms-adapter (Twilio-native scheduling); 0 keeps every scheduled event in the scheduler.
   * Unset: NATIVE_SCHEDULING_MAX_LEAD_MS when TWILIO_MESSAGING_SERVICE_SID is set, else 0.
   */
  ROUTER_ROUTE_AHEAD_MS: z.coerce.number().int().min(0).max(NATIVE_SCHEDULING_MAX_LEAD_MS).optional(),
  /**
   * The sms-adapter's Messaging Service (the same variable, given to the router too): the
   * router sends nothing to Twilio, it only learns that native scheduling is available.
   */
  TWILIO_MESSAGING_SERVICE_SID: z.string().min(1).optional(),
});

export type RouterConfig = Omit<z.infer<typeof routerEnv>, 'ROUTER_ROUTE_AHEAD_MS'> & {
  ROUTER_ROUTE_AHEAD_MS: number;
  /**
   * Why ROUTER_ROUTE_AHEAD_MS has its value; `explicit-without-messaging-service` is worth a
   * startup warning (harmless: without a Messaging Service the adapter parks early
   * deliveries in the scheduler, at the cost of an extra hop, unless the router simply
   * lacks the variable the adapter has).
   */
  routeAheadFrom: 'explicit' | 'explicit-without-messaging-service' | 'messaging-service' | 'no-messaging-service';
};

export function loadRouterConfig(env: Record<string, string | undefined> = process.env): RouterConfig {
  const config = loadConfig(routerEnv, env);
  const service = config.TWILIO_MESSAGING_SERVICE_SID !== undefined;
  if (config.ROUTER_ROUTE_AHEAD_MS !== undefined) {
    const routeAheadFrom = service || config.ROUTER_ROUTE_AHEAD_MS === 0 ? 'explicit' : 'explicit-without-messaging-service';
    return { ...config, ROUTER_ROUTE_AHEAD_MS: config.ROUTER_ROUTE_AHEAD_MS, routeAheadFrom };
  }
  return service
    ? { ...config, ROUTER_ROUTE_AHEAD_MS: NATIVE_SCHEDULING_MAX_LEAD_MS, routeAheadFrom: 'messaging-service' }
    : { ...config, ROUTER_ROUTE_AHEAD_MS: 0, routeAheadFrom: 'no-messaging-service' };
}
