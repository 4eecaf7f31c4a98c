import { baseEnv, loadConfig, metricsEnv, z } from '@hub/config';

export const inappAdapterEnv = z.object({
  ...baseEnv,
  ...metricsEnv,
  INAPP_TEMPLATE_CACHE_TTL_MS: z.coerce.number().int().min(0).default(30_000),
  INAPP_USER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
  INAPP_PARTITIONS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(6),
});

export type InappAdapterConfig = z.infer<typeof inappAdapterEnv>;

export function loadInappAdapterConfig(env: Record<string, string | undefined> = process.env): InappAdapterConfig {
  return loadConfig(inappAdapterEnv, env);
}
