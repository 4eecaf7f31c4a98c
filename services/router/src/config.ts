import { baseEnv, csvList, loadConfig, z } from '@hub/config';

export const routerEnv = z.object({
  ...baseEnv,
  /** Channels that have an adapter; a subscription to any other channel is recorded as skipped. */
  ROUTER_CHANNELS: csvList.default(['sms']),
  /** Subscribers read and written per chunk of a broadcast. */
  ROUTER_FANOUT_CHUNK: z.coerce.number().int().min(100).max(50_000).default(5_000),
});

export type RouterConfig = z.infer<typeof routerEnv>;

export const loadRouterConfig = (env: Record<string, string | undefined> = process.env) => loadConfig(routerEnv, env);
