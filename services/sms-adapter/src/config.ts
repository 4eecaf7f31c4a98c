import { baseEnv, metricsEnv, csvList, loadConfig, twilioEnv, z } from '@hub/config';
import { isPhoneCountry, senderCountry } from '@hub/sms-rules';

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
  /**
   * Destination countries (ISO 3166 alpha-2, or `*`) the hub may send to. Unset: the country
   * of TWILIO_FROM_NUMBER, else SMS_DEFAULT_COUNTRY (see loadSmsAdapterConfig).
   */
  SMS_ALLOWED_COUNTRIES: csvList.optional(),
  /** The hub's home country: the allow-list when the sender is no geographic number. */
  SMS_DEFAULT_COUNTRY: z
    .string()
    .transform((s) => s.trim().toUpperCase())
    .refine(isPhoneCountry, 'not an ISO 3166-1 alpha-2 country code with a numbering plan')
    .default('US'),
  /** Append "Reply STOP to unsubscribe" to the first message sent to a number. */
  SMS_OPT_OUT_FOOTER: z.enum(['first', 'always', 'never']).default('first'),
  SMS_TEMPLATE_CACHE_TTL_MS: z.coerce.number().int().min(0).default(30_000),
  /** A send whose outcome is unknown waits this long for its callback before a provider lookup. */
  SMS_RECONCILE_AFTER_MS: z.coerce.number().int().min(100).default(60_000),
  /** Accepted messages with no final status after this long are looked up at the provider. */
  SMS_STALE_AFTER_MS: z.coerce.number().int().min(1_000).default(10 * 60_000),
  SMS_RECONCILE_INTERVAL_MS: z.coerce.number().int().min(500).default(30_000),
  /** Partitions of notify.deliveries.sms.v1 handled at once (6 = every partition: measured 1.6× the steady rate of 3). */
  SMS_PARTITIONS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(6),
});

export type SmsAdapterConfig = Omit<z.infer<typeof smsAdapterEnv>, 'SMS_ALLOWED_COUNTRIES'> & {
  SMS_ALLOWED_COUNTRIES: string[];
  /** Where the allow-list came from (for the startup log). */
  allowedCountriesFrom: 'SMS_ALLOWED_COUNTRIES' | 'TWILIO_FROM_NUMBER' | 'SMS_DEFAULT_COUNTRY';
};

/**
 * The adapter's configuration. SMS_ALLOWED_COUNTRIES, when unset, becomes the country of
 * TWILIO_FROM_NUMBER, else SMS_DEFAULT_COUNTRY.
 */
export function loadSmsAdapterConfig(env: Record<string, string | undefined> = process.env): SmsAdapterConfig {
  const config = loadConfig(smsAdapterEnv, env);
  if (config.SMS_ALLOWED_COUNTRIES) return { ...config, SMS_ALLOWED_COUNTRIES: config.SMS_ALLOWED_COUNTRIES, allowedCountriesFrom: 'SMS_ALLOWED_COUNTRIES' };
  const sender = senderCountry(config.TWILIO_FROM_NUMBER, config.SMS_DEFAULT_COUNTRY);
  return sender
    ? { ...config, SMS_ALLOWED_COUNTRIES: [sender], allowedCountriesFrom: 'TWILIO_FROM_NUMBER' }
    : { ...config, SMS_ALLOWED_COUNTRIES: [config.SMS_DEFAULT_COUNTRY], allowedCountriesFrom: 'SMS_DEFAULT_COUNTRY' };
}
