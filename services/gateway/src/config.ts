import { baseEnv, destinationEnv, loadConfig, twilioEnv, z } from '@hub/config';
import { isPhoneCountry } from '@hub/sms-rules';
import { smtpEnv } from '@hub/email-provider';
import { parsePriceTable } from './pricing.ts';
import { parseInboxKeys } from './inbox/tokens.ts';

/**
 * Largest serialized (UTF-8 JSON) event payload the gateway accepts: 413 payload_too_large
 * above it, checked before the event is stored. With the other event fields bounded by
 * their schemas (id 128, type 100, targetUserId 200, source 100 characters), the published
 * Kafka message stays far below the broker's default max message size (message.max.bytes,
 * ~1 MB), so an accepted event is never refused by Kafka after it was stored.
 */
export const MAX_EVENT_PAYLOAD_BYTES = 256 * 1024;

/**
 * The development value of HUB_LINK_SECRET (the key of the signed unsubscribe links): used,
 * with a startup warning, when the variable is unset outside production; with
 * NODE_ENV=production an unset secret refuses to boot. The email-adapter signs with the
 * same secret, so both must read the same value.
 */
export { DEV_LINK_SECRET } from '@hub/channel-kit';

export const gatewayEnv = z.object({
  ...baseEnv,
  PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  HOST: z.string().default('127.0.0.1'),
  /** Public base URL of the gateway (short links, OpenAPI servers). */
  PUBLIC_BASE_URL: z.string().url().default('http://127.0.0.1:3000'),
  GATEWAY_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1024 * 1024),
  GATEWAY_RATE_LIMIT_PER_MINUTE: z.coerce.number().int().min(1).default(6_000),
  GATEWAY_MAX_BATCH: z.coerce.number().int().min(1).max(5_000).default(500),
  /** Verified API keys are kept this long (0 = off); a revocation takes effect at once through NOTIFY, within this in any case. */
  GATEWAY_API_KEY_CACHE_TTL_MS: z.coerce.number().int().min(0).max(300_000).default(10_000),
  /** Verification codes go only where SMS may go (the same allow-list as the sms-adapter). */
  ...destinationEnv(isPhoneCountry),
  /**
   * SMS preferences of recipients the gateway creates (first preferences PATCH, verified
   * phone, raw-number send), defaulting to the seeds': task reminders and daily briefs off,
   * urgent alerts on, quiet hours 21:00–08:00 in the recipient's zone ("none": no quiet hours).
   */
  GATEWAY_DEFAULT_TASK_REMINDERS: z.stringbool().default(false),
  GATEWAY_DEFAULT_DAILY_BRIEF_SMS: z.stringbool().default(false),
  GATEWAY_DEFAULT_URGENT_ALERTS: z.stringbool().default(true),
  GATEWAY_DEFAULT_QUIET_HOURS: z.string().default('21:00-08:00').refine((v) => v === 'none' || /^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$/.test(v), 'must be HH:MM-HH:MM (24-hour) or none'),
  /** POST /v1/sends may text a raw phone number (no recipient, no verification): off by default. */
  GATEWAY_SENDS_ALLOW_RAW_NUMBERS: z.stringbool().default(false),
  /** Phone verification starts per user per rolling hour. */
  GATEWAY_VERIFICATION_STARTS_PER_HOUR: z.coerce.number().int().min(1).max(100).default(5),
  /** Price per SMS segment by destination, merged over the defaults: "US=0.0079,CA=0.0079,GB=0.04,*=0.05". */
  GATEWAY_SMS_PRICES: z.string().default('').transform((spec, ctx) => {
    try {
      return parsePriceTable(spec);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
  /** Health (runbook): provider latency yellow/red thresholds, delivery-rate window, verdict cache. */
  HEALTH_LATENCY_YELLOW_MS: z.coerce.number().int().min(1).default(3_000),
  HEALTH_LATENCY_RED_MS: z.coerce.number().int().min(1).default(7_000),
  /** Delivery success rate (0–1): above GREEN is green, from YELLOW up to GREEN yellow, below YELLOW red. */
  HEALTH_RATE_GREEN: z.coerce.number().gt(0).max(1).default(0.95),
  HEALTH_RATE_YELLOW: z.coerce.number().gt(0).max(1).default(0.9),
  HEALTH_RATE_WINDOW_MS: z.coerce.number().int().min(60_000).default(3_600_000),
  HEALTH_RATE_MIN_SAMPLE: z.coerce.number().int().min(1).default(10),
  HEALTH_CACHE_MS: z.coerce.number().int().min(0).default(10_000),
  /** Email (docs/email-gateway.md): the From of the mails the gateway sends (address confirmations). */
  EMAIL_FROM: z.string().min(3).max(320).default('Notification Hub <hub@localhost>'),
  /** HMAC key of the one-click unsubscribe links (>= 16 characters); see DEV_LINK_SECRET. */
  HUB_LINK_SECRET: z.string().min(16).optional(),
  /** Whether PUT /v1/users/:id/email may set verified=true (the upstream system confirmed the address). */
  EMAIL_TRUST_UPSTREAM_VERIFIED: z.stringbool().default(false),
  /** Lifetime of an email confirmation link. */
  EMAIL_VERIFICATION_TTL_MINUTES: z.coerce.number().int().min(5).max(30 * 1440).default(1440),
  /** Email confirmation starts per user per rolling hour. */
  EMAIL_VERIFICATION_STARTS_PER_HOUR: z.coerce.number().int().min(1).max(100).default(5),
  /** Whether the gateway sends mail at all (SMTP_* below); false: verification answers 409 email_not_configured. */
  EMAIL_ENABLED: z.stringbool().default(true),
  ...smtpEnv,
  /** Email health: bounce rate (bounced / sent) at or above YELLOW is yellow, at or above RED red. */
  HEALTH_EMAIL_BOUNCE_YELLOW: z.coerce.number().gt(0).max(1).default(0.02),
  HEALTH_EMAIL_BOUNCE_RED: z.coerce.number().gt(0).max(1).default(0.05),
  /** Email health: complaint rate (complained / sent); the mailbox providers' bulk-sender limits are 0.1 % / 0.3 %. */
  HEALTH_EMAIL_COMPLAINT_YELLOW: z.coerce.number().gt(0).max(1).default(0.001),
  HEALTH_EMAIL_COMPLAINT_RED: z.coerce.number().gt(0).max(1).default(0.003),
  /** SMS health: average delivery time (acceptance to delivered callback) at or above YELLOW is yellow (runbook: > 30 s), at or above RED red. */
  HEALTH_DELIVERY_TIME_YELLOW_MS: z.coerce.number().int().min(1).default(30_000),
  HEALTH_DELIVERY_TIME_RED_MS: z.coerce.number().int().min(1).default(120_000),
  /**
   * SMS provider account balance (Twilio Balance API, in the account's currency): below YELLOW
   * is yellow, below RED red (runbook: normal > $50, alert < $20). Asked in the background
   * every HEALTH_ACCOUNT_REFRESH_MS, together with whether the sender exists.
   */
  HEALTH_BALANCE_YELLOW: z.coerce.number().default(50),
  HEALTH_BALANCE_RED: z.coerce.number().default(20),
  HEALTH_ACCOUNT_REFRESH_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(60_000),
  /** End-user inbox tokens (docs/inbox.md): "kid=secret,kid2=secret2" (secrets >= 32 characters; required with NODE_ENV=production). */
  INBOX_TOKEN_KEYS: z.string().optional().transform((spec, ctx) => {
    if (spec === undefined || spec.trim() === '') return undefined;
    try {
      return parseInboxKeys(spec);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  }),
  /** The longest lifetime (exp - iat) of an inbox JWT the gateway accepts. */
  INBOX_JWT_MAX_TTL_SECONDS: z.coerce.number().int().min(60).max(7 * 86_400).default(3_600),
  /** Keep-alive comment interval on inbox streams (proxies close idle connections). */
  INBOX_STREAM_HEARTBEAT_MS: z.coerce.number().int().min(1_000).max(120_000).default(15_000),
  ...Object.fromEntries(Object.entries(twilioEnv).map(([k, v]) => [k, v.optional()])) as {
    [K in keyof typeof twilioEnv]: z.ZodOptional<(typeof twilioEnv)[K]>;
  },
});

export const gatewayEnvChecked = gatewayEnv
  .refine((c) => c.INBOX_TOKEN_KEYS !== undefined || c.NODE_ENV !== 'production', {
    message: 'INBOX_TOKEN_KEYS is required when NODE_ENV=production (the keys your backend signs inbox tokens with)',
    path: ['INBOX_TOKEN_KEYS'],
  })
  .refine((c) => c.HEALTH_LATENCY_YELLOW_MS < c.HEALTH_LATENCY_RED_MS, {
    message: 'HEALTH_LATENCY_YELLOW_MS must be below HEALTH_LATENCY_RED_MS',
    path: ['HEALTH_LATENCY_YELLOW_MS'],
  })
  .refine((c) => c.HEALTH_RATE_YELLOW < c.HEALTH_RATE_GREEN, {
    message: 'HEALTH_RATE_YELLOW must be below HEALTH_RATE_GREEN',
    path: ['HEALTH_RATE_YELLOW'],
  })
  .refine((c) => c.HEALTH_EMAIL_BOUNCE_YELLOW < c.HEALTH_EMAIL_BOUNCE_RED, {
    message: 'HEALTH_EMAIL_BOUNCE_YELLOW must be below HEALTH_EMAIL_BOUNCE_RED',
    path: ['HEALTH_EMAIL_BOUNCE_YELLOW'],
  })
  .refine((c) => c.HEALTH_EMAIL_COMPLAINT_YELLOW < c.HEALTH_EMAIL_COMPLAINT_RED, {
    message: 'HEALTH_EMAIL_COMPLAINT_YELLOW must be below HEALTH_EMAIL_COMPLAINT_RED',
    path: ['HEALTH_EMAIL_COMPLAINT_YELLOW'],
  })
  .refine((c) => c.HEALTH_DELIVERY_TIME_YELLOW_MS < c.HEALTH_DELIVERY_TIME_RED_MS, {
    message: 'HEALTH_DELIVERY_TIME_YELLOW_MS must be below HEALTH_DELIVERY_TIME_RED_MS',
    path: ['HEALTH_DELIVERY_TIME_YELLOW_MS'],
  })
  .refine((c) => c.HEALTH_BALANCE_RED < c.HEALTH_BALANCE_YELLOW, {
    message: 'HEALTH_BALANCE_RED must be below HEALTH_BALANCE_YELLOW',
    path: ['HEALTH_BALANCE_RED'],
  })
  .refine((c) => c.HUB_LINK_SECRET !== undefined || c.NODE_ENV !== 'production', {
    message: 'HUB_LINK_SECRET is required when NODE_ENV=production (the key of the unsubscribe links)',
    path: ['HUB_LINK_SECRET'],
  });

export type GatewayConfig = z.infer<typeof gatewayEnv>;
export const loadGatewayConfig = (env: Record<string, string | undefined> = process.env) => loadConfig(gatewayEnvChecked, env);

/** The recipient defaults of a parsed configuration (GATEWAY_DEFAULT_*). */
export function recipientDefaultsFrom(c: Pick<GatewayConfig, 'GATEWAY_DEFAULT_TASK_REMINDERS' | 'GATEWAY_DEFAULT_DAILY_BRIEF_SMS' | 'GATEWAY_DEFAULT_URGENT_ALERTS' | 'GATEWAY_DEFAULT_QUIET_HOURS'>) {
  const [start, end] = c.GATEWAY_DEFAULT_QUIET_HOURS === 'none' ? [null, null] : c.GATEWAY_DEFAULT_QUIET_HOURS.split('-');
  return {
    taskReminders: c.GATEWAY_DEFAULT_TASK_REMINDERS,
    dailyBriefSms: c.GATEWAY_DEFAULT_DAILY_BRIEF_SMS,
    urgentAlerts: c.GATEWAY_DEFAULT_URGENT_ALERTS,
    quietHoursStart: start ?? null,
    quietHoursEnd: end ?? null,
  };
}
