import type { InboxTokenKey } from './tokens.ts';

export interface InboxSettings {
  /** INBOX_TOKEN_KEYS: the keys user tokens are signed with (several during a rotation). */
  keys: readonly InboxTokenKey[];
  /** INBOX_JWT_MAX_TTL_SECONDS: a JWT living longer than this is refused. */
  maxJwtTtlSeconds: number;
  /** Where the stream hub LISTENs (DATABASE_URL); absent: streams get their catch-up only. */
  databaseUrl?: string;
  heartbeatMs?: number;
}

/**
 * The development inbox key (kid "dev"): used, with a startup warning, when INBOX_TOKEN_KEYS
 * is unset outside production; with NODE_ENV=production the gateway refuses to boot without it.
 */
export const DEV_INBOX_KEYS: readonly InboxTokenKey[] = [{ kid: 'dev', secret: 'hub-dev-inbox-secret-do-not-use-in-production' }];
