import { baseEnv, destinationEnv, metricsEnv, loadConfig, twilioEnv, z } from '@hub/config';
import { allowedDestinations, isPhoneCountry, type AllowListSource } from '@hub/sms-rules';

export const smsAdapterEnv = z.object({
  ...baseEnv,
  ...metricsEnv,
  ...twilioEnv,
  /** Base URL of status-ingest as Twilio reaches it; callbacks go to <it>/webhooks/twilio/status?mid=<message id>. */
  STATUS_CALLBACK_BASE_URL: z.string().url(),
  /** Public base URL of the gateway, for tracked short links (<it>/l/<code>). */
  PUBLIC_BASE_URL: z.string().url().default('http://127.0.0.1:3000'),
  SMS_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
  /** Messages per second per sender (token bucket per adapter instance; see docs/operations.md). */
  SMS_RATE_PER_SECOND: z.coerce.number().min(0.1).max(10_000).default(100),
  ...destinationEnv(isPhoneCountry),
  /** Append "Reply STOP to unsubscribe" to the first message sent to a number. */
  SMS_OPT_OUT_FOOTER: z.enum(['first', 'always', 'never']).default('first'),
  SMS_TEMPLATE_CACHE_TTL_MS: z.coerce.number().int().min(0).default(30_000),
  /** A send whose outcome is unknown waits this long for its callback before a provider lookup. */
  SMS_RECONCILE_AFTER_MS: z.coerce.number().int().min(100).default(60_000),
  /** Accepted messages with no final status after this long are looked up at the provider. */
  SMS_STALE_AFTER_MS: z.coerce.number().int().min(1_000).default(10 * 60_000),
  SMS_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(500).default(30_000),
  /** Partitions of notify.deliveries.sms.v1 handled at once (6 = every partition: measured 1.6× the steady rate of 3). */
  /**
   * Users whose deliveries are handled at once within one partition's batch (up to 100). The
   * statements are group-committed, so more in flight costs the database little: measured
   * 8 → 118/s, 32 → 157/s, 100 → 144/s steady and 159 → 208/s in a burst (bench, 2 cores).
   */
  SMS_USER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(64),
  /** Deliveries in flight that share one statement (group commit, see hot-path.ts); 1 = one statement per delivery. */
  SMS_DB_BATCH_MAX: z.coerce.number().int().min(1).max(5_000).default(500),
  /** Statements of each kind in flight at once. */
  SMS_DB_BATCH_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(2),
  SMS_PARTITIONS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(6),
  /** Per-user SMS per rolling minute / hour (the seeds' 10 and 100, against SMS bombing); 0 disables a window. */
  SMS_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(0).max(10_000).default(10),
  SMS_RATE_LIMIT_PER_HOUR: z.coerce.number().int().min(0).max(100_000).default(100),
  /** An over-limit message waits until the window has room (defer) or is skipped `rate_limited`. */
  SMS_RATE_LIMIT_ACTION: z.enum(['defer', 'skip']).default('defer'),
  /**
   * A provider-wide failure (credentials, inactive account, unknown sender, rate limit, provider
   * unreachable) pauses the channel this long before one probe send; doubles per failed probe
   * up to SMS_PAUSE_MAX_MS. Held deliveries are neither failed nor retried meanwhile.
   */
  SMS_PAUSE_INITIAL_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  SMS_PAUSE_MAX_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(300_000),
});

export type SmsAdapterConfig = Omit<z.infer<typeof smsAdapterEnv>, 'SMS_ALLOWED_COUNTRIES'> & {
  SMS_ALLOWED_COUNTRIES: string[];
  /** Where the allow-list came from (for the startup log). */
  allowedCountriesFrom: AllowListSource;
};

/**
 * The adapter's configuration. SMS_ALLOWED_COUNTRIES, when unset, becomes the country of
 * TWILIO_FROM_NUMBER, else SMS_DEFAULT_COUNTRY.
 */
export function loadSmsAdapterConfig(env: Record<string, string | undefined> = process.env): SmsAdapterConfig {
  const config = loadConfig(smsAdapterEnv, env);
  const allowed = allowedDestinations(config.SMS_ALLOWED_COUNTRIES, config.TWILIO_FROM_NUMBER, config.SMS_DEFAULT_COUNTRY);
  return { ...config, SMS_ALLOWED_COUNTRIES: allowed.countries, allowedCountriesFrom: allowed.source };
}
