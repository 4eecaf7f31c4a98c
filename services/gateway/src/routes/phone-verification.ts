import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { Prisma, type PrismaClient } from '@hub/db';
import type { Bus } from '@hub/bus';
import type { Clock } from '@hub/contracts';
import { checkDestinationAllowed, normalizePhone } from '@hub/sms-rules';
import { ProviderError, type PhoneVerifier } from '@hub/sms-provider';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import type { GatewayMetrics } from '../plugins/metrics.ts';
import { acceptEvent, publishStored, storeEvent, type EventInput } from './events.ts';
import { authErrors, errorSchema, userParams } from './schemas.ts';
import { reserveVerificationStart } from './verification-limit.ts';

/**
 * Phone verification through Twilio Verify. Start: normalise, refuse a number another user
 * has verified (409), at most `maxStarts` starts per user per rolling hour (429 + Retry-After),
 * then ask the provider to send the code. Check: on approval, one transaction sets the phone
 * as verified, subscribes the user to user.welcome on SMS and stores the welcome event; the
 * event is then published through the same accept path as POST /v1/events. Its id is derived
 * from user and phone, so a retried check republishes nothing twice.
 */

export interface PhoneVerificationDeps {
  prisma: PrismaClient;
  bus: Bus;
  clock: Clock;
  provider?: PhoneVerifier | undefined;
  maxStarts: number;
  /** Destination countries verification codes may go to (the SMS allow-list; `*` = any). */
  allowedCountries: readonly string[];
  metrics?: Pick<GatewayMetrics, 'eventsAccepted'>;
}

const phoneBody = z.strictObject({ phone: z.string().min(1).max(64).describe('E.164, or a national form (US assumed)') });
const checkBody = z.strictObject({ phone: phoneBody.shape.phone, code: z.string().regex(/^\d{4,10}$/, 'must be 4–10 digits') });
const startView = z.object({ status: z.enum(['pending', 'already_verified']), phone: z.string(), startsLeft: z.number().int() });
const checkView = z.object({ status: z.enum(['approved', 'already_verified']), phone: z.string(), welcomeEventId: z.string() });

export const welcomeEventId = (userId: string, e164: string) => `welcome:${userId}:${e164.replace(/^\+/, '')}`;

function normalized(reply: FastifyReply, raw: string): string | null {
  const phone = normalizePhone(raw);
  if (phone.ok) return phone.e164;
  void sendError(reply, 400, 'invalid_phone', phone.error.message, { reason: phone.error.code, fields: [{ field: 'body.phone', message: phone.error.message }] });
  return null;
}

/** Twilio Verify's own limit: 5 send attempts per number in 10 minutes (error 60203). */
const VERIFY_MAX_SEND_ATTEMPTS = 60203;
/** Twilio Verify: 5 wrong codes for one verification (error 60202); a new start is needed. */
const VERIFY_MAX_CHECK_ATTEMPTS = 60202;

function providerFailure(reply: FastifyReply, err: unknown) {
  if (err instanceof ProviderError && err.twilioCode === VERIFY_MAX_SEND_ATTEMPTS) {
    void reply.header('retry-after', '600');
    return sendError(reply, 429, 'too_many_verifications', 'the provider allows no more codes to this number for now; retry in 10 minutes', { retryAfterSeconds: 600 });
  }
  if (err instanceof ProviderError && err.twilioCode === VERIFY_MAX_CHECK_ATTEMPTS) {
    return sendError(reply, 429, 'too_many_checks', 'too many wrong codes for this verification; start a new one', { providerCode: err.twilioCode });
  }
  if (err instanceof ProviderError && err.kind === 'rejected') {
    return sendError(reply, 400, 'verification_rejected', 'the provider refused to verify this number', { providerCode: err.twilioCode });
  }
  if (err instanceof ProviderError) return sendError(reply, 503, 'provider_unavailable', 'the SMS provider could not be reached; retry later', { providerKind: err.kind });
  throw err;
}

const isUniqueViolation = (err: unknown) => err instanceof Prisma.PrismaClientKnownRequestError && err.code === 'P2002';

