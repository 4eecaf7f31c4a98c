import { baseEnv, loadConfig, twilioEnv, z } from '@hub/config';

export const gatewayEnv = z.object({
  ...baseEnv,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  /** Public base URL of the gateway (short links, OpenAPI servers). */
  PUBLIC_BASE_URL: z.string().url().default('http://127.0.0.1:3000'),
  GATEWAY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  GATEWAY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6_000),
  GATEWAY_MAX_BATCH: z.coerce.number().int().min(1).max(5_000).default(500),
  ...Object.fromEntries(Object.entries(twilioEnv).map(([k, v]) => [k, v.optional()])) as {
    [K in keyof typeof twilioEnv]: z.ZodOptional<(typeof twilioEnv)[K]>;
  },
});

export type GatewayConfig = z.infer<typeof gatewayEnv>;
export const loadGatewayConfig = (env: Record<string, string | undefined> = process.env) => loadConfig(gatewayEnv, env);
