import { CHANNELS } from '@hub/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createMetricsRegistry } from '@hub/runtime';
import { createMemoryEmailProvider, type MemoryEmailProvider } from '@hub/email-provider';
import { buildGateway, type GatewayDeps } from '@hub/gateway';
import type { Clock } from '@hub/contracts';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { caller, type Caller } from '../services/gateway/test/helpers.ts';

let hub: TestHub;
let mail: MemoryEmailProvider;
let gateway: FastifyInstance;
let trusting: FastifyInstance;
let admin: Caller;
let trustingAdmin: Caller;
let publicCaller: Caller;
let nowMs = Date.now();
const clock: Clock = { now: () => new Date(nowMs) };

function emailGateway(overrides: Partial<GatewayDeps>): Promise<FastifyInstance> {
  return buildGateway({
    prisma: hub.prisma, bus: hub.bus, log: hub.log, clock, metrics: createMetricsRegistry('gateway'), publicBaseUrl: 'http://127.0.0.1:3000',
    emailProvider: mail,
    email: { from: 'Hub Test <hub@test.example>', linkSecret: 'test-link-secret-0123456789', trustUpstreamVerified: false },
    ...overrides,
  });
}

beforeAll(async () => {
  hub = await startHub();
  mail = createMemoryEmailProvider();
  gateway = await emailGateway({});
  trusting = await emailGateway({ email: { from: 'Hub Test <hub@test.example>', linkSecret: 'test-link-secret-0123456789', trustUpstreamVerified: true } });
  const key = await hub.apiKey(['admin:write']);
  admin = caller(gateway, key);
  trustingAdmin = caller(trusting, key);
  publicCaller = caller(gateway, null);
});
afterAll(async () => {
  await gateway?.close();
  await trusting?.close();
  await hub?.stop();
});

