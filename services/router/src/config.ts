import { baseEnv, metricsEnv, csvList, loadConfig, z } from '@hub/config';

export const routerEnv = z.object({
  ...baseEnv,
  ...metricsEnv,
  /** Channels that have an adapter; a subscription to any other channel is recorded as skipped. */
  ROUTER_CHANNELS: csvList.default(['sms']),
  /** Subscribers read and written per chunk of a broadcast. */
  ROUTER_FANOUT_CHUNK: z.coerce.number().int().min(100).max(50_000).default(5_000),
  /**
   * Targeted events scheduled at most this far ahead are routed at once and held by the
   * sms-adapter (Twilio-native scheduling). Set it to 604800000 (7 days) when the adapter
   * has TWILIO_MESSAGING_SERVICE_SID; 0 keeps every scheduled event in the scheduler.
   */
  ROUTER_ROUTE_AHEAD_MS: z.coerce.number().int().min(0).max(7 * 86_400_000).default(0),
});

export type RouterConfig = z.infer<typeof routerEnv>;

export const loadRouterConfig = (env: Record<string, string | undefined> = process.env) => loadConfig(routerEnv, env);
