import { z } from 'zod';

/** Thrown at boot when the environment does not satisfy a service's schema. */
export class ConfigError extends Error {
  constructor(readonly issues: { variable: string; message: string }[]) {
    super(
      'Invalid configuration:\n' +
        issues.map((i) => `  ${i.variable}: ${i.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

/**
 * Parses the environment once, at boot, against a zod object schema whose keys are the
 * variable names. Fails with a message that names every bad variable.
 */
export function loadConfig<S extends z.ZodObject>(
  schema: S,
  env: Record<string, string | undefined> = process.env,
): z.infer<S> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  throw new ConfigError(
    result.error.issues.map((issue) => ({
      variable: issue.path.join('.') || '(root)',
      message: issue.message,
    })),
  );
}

const csv = z
  .string()
  .transform((s) => s.split(',').map((p) => p.trim()).filter((p) => p.length > 0))
  .pipe(z.array(z.string()).min(1));


/** Variables every service reads. */
export const baseEnv = {
  KAFKA_BROKERS: csv.default(['127.0.0.1:9092']),
  KAFKA_TOPIC_PREFIX: z.string().default(''),
  KAFKA_CLIENT_ID: z.string().optional(),
  /** A crashed consumer's partitions move to the others after this long (broker minimum 6 s). */
  KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6_000).max(300_000).default(10_000),
  /** How long the broker holds an empty fetch (idle polling cost vs. how soon a rebalance is noticed). */
  KAFKA_FETCH_MAX_WAIT_MS: z.coerce.number().int().min(10).max(5_000).default(100),
  DATABASE_URL: z.string().url().default('postgresql://postgres@127.0.0.1:5432/notification_hub'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  NODE_ENV: z.string().default('development'),
};

/** GET /metrics on its own port, for the services without an HTTP server (router, sms-adapter, scheduler). */
export const metricsEnv = {
  /** Unset: no metrics endpoint. */
  METRICS_PORT: z.coerce.number().int().min(1).max(65_535).optional(),
  HOST: z.string().default('127.0.0.1'),
};

/** Twilio (or sandbox) credentials. With no TWILIO_ACCOUNT_SID the local start uses the sandbox. */
/**
 * Destination countries the hub may send to and verify (ISO 3166 alpha-2, or `*`); unset:
 * the sender's country (TWILIO_FROM_NUMBER), else SMS_DEFAULT_COUNTRY. `isCountry` checks a
 * code has a numbering plan (the caller passes @hub/sms-rules' isPhoneCountry).
 */
export const destinationEnv = (isCountry: (code: string) => boolean) => ({
  SMS_ALLOWED_COUNTRIES: csv.optional(),
  /** The hub's home country: the allow-list when the sender is no geographic number. */
  SMS_DEFAULT_COUNTRY: z
    .string()
    .transform((s) => s.trim().toUpperCase())
    .refine(isCountry, 'not an ISO 3166-1 alpha-2 country code with a numbering plan')
    .default('US'),
});

export const twilioEnv = {
  TWILIO_ACCOUNT_SID: z.string().min(1),
  TWILIO_AUTH_TOKEN: z.string().min(1),
  /** Base URL that replaces every Twilio host: the sandbox, or unset for real Twilio. */
  TWILIO_BASE_URL: z.string().url().optional(),
  TWILIO_FROM_NUMBER: z.string().optional(),
  TWILIO_MESSAGING_SERVICE_SID: z.string().optional(),
  TWILIO_VERIFY_SERVICE_SID: z.string().default('VA00000000000000000000000000000000'),
  TWILIO_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
};

export { csv as csvList, z };