const linkToken = (to: string) => {
  const sent = [...mail.received].reverse().find((r) => r.mail.to === to);
  const match = /\/e\/verify\/([A-Za-z0-9_-]{43})/.exec(sent?.mail.text ?? '');
  if (!match) throw new Error(`no confirmation link sent to ${to}`);
  return match[1]!;
};
/** What a browser sends: Accept text/html; the form POST is urlencoded with no fields. */
const page = (method: 'GET' | 'POST', token: string, accept = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8') =>
  gateway.inject({ method, url: `/e/verify/${token}`, headers: { accept, ...(method === 'POST' ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) }, ...(method === 'POST' ? { payload: '' } : {}) });
const prefsOf = async (externalId: string) =>
  (await hub.prisma.user.findUniqueOrThrow({ where: { externalId }, include: { emailPreferences: true } })).emailPreferences;

describe('recipient email address', () => {
  it.each([
    ['display name', 'Ada <ada@example.com>'],
    ['CRLF injection', 'ada@example.com\r\nBcc: victim@example.com'],
    ['300 characters', `${'a'.repeat(60)}@${'b'.repeat(235)}.com`],
    ['no domain', 'ada@'],
  ])('refuses %s with 400 invalid_email and stores nothing', async (_what, address) => {
    await admin('PUT', '/v1/users/bad-addr', {});
    const res = await admin('PUT', '/v1/users/bad-addr/email', { address });
    expect(res.status).toBe(400);
    expect(res.body.error?.code).toBe('invalid_email');
    expect(res.body.error?.message).toEqual(expect.any(String));
    expect(await prefsOf('bad-addr')).toBeNull();
  });

  it('normalises (domain lower-cased), shows email and channels on the user, resets verification on change, deletes', async () => {
    await admin('PUT', '/v1/users/addr-user', {});
    const put = await admin('PUT', '/v1/users/addr-user/email', { address: '  Ada.Lovelace@EXAMPLE.com ' });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ address: 'Ada.Lovelace@example.com', verified: false, optedOut: false, undeliverable: false });
    expect(await prefsOf('addr-user')).toMatchObject({ emailKey: 'ada.lovelace@example.com' });

    const user = await admin('GET', '/v1/users/addr-user');
    expect(user.body.email).toEqual({ address: 'Ada.Lovelace@example.com', verified: false, optedOut: false, undeliverable: false, undeliverableReason: null });
    // One entry per registry channel (the in-app inbox, issue 13, is every user's).
    expect(user.body.channels).toHaveLength(CHANNELS.length);
    expect(user.body.channels).toEqual(expect.arrayContaining([
      { channel: 'sms', address: null, verified: false, available: false, reason: 'no_phone' },
      { channel: 'email', address: 'Ada.Lovelace@example.com', verified: false, available: false, reason: 'unverified' },
    ]));

    // verified=true is refused where upstream verification is not trusted; nothing changes.
    const refused = await admin('PUT', '/v1/users/addr-user/email', { address: 'ada.lovelace@example.com', verified: true });
    expect(refused.status).toBe(400);
    expect(refused.body.error?.code).toBe('upstream_verification_not_trusted');
    expect((await prefsOf('addr-user'))?.emailVerified).toBe(false);

    // Trusted: stored as verified by 'upstream'; the same address again keeps it.
    const trusted = await trustingAdmin('PUT', '/v1/users/addr-user/email', { address: 'ada.lovelace@example.com', verified: true });
    expect(trusted.status).toBe(200);
    expect(trusted.body).toMatchObject({ verified: true, verifiedBy: 'upstream' });
    expect((await admin('GET', '/v1/users/addr-user')).body.channels).toContainEqual({ channel: 'email', address: 'ada.lovelace@example.com', verified: true, available: true, reason: null });
    expect((await admin('PUT', '/v1/users/addr-user/email', { address: 'ADA.lovelace@example.com' })).body).toMatchObject({ verified: true });

    // Another address starts unverified.
    const changed = await admin('PUT', '/v1/users/addr-user/email', { address: 'ada@example.org' });
    expect(changed.body).toMatchObject({ address: 'ada@example.org', verified: false, verifiedBy: null });

    expect((await admin('DELETE', '/v1/users/addr-user/email')).status).toBe(204);
    expect((await admin('GET', '/v1/users/addr-user')).body.email).toMatchObject({ address: null, verified: false });
    expect((await admin('PUT', '/v1/users/nobody-here/email', { address: 'x@example.com' })).status).toBe(404);
  });

  it('409 email_in_use when another user holds the address verified', async () => {
    await seedUser(hub.prisma, { externalId: 'email-owner', subscriptions: [] });
    await trustingAdmin('PUT', '/v1/users/email-owner/email', { address: 'shared@example.com', verified: true });
    await admin('PUT', '/v1/users/email-claimant', {});
    const res = await admin('PUT', '/v1/users/email-claimant/email', { address: 'SHARED@example.com' });
    expect(res.status).toBe(409);
    expect(res.body.error?.code).toBe('email_in_use');
    expect(await prefsOf('email-claimant')).toBeNull();
  });

  it('admin opt-out and opt-in, all or one event type, audited with the key name', async () => {
    await admin('PUT', '/v1/users/opt-user', {});
    expect((await admin('POST', '/v1/users/opt-user/email/opt-out', {})).status).toBe(409);
    await admin('PUT', '/v1/users/opt-user/email', { address: 'opt@example.com' });
    const typed = await admin('POST', '/v1/users/opt-user/email/opt-out', { scope: 'brief.ready' });
    expect(typed.body).toEqual({ optedOut: false, scope: 'brief.ready', cancelledDeliveries: 0 });
    const all = await admin('POST', '/v1/users/opt-user/email/opt-out', {});
    expect(all.body).toMatchObject({ optedOut: true, scope: 'all' });
    expect((await admin('POST', '/v1/users/opt-user/email/opt-in', { scope: 'all' })).body).toMatchObject({ optedOut: false });
    const user = await hub.prisma.user.findUniqueOrThrow({ where: { externalId: 'opt-user' } });
    const audit = await hub.prisma.channelOptOutEvent.findMany({ where: { userId: user.id }, orderBy: { id: 'asc' } });
    expect(audit.map((a) => [a.action, a.scope, a.source, a.actor])).toEqual([
      ['opt_out', 'brief.ready', 'admin', 'test'], ['opt_out', 'all', 'admin', 'test'], ['opt_in', 'all', 'admin', 'test'],
    ]);
    expect((await admin('POST', '/v1/users/opt-user/email/opt-out', { scope: 'Not A Type!' })).status).toBe(400);
  });
});