export function registerPhoneVerificationRoutes(app: FastifyInstance, deps: PhoneVerificationDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const write = requireScope(deps.prisma, 'admin:write');
  const base = '/v1/users/:externalId/phone/verification';

  const otherOwner = (userId: string, phone: string) =>
    deps.prisma.userSmsPreferences.findFirst({ where: { phoneNumber: phone, phoneVerified: true, userId: { not: userId } }, select: { id: true } });

  r.post(base, {
    onRequest: write,
    schema: {
      tags: ['phone verification'], summary: 'Send a verification code to a phone (5 starts per user per hour)',
      params: userParams, body: phoneBody,
      response: { 202: startView, 200: startView, 404: errorSchema, 409: errorSchema, 422: errorSchema, 429: errorSchema, 503: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const phone = normalized(reply, request.body.phone);
    if (!phone) return reply;
    // A code to a country the hub never sends to costs money and verifies a number it could not use.
    const destination = checkDestinationAllowed(phone, deps.allowedCountries);
    if (!destination.allowed) return sendError(reply, 422, 'country_not_allowed', `SMS to ${destination.country ?? 'this destination'} is not enabled on this hub`, { country: destination.country });
    const user = await deps.prisma.user.findUnique({ where: { externalId: request.params.externalId }, include: { smsPreferences: true } });
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    if (!deps.provider) return sendError(reply, 503, 'verification_unavailable', 'no SMS provider is configured');
    const prefs = user.smsPreferences;
    if (prefs?.phoneVerified && prefs.phoneNumber === phone) return reply.code(200).send({ status: 'already_verified', phone, startsLeft: deps.maxStarts });
    if (await otherOwner(user.id, phone)) return sendError(reply, 409, 'phone_in_use', 'this phone number is already verified by another user');

    const slot = await reserveVerificationStart(deps.prisma, { userId: user.id, phone, now: deps.clock.now(), maxStarts: deps.maxStarts });
    if (!slot.ok) {
      void reply.header('retry-after', String(slot.retryAfterSeconds));
      return sendError(reply, 429, 'too_many_verifications', `at most ${deps.maxStarts} verification starts per hour; retry in ${slot.retryAfterSeconds} s`, { retryAfterSeconds: slot.retryAfterSeconds });
    }
    try {
      const started = await deps.provider.start(phone);
      await deps.prisma.phoneVerification.update({ where: { id: slot.id }, data: { verificationSid: started.sid, status: started.status } });
    } catch (err) {
      const status = err instanceof ProviderError && err.kind === 'rejected' ? 'rejected' : 'provider_error';
      await deps.prisma.phoneVerification.update({ where: { id: slot.id }, data: { status } });
      return providerFailure(reply, err);
    }
    return reply.code(202).send({ status: 'pending', phone, startsLeft: slot.startsLeft });
  });

  r.post(`${base}/check`, {
    onRequest: write,
    schema: {
      tags: ['phone verification'], summary: 'Check a verification code; on success the phone is verified and a welcome SMS is sent',
      params: userParams, body: checkBody,
      response: { 200: checkView, 404: errorSchema, 409: errorSchema, 429: errorSchema, 503: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const phone = normalized(reply, request.body.phone);
    if (!phone) return reply;
    const user = await deps.prisma.user.findUnique({ where: { externalId: request.params.externalId }, include: { smsPreferences: true } });
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    if (!deps.provider) return sendError(reply, 503, 'verification_unavailable', 'no SMS provider is configured');
    const eventId = welcomeEventId(user.id, phone);
    const welcome: EventInput = { id: eventId, type: 'user.welcome', targetUserId: user.externalId, payload: {}, priority: 'normal', source: 'gateway' };

    // A retried check after a success (e.g. the publish failed): the code is spent at the
    // provider, so only make sure the welcome event is out.
    if (user.smsPreferences?.phoneVerified && user.smsPreferences.phoneNumber === phone) {
      await acceptEvent(deps, welcome);
      return { status: 'already_verified' as const, phone, welcomeEventId: eventId };
    }
    if (await otherOwner(user.id, phone)) return sendError(reply, 409, 'phone_in_use', 'this phone number is already verified by another user');

    let result: { status: string; valid: boolean };
    try {
      result = await deps.provider.check(phone, request.body.code);
    } catch (err) {
      if (err instanceof ProviderError && err.httpStatus === 404) {
        return sendError(reply, 400, 'no_pending_verification', 'no pending verification for this phone (expired, used or never started); start a new one');
      }
      return providerFailure(reply, err);
    }
    const now = deps.clock.now();
    const latest = await deps.prisma.phoneVerification.findFirst({ where: { userId: user.id, phoneNumber: phone }, orderBy: { createdAt: 'desc' } });
    if (!result.valid || result.status !== 'approved') {
      if (latest) await deps.prisma.phoneVerification.update({ where: { id: latest.id }, data: { checkedAt: now } });
      return sendError(reply, 400, 'invalid_code', 'the verification code is not correct');
    }

    try {
      await deps.prisma.$transaction(async (tx) => {
        const verified = { phoneNumber: phone, phoneVerified: true, phoneVerifiedAt: now };
        await tx.userSmsPreferences.upsert({ where: { userId: user.id }, create: { userId: user.id, ...app.recipientDefaults, ...verified }, update: verified });
        await tx.notificationSubscription.upsert({
          where: { userId_eventType: { userId: user.id, eventType: 'user.welcome' } },
          create: { userId: user.id, eventType: 'user.welcome', channels: ['sms'], active: true },
          update: { active: true, channels: ['sms'] },
        });
        if (latest) await tx.phoneVerification.update({ where: { id: latest.id }, data: { status: 'approved', checkedAt: now } });
        await storeEvent(tx, welcome, now);
      });
    } catch (err) {
      if (isUniqueViolation(err)) return sendError(reply, 409, 'phone_in_use', 'this phone number is already verified by another user');
      throw err;
    }
    // The welcome row is this request's outbox entry: publish it (waiting for a concurrent
    // publisher, if any); a failure here is recovered by a retried check or the sweep.
    if ((await publishStored(deps, [eventId])).has(eventId)) deps.metrics?.eventsAccepted.inc({ outcome: 'accepted' });
    request.log.info({ userId: user.id, eventId }, 'phone verified');
    return { status: 'approved' as const, phone, welcomeEventId: eventId };
  });
}
