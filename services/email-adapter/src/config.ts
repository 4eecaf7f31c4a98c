import { DEV_LINK_SECRET } from '@hub/channel-kit';
import { baseEnv, ConfigError, loadConfig, metricsEnv, z } from '@hub/config';
import { smtpEnv } from '@hub/email-provider';

export const emailAdapterEnv = z.object({
  ...baseEnv,
  ...metricsEnv,
  ...smtpEnv,
  /** The From of every email ("Name <address>" or an address). */
  EMAIL_FROM: z.string().min(3).max(320).default('Notification Hub <hub@localhost>'),
  /** Domain of our Message-IDs (<message id>.<attempt>@<it>); default: the From address's domain. */
  EMAIL_MESSAGE_ID_DOMAIN: z.string().regex(/^[A-Za-z0-9.-]+$/).optional(),
  /** Public base URL of the gateway: one-click unsubscribe links are <it>/u/<token>. */
  PUBLIC_BASE_URL: z.string().url().default('http://127.0.0.1:3000'),
  /** Signs unsubscribe links; the gateway verifies them with the same secret (required with NODE_ENV=production). */
  HUB_LINK_SECRET: z.string().min(16).optional(),
  EMAIL_UNSUBSCRIBE_SCOPE: z.enum(['event_type', 'all']).default('event_type'),
  /** Add SendGrid's X-SMTPAPI custom args so its events carry our message id (harmless elsewhere). */
  EMAIL_SENDGRID_ARGS: z.stringbool().default(true),
  EMAIL_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(4),
  EMAIL_RETRY_BASE_MS: z.coerce.number().int().min(100).default(60_000),
  EMAIL_RETRY_MAX_MS: z.coerce.number().int().min(1_000).default(3_600_000),
  /** A send of unknown outcome waits this long for a provider event before EMAIL_UNKNOWN_OUTCOME applies. */
  EMAIL_RECONCILE_AFTER_MS: z.coerce.number().int().min(100).default(120_000),
  EMAIL_UNKNOWN_OUTCOME: z.enum(['resend', 'fail']).default('resend'),
  /** A relay-wide failure (credentials refused, relay unreachable, 421) pauses the channel this long before one probe; doubles up to EMAIL_PAUSE_MAX_MS. */
  EMAIL_PAUSE_INITIAL_MS: z.coerce.number().int().min(100).max(600_000).default(5_000),
  EMAIL_PAUSE_MAX_MS: z.coerce.number().int().min(1_000).max(3_600_000).default(300_000),
  EMAIL_TEMPLATE_CACHE_TTL_MS: z.coerce.number().int().min(0).default(30_000),
  EMAIL_USER_CONCURRENCY: z.coerce.number().int().min(1).max(256).default(32),
  EMAIL_PARTITIONS_CONCURRENCY: z.coerce.number().int().min(1).max(64).default(6),
});


export type EmailAdapterConfig = Omit<z.infer<typeof emailAdapterEnv>, 'HUB_LINK_SECRET'> & { messageIdDomain: string; HUB_LINK_SECRET: string; linkSecretIsDev: boolean };

/** The domain of an address in a From value ("Hub <hub@example.com>" → example.com). */
export function domainOf(from: string): string | null {
  const m = /@([A-Za-z0-9.-]+)>?\s*$/.exec(from.trim());
  return m ? m[1]!.toLowerCase() : null;
}

export function loadEmailAdapterConfig(env: Record<string, string | undefined> = process.env): EmailAdapterConfig {
  const config = loadConfig(emailAdapterEnv, env);
  if (config.HUB_LINK_SECRET === undefined && env.NODE_ENV === 'production') {
    throw new ConfigError([{ variable: 'HUB_LINK_SECRET', message: 'required when NODE_ENV=production (the key of the unsubscribe links; the gateway needs the same value)' }]);
  }
  return {
    ...config,
    HUB_LINK_SECRET: config.HUB_LINK_SECRET ?? DEV_LINK_SECRET,
    linkSecretIsDev: config.HUB_LINK_SECRET === undefined,
    messageIdDomain: config.EMAIL_MESSAGE_ID_DOMAIN ?? domainOf(config.EMAIL_FROM) ?? 'localhost',
  };
}
