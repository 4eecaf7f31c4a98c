import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Signed tokens in links the hub puts in messages (the email one-click unsubscribe; later
 * in-app actions): a compact payload and an HMAC-SHA256 over it with the deployment's
 * HUB_LINK_SECRET, both base64url. Nothing is stored per link; a token cannot be forged or
 * edited (changing the scope or the user breaks the MAC), and rotating the secret voids
 * every outstanding link. Tokens carry no expiry: an unsubscribe link must keep working
 * (RFC 8058 and the mailbox providers' bulk-sender rules expect it to for months).
 */
/**
 * The development value of HUB_LINK_SECRET: the gateway (which verifies) and the
 * email-adapter (which signs) both fall back to it, with a startup warning, when the
 * variable is unset outside production; with NODE_ENV=production both refuse to boot.
 */
export const DEV_LINK_SECRET = 'hub-dev-link-secret-do-not-use-in-production';

export interface UnsubscribeClaims {
  /** users.id */
  userId: string;
  channel: string;
  /** 'all' or one event type. */
  scope: string;
  /** email_messages.id the link was sent in (audit). */
  messageId: string;
}

const mac = (secret: string, body: string) => createHmac('sha256', secret).update(`hub-link.v1.${body}`).digest('base64url');

export function signLinkToken(secret: string, claims: UnsubscribeClaims): string {
  const body = Buffer.from(JSON.stringify([claims.userId, claims.channel, claims.scope, claims.messageId])).toString('base64url');
  return `${body}.${mac(secret, body)}`;
}

/** The claims of a token this deployment signed, or null (malformed, edited, other secret). */
export function verifyLinkToken(secret: string, token: string): UnsubscribeClaims | null {
  if (token.length > 2_000) return null;
  const dot = token.indexOf('.');
  if (dot <= 0) return null;
  const body = token.slice(0, dot);
  const given = Buffer.from(token.slice(dot + 1), 'base64url');
  const expected = Buffer.from(mac(secret, body), 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  try {
    const parsed: unknown = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    if (!Array.isArray(parsed) || parsed.length !== 4 || !parsed.every((v) => typeof v === 'string')) return null;
    const [userId, channel, scope, messageId] = parsed as string[];
    return { userId: userId!, channel: channel!, scope: scope!, messageId: messageId! };
  } catch {
    return null;
  }
}
