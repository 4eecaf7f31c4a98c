import { describe, expect, it } from 'vitest';
import { parseInboxKeys, signInboxJwt, signInboxToken, verifyInboxToken } from '../src/inbox/tokens.ts';
import { loadGatewayConfig } from '../src/config.ts';

const key = { kid: 'k1', secret: 's'.repeat(32) };
const other = { kid: 'k2', secret: 't'.repeat(32) };
const now = new Date('2026-06-01T12:00:00Z');
const nowS = now.getTime() / 1000;

describe('inbox user tokens', () => {
  it('an HMAC token names its user and verifies with any configured key of its kid (rotation)', () => {
    const token = signInboxToken(key, 'user-42');
    expect(verifyInboxToken([other, key], token, now, 3600)).toEqual({ ok: true, externalId: 'user-42', form: 'hmac', kid: 'k1' });
    expect(verifyInboxToken([other], token, now, 3600)).toMatchObject({ ok: false, code: 'unknown_key' });
  });

  it('the MAC covers the user id: swapping it is refused; so are garbage and API keys', () => {
    const [v, kid, , mac] = signInboxToken(key, 'user-42').split('.');
    const swapped = `${v}.${kid}.${Buffer.from('user-43').toString('base64url')}.${mac}`;
    expect(verifyInboxToken([key], swapped, now, 3600)).toMatchObject({ ok: false, code: 'invalid_token' });
    for (const bad of ['', 'x', 'v1.k1..', 'a.b.c.d.e', `v1.k1.${'A'.repeat(300)}.x`]) expect(verifyInboxToken([key], bad, now, 3600).ok, bad).toBe(false);
    expect(verifyInboxToken([key], 'hub_abcdef012345_secret', now, 3600)).toMatchObject({ ok: false, code: 'admin_key_not_accepted' });
  });

  it('a JWT: HS256 with kid, exp required, bounded lifetime, the right secret', () => {
    const good = signInboxJwt(key, { sub: 'u1', iat: nowS, exp: nowS + 600 });
    expect(verifyInboxToken([key], good, now, 3600)).toEqual({ ok: true, externalId: 'u1', form: 'jwt', kid: 'k1' });
    expect(verifyInboxToken([key], signInboxJwt(key, { sub: 'u1', exp: nowS - 1 }), now, 3600)).toMatchObject({ code: 'token_expired' });
    expect(verifyInboxToken([key], signInboxJwt(key, { sub: 'u1', iat: nowS, exp: nowS + 7200 }), now, 3600)).toMatchObject({ code: 'token_lifetime_too_long' });
    expect(verifyInboxToken([key], signInboxJwt(key, { sub: 'u1', exp: nowS + 7200 }), now, 3600)).toMatchObject({ code: 'token_lifetime_too_long' });
    expect(verifyInboxToken([key], signInboxJwt({ kid: 'k1', secret: 'x'.repeat(32) }, { sub: 'u1', exp: nowS + 60 }), now, 3600)).toMatchObject({ code: 'invalid_token' });
    const [h, , s] = good.split('.');
    const noneAlg = `${Buffer.from(JSON.stringify({ alg: 'none', kid: 'k1' })).toString('base64url')}.${Buffer.from(JSON.stringify({ sub: 'u1', exp: nowS + 60 })).toString('base64url')}.`;
    expect(verifyInboxToken([key], noneAlg, now, 3600).ok).toBe(false);
    expect(verifyInboxToken([key], `${h}.${Buffer.from(JSON.stringify({ sub: 'u2', exp: nowS + 60 })).toString('base64url')}.${s}`, now, 3600).ok).toBe(false);
  });

  it('INBOX_TOKEN_KEYS: kid=secret pairs, long secrets, distinct kids; required in production', () => {
    expect(parseInboxKeys(`a=${'x'.repeat(32)}, b=${'y'.repeat(40)}`).map((k) => k.kid)).toEqual(['a', 'b']);
    expect(() => parseInboxKeys('a=short')).toThrow('at least 32');
    expect(() => parseInboxKeys(`a=${'x'.repeat(32)},a=${'y'.repeat(32)}`)).toThrow('twice');
    expect(() => parseInboxKeys(`=${'x'.repeat(32)}`)).toThrow('kid=secret');
    expect(() => loadGatewayConfig({ INBOX_TOKEN_KEYS: 'a=short' })).toThrow('INBOX_TOKEN_KEYS');
    expect(() => loadGatewayConfig({ NODE_ENV: 'production', HUB_LINK_SECRET: 'a-long-enough-secret-value' })).toThrow('INBOX_TOKEN_KEYS');
    expect(loadGatewayConfig({ INBOX_TOKEN_KEYS: `a=${'x'.repeat(32)}` }).INBOX_TOKEN_KEYS).toEqual([{ kid: 'a', secret: 'x'.repeat(32) }]);
  });
});
