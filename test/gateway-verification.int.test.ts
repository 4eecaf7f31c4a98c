import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser, uniquePhone } from './support/seed.ts';
import { caller, type Caller } from '../services/gateway/test/helpers.ts';

let hub: TestHub;
let admin: Caller;

beforeAll(async () => {
  hub = await startHub();
  admin = caller(hub.gateway, await hub.apiKey(['admin:write']));
});
afterAll(async () => {
  await hub?.stop();
});

const start = (user: string, phone: string) => admin('POST', `/v1/users/${user}/phone/verification`, { phone });
const check = (user: string, phone: string, code: string) => admin('POST', `/v1/users/${user}/phone/verification/check`, { phone, code });

describe('phone verification', () => {
  it('verifies a phone and sends the welcome SMS through the normal pipeline, once', async () => {
    await admin('PUT', '/v1/users/verify-me', { timezone: 'UTC' });
    const phone = uniquePhone();
    const national = `(${phone.slice(2, 5)}) ${phone.slice(5, 8)}-${phone.slice(8)}`;

    const started = await start('verify-me', national);
    expect(started.status).toBe(202);
    expect(started.body).toEqual({ status: 'pending', phone, startsLeft: 4 });
    expect(hub.sandbox.verifications().some((v) => v.to === phone)).toBe(true);

    const wrong = await check('verify-me', phone, '000000');
    expect(wrong.status).toBe(400);
    expect(wrong.body.error?.code).toBe('invalid_code');

    const ok = await check('verify-me', phone, '123456');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ status: 'approved', phone });
    const user = await hub.prisma.user.findUniqueOrThrow({ where: { externalId: 'verify-me' }, include: { smsPreferences: true, subscriptions: true } });
    expect(user.smsPreferences).toMatchObject({ phoneNumber: phone, phoneVerified: true });
    expect(user.smsPreferences?.phoneVerifiedAt).toBeInstanceOf(Date);
    expect(user.subscriptions.map((s) => [s.eventType, s.channels, s.active])).toEqual([['user.welcome', ['sms'], true]]);
    const attempts = await hub.prisma.phoneVerification.findMany({ where: { userId: user.id } });
    expect(attempts.map((a) => a.status)).toEqual(['approved']);

    const eventId = ok.body.welcomeEventId as string;
    const sms = await waitFor(async () => {
      const d = await hub.prisma.notificationDelivery.findFirst({ where: { eventId, userId: user.id }, include: { smsMessages: true } });
      return d?.status === 'delivered' ? d.smsMessages[0] : null;
    }, { timeoutMs: 30_000, what: 'welcome SMS delivered' });
    expect(sms?.templateKey).toBe('welcome_sms');
    expect(sms?.messageContent).toMatch(/^Welcome to Notification Hub!/);

    // A retried check (e.g. after a lost response) republishes nothing.
    const again = await check('verify-me', phone, '123456');
    expect(again.body).toMatchObject({ status: 'already_verified', welcomeEventId: eventId });
    await new Promise((r) => setTimeout(r, 1_000));
    expect(hub.sandbox.sends().filter((s) => s.to === phone)).toHaveLength(1);
    expect(await hub.prisma.notificationDelivery.count({ where: { userId: user.id } })).toBe(1);

    const startAgain = await start('verify-me', phone);
    expect(startAgain).toMatchObject({ status: 200, body: { status: 'already_verified' } });
  });

  it('refuses a phone verified by another user with 409, at start and at check', async () => {
    const phone = uniquePhone();
    await admin('PUT', '/v1/users/claimant', {});
    expect((await start('claimant', phone)).status).toBe(202);
    await seedUser(hub.prisma, { externalId: 'owner', phone, verified: true });

    const again = await start('claimant', phone);
    expect(again.status).toBe(409);
    expect(again.body.error?.code).toBe('phone_in_use');
    const checked = await check('claimant', phone, '123456');
    expect(checked.status).toBe(409);
    expect(checked.body.error?.code).toBe('phone_in_use');
    const prefs = await hub.prisma.userSmsPreferences.findMany({ where: { phoneNumber: phone } });
    expect(prefs).toHaveLength(1);
  });

  it('allows 5 starts per user per hour, then 429 with Retry-After', async () => {
    await admin('PUT', '/v1/users/eager', {});
    await admin('PUT', '/v1/users/patient', {});
    for (let i = 0; i < 5; i++) {
      const res = await start('eager', uniquePhone());
      expect(res.status).toBe(202);
      expect(res.body.startsLeft).toBe(4 - i);
    }
    const sixth = await start('eager', uniquePhone());
    expect(sixth.status).toBe(429);
    expect(sixth.body.error?.code).toBe('too_many_verifications');
    const retryAfter = Number(sixth.headers['retry-after']);
    expect(retryAfter).toBeGreaterThan(3_500);
    expect(retryAfter).toBeLessThanOrEqual(3_600);
    const user = await hub.prisma.user.findUniqueOrThrow({ where: { externalId: 'eager' } });
    expect(await hub.prisma.phoneVerification.count({ where: { userId: user.id } })).toBe(5);

    // The limit is per user; and starts that left the window no longer count.
    expect((await start('patient', uniquePhone())).status).toBe(202);
    await hub.prisma.phoneVerification.updateMany({ where: { userId: user.id }, data: { createdAt: new Date(Date.now() - 61 * 60_000) } });
    expect((await start('eager', uniquePhone())).status).toBe(202);
  });

  it('refuses a code to a country outside the SMS allow-list (422), without calling the provider or using a start', async () => {
    await admin('PUT', '/v1/users/abroad', {});
    const res = await start('abroad', '+33 6 12 34 56 78'); // the test hub allows US, CA, GB
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'country_not_allowed', country: 'FR' });
    expect(hub.sandbox.verifications().some((v) => v.to === '+33612345678')).toBe(false);
    const abroad = await hub.prisma.user.findUniqueOrThrow({ where: { externalId: 'abroad' } });
    expect(await hub.prisma.phoneVerification.count({ where: { userId: abroad.id } })).toBe(0);
    expect((await start('abroad', '+44 20 7946 0958')).status).toBe(202); // GB is allowed
  });

  it('explains an unusable number, a code without a verification, and bad input', async () => {
    await admin('PUT', '/v1/users/typo', {});
    const notNumber = await start('typo', 'call me maybe');
    expect(notNumber.status).toBe(400);
    expect(notNumber.body.error).toMatchObject({ code: 'invalid_phone', reason: 'not_a_number' });
    const short = await start('typo', '12345');
    expect(short.body.error).toMatchObject({ code: 'invalid_phone', reason: 'too_short' });

    const rejected = await start('typo', '+15005550001');
    expect(rejected.status).toBe(400);
    expect(rejected.body.error?.code).toBe('verification_rejected');

    const none = await check('typo', uniquePhone(), '123456');
    expect(none.status).toBe(400);
    expect(none.body.error?.code).toBe('no_pending_verification');

    expect((await check('typo', uniquePhone(), 'abc')).body.error?.code).toBe('validation_failed');
    expect((await admin('POST', '/v1/users/typo/phone/verification', {})).body.error?.code).toBe('validation_failed');
    expect((await start('nobody-here', uniquePhone())).status).toBe(404);
    expect(await hub.prisma.userSmsPreferences.count({ where: { user: { externalId: 'typo' } } })).toBe(0);
  });

  it('answers 429 when the provider allows no more checks for a verification (60202)', async () => {
    await admin('PUT', '/v1/users/guesser', {});
    const phone = uniquePhone();
    expect((await start('guesser', phone)).status).toBe(202);
    for (let i = 0; i < 5; i++) expect((await check('guesser', phone, '000000')).body.error?.code).toBe('invalid_code');
    const limited = await check('guesser', phone, '123456');
    expect(limited.status).toBe(429);
    expect(limited.body.error).toMatchObject({ code: 'too_many_checks', providerCode: 60202 });
    expect(await hub.prisma.userSmsPreferences.count({ where: { user: { externalId: 'guesser' }, phoneVerified: true } })).toBe(0);
  });
});