describe('email confirmation link', () => {
  it('sends a link; GET shows a Confirm page and changes nothing; POST confirms; reuse shows confirmed', async () => {
    await admin('PUT', '/v1/users/confirm-me', {});
    await admin('PUT', '/v1/users/confirm-me/email', { address: 'confirm.me@example.com' });
    const started = await admin('POST', '/v1/users/confirm-me/email/verification', {});
    expect(started.status).toBe(202);
    expect(started.body).toMatchObject({ status: 'pending', address: 'confirm.me@example.com', startsLeft: 4 });
    const sent = mail.received.at(-1)!.mail;
    expect(sent).toMatchObject({ to: 'confirm.me@example.com', from: 'Hub Test <hub@test.example>', subject: 'Confirm your email address' });
    const token = linkToken('confirm.me@example.com');
    expect(sent.text).toContain(`http://127.0.0.1:3000/e/verify/${token}`);
    expect(sent.html).toContain(`http://127.0.0.1:3000/e/verify/${token}`);
    const stored = await hub.prisma.emailVerification.findFirstOrThrow({ where: { emailAddress: 'confirm.me@example.com' } });
    expect(stored.tokenHash).not.toContain(token);
    expect(stored.tokenHash).toMatch(/^[0-9a-f]{64}$/);

    const shown = await page('GET', token);
    expect(shown.statusCode).toBe(200);
    expect(shown.headers['content-type']).toContain('text/html');
    expect(shown.body).toContain('<form method="post">');
    expect(shown.body).not.toContain('<script');
    const csp = String(shown.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('script-src');
    expect(csp).not.toContain('unsafe-inline');
    expect((await prefsOf('confirm-me'))?.emailVerified).toBe(false);

    const confirmed = await page('POST', token);
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain('confirmed');
    expect(await prefsOf('confirm-me')).toMatchObject({ emailVerified: true, verifiedBy: 'link' });

    expect((await page('POST', token)).statusCode).toBe(200); // a double click: still confirmed
    expect((await admin('POST', '/v1/users/confirm-me/email/verification', {})).body).toMatchObject({ status: 'already_verified' });
    expect((await page('GET', 'A'.repeat(43))).statusCode).toBe(404);
    expect((await page('POST', 'not-a-token')).statusCode).toBe(404);
    // Not a browser: the hub's JSON shapes.
    expect((await page('GET', token, 'application/json')).json()).toEqual({ status: 'confirmed' });
    expect((await page('GET', 'A'.repeat(43), 'application/json')).json()).toMatchObject({ error: { code: 'verification_not_found' } });
  });

  it('an expired link is 410 and confirms nothing; a link for a replaced address is 410', async () => {
    await admin('PUT', '/v1/users/slow-user', {});
    await admin('PUT', '/v1/users/slow-user/email', { address: 'slow@example.com' });
    await admin('POST', '/v1/users/slow-user/email/verification', {});
    const token = linkToken('slow@example.com');
    nowMs += 25 * 3_600_000;
    try {
      expect((await page('GET', token)).statusCode).toBe(410);
      expect((await page('POST', token, 'application/json')).json()).toMatchObject({ error: { code: 'verification_expired' } });
      expect((await page('POST', token)).statusCode).toBe(410);
    } finally {
      nowMs -= 25 * 3_600_000;
    }
    expect((await prefsOf('slow-user'))?.emailVerified).toBe(false);

    await admin('POST', '/v1/users/slow-user/email/verification', {});
    const second = linkToken('slow@example.com');
    await admin('PUT', '/v1/users/slow-user/email', { address: 'slow2@example.com' });
    expect((await page('POST', second)).statusCode).toBe(410);
    expect(await prefsOf('slow-user')).toMatchObject({ emailAddress: 'slow2@example.com', emailVerified: false });
  });

  it('409 page when someone else verified the address meanwhile', async () => {
    await admin('PUT', '/v1/users/race-a', {});
    await admin('PUT', '/v1/users/race-a/email', { address: 'race@example.com' });
    await admin('POST', '/v1/users/race-a/email/verification', {});
    const token = linkToken('race@example.com');
    await admin('PUT', '/v1/users/race-b', {});
    await trustingAdmin('PUT', '/v1/users/race-b/email', { address: 'race@example.com', verified: true });
    const res = await page('POST', token);
    expect(res.statusCode).toBe(409);
    expect((await prefsOf('race-a'))?.emailVerified).toBe(false);
  });

  it('5 starts per user per hour: the 6th is 429 with Retry-After; the hour later it works again', async () => {
    await admin('PUT', '/v1/users/eager', {});
    await admin('PUT', '/v1/users/eager/email', { address: 'eager@example.com' });
    for (let i = 0; i < 5; i++) expect((await admin('POST', '/v1/users/eager/email/verification', {})).status).toBe(202);
    const sixth = await admin('POST', '/v1/users/eager/email/verification', {});
    expect(sixth.status).toBe(429);
    expect(sixth.body.error?.code).toBe('too_many_verifications');
    expect(Number(sixth.headers['retry-after'])).toBeGreaterThan(0);
    nowMs += 3_601_000;
    try {
      expect((await admin('POST', '/v1/users/eager/email/verification', {})).status).toBe(202);
    } finally {
      nowMs -= 3_601_000;
    }
  });

  it('without an address 409 no_email_address; without a mail relay 409 email_not_configured; relay down 503, not counted', async () => {
    await admin('PUT', '/v1/users/no-addr', {});
    expect((await admin('POST', '/v1/users/no-addr/email/verification', {})).body.error?.code).toBe('no_email_address');
    const bare = await emailGateway({ emailProvider: undefined });
    try {
      await admin('PUT', '/v1/users/no-addr/email', { address: 'no-relay@example.com' });
      const res = await caller(bare, await hub.apiKey(['admin:write']))('POST', '/v1/users/no-addr/email/verification', {});
      expect(res.status).toBe(409);
      expect(res.body.error?.code).toBe('email_not_configured');
    } finally {
      await bare.close();
    }
    mail.setDown(true);
    try {
      const down = await admin('POST', '/v1/users/no-addr/email/verification', {});
      expect(down.status).toBe(503);
      expect(down.body.error?.code).toBe('email_provider_unavailable');
    } finally {
      mail.setDown(false);
    }
    expect((await admin('POST', '/v1/users/no-addr/email/verification', {})).body).toMatchObject({ status: 'pending', startsLeft: 4 });
  });

  it('the public pages need no API key; the API route does', async () => {
    expect((await publicCaller('POST', '/v1/users/eager/email/verification', {})).status).toBe(401);
  });
});
