import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * End-user tokens of the inbox API (docs/inbox.md). The upstream backend — which knows who
 * its signed-in user is — signs one per user with a key the hub shares with it; the hub never
 * issues them and an admin API key is never accepted in their place. Two forms:
 *
 * - **HMAC token** `v1.<kid>.<base64url(external id)>.<base64url(HMAC-SHA256(secret, "hub-inbox.v1." + external id))>`:
 *   long-lived (like Knock's and Novu's subscriber HMAC), revoked by rotating the key.
 * - **JWT** (HS256, `kid` in the header): `sub` = the external user id, `exp` required, and
 *   `exp - iat` (or `exp - now` without `iat`) at most `maxJwtTtlSeconds`: short-lived by rule.
 *
 * Several keys may be configured at once (`INBOX_TOKEN_KEYS=kid=secret,…`) so a key can be
 * rotated without signing every user out.
 */

export interface InboxTokenKey {
  kid: string;
  secret: string;
}

export type TokenCheck =
  | { ok: true; externalId: string; form: 'hmac' | 'jwt'; kid: string }
  | { ok: false; code: 'invalid_token' | 'unknown_key' | 'token_expired' | 'token_lifetime_too_long' | 'admin_key_not_accepted'; message: string };

const HMAC_CONTEXT = 'hub-inbox.v1.';
const b64 = (buf: Buffer) => buf.toString('base64url');

function macOf(secret: string, externalId: string): Buffer {
  return createHmac('sha256', secret).update(`${HMAC_CONTEXT}${externalId}`).digest();
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What the upstream backend computes (any language: HMAC-SHA256, base64url). */
export function signInboxToken(key: InboxTokenKey, externalId: string): string {
  return `v1.${key.kid}.${b64(Buffer.from(externalId, 'utf8'))}.${b64(macOf(key.secret, externalId))}`;
}

/** An HS256 JWT as an upstream backend's JWT library would make it (tests, the example). */
export function signInboxJwt(key: InboxTokenKey, claims: { sub: string; exp: number; iat?: number }): string {
  const header = b64(Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: key.kid })));
  const body = b64(Buffer.from(JSON.stringify(claims)));
  return `${header}.${body}.${b64(createHmac('sha256', key.secret).update(`${header}.${body}`).digest())}`;
}

/** Parses INBOX_TOKEN_KEYS ("kid=secret,kid2=secret2"); throws with a message naming the problem. */
export function parseInboxKeys(spec: string): InboxTokenKey[] {
  const keys = spec.split(',').map((s) => s.trim()).filter(Boolean).map((entry) => {
    const eq = entry.indexOf('=');
    const kid = entry.slice(0, eq);
    const secret = entry.slice(eq + 1);
    if (eq <= 0 || !/^[A-Za-z0-9_-]{1,32}$/.test(kid)) throw new Error(`"${entry.slice(0, 40)}": expected kid=secret, kid of letters, digits, _ or - (at most 32)`);
    if (secret.length < 32) throw new Error(`key ${kid}: the secret must be at least 32 characters`);
    return { kid, secret };
  });
  if (new Set(keys.map((k) => k.kid)).size !== keys.length) throw new Error('a kid appears twice');
  return keys;
}

function parseJson(part: string): Record<string, unknown> | null {
  try {
    const v: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}

export function verifyInboxToken(keys: readonly InboxTokenKey[], token: string, now: Date, maxJwtTtlSeconds: number): TokenCheck {
  const invalid: TokenCheck = { ok: false, code: 'invalid_token', message: 'the inbox token is not valid' };
  if (token.startsWith('hub_')) return { ok: false, code: 'admin_key_not_accepted', message: 'the inbox API takes a user token signed by your backend, never an API key' };
  if (token.length > 4_000) return invalid;
  const parts = token.split('.');
  if (parts.length === 4 && parts[0] === 'v1') {
    const [, kid, idPart, mac] = parts as [string, string, string, string];
    const key = keys.find((k) => k.kid === kid);
    if (!key) return { ok: false, code: 'unknown_key', message: `no inbox key ${JSON.stringify(kid.slice(0, 32))} is configured` };
    const externalId = Buffer.from(idPart, 'base64url').toString('utf8');
    if (externalId.length === 0 || externalId.length > 200) return invalid;
    if (!sameBytes(Buffer.from(mac, 'base64url'), macOf(key.secret, externalId))) return invalid;
    return { ok: true, externalId, form: 'hmac', kid };
  }
  if (parts.length === 3) {
    const [h, p, s] = parts as [string, string, string];
    const header = parseJson(h);
    const claims = parseJson(p);
    if (!header || !claims || header.alg !== 'HS256') return invalid;
    const key = keys.find((k) => k.kid === header.kid) ?? (header.kid === undefined && keys.length === 1 ? keys[0] : undefined);
    if (!key) return { ok: false, code: 'unknown_key', message: 'the token names no configured inbox key (kid)' };
    if (!sameBytes(Buffer.from(s, 'base64url'), createHmac('sha256', key.secret).update(`${h}.${p}`).digest())) return invalid;
    const { sub, exp, iat } = claims;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 200 || typeof exp !== 'number') return invalid;
    const nowS = now.getTime() / 1000;
    if (exp <= nowS) return { ok: false, code: 'token_expired', message: 'the inbox token has expired' };
    const issued = typeof iat === 'number' ? iat : nowS;
    if (exp - issued > maxJwtTtlSeconds) return { ok: false, code: 'token_lifetime_too_long', message: `inbox JWTs may live at most ${maxJwtTtlSeconds} s` };
    return { ok: true, externalId: sub, form: 'jwt', kid: key.kid };
  }
  return invalid;
}
