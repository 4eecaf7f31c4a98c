import { createHash, randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient } from '@hub/db';
import type { Clock } from '@hub/contracts';
import { emailLookupKey } from '@hub/email-rules';
import { EmailProviderError, type EmailProvider } from '@hub/email-provider';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { EMAIL_IN_USE_MESSAGE, isUniqueViolation } from '../email/address.ts';
import { confirmationMail, fromDomain } from '../email/verification-mail.ts';
import { registerFormParsers } from './form-body.ts';
import { sendPage, wantsHtml } from './html-page.ts';
import { authErrors, errorSchema, userParams } from './schemas.ts';
import { retryAfterSeconds, VERIFICATION_WINDOW_MS } from './verification-limit.ts';

/**
 * Email confirmation, the twin of phone verification. Start (admin API): a random token
 * (32 bytes, base64url) goes out in a link `${publicBaseUrl}/e/verify/<token>`; only its
 * SHA-256 is stored (email_verifications), with an expiry. At most `maxStarts` starts per
 * user per rolling hour (429 + Retry-After), counted under a lock on the user's row; starts
 * the relay could not take (send_failed) do not count. Confirm (public, the token is the
 * authority): GET shows a page with a Confirm button and changes nothing — mail scanners
 * and link previews fetch GETs — and the button's POST marks the address verified
 * (verified_by 'link'). Pages: 404 unknown token, 410 expired or superseded (the address
 * changed, or the send failed), 409 when another user verified the address meanwhile.
 */

export interface EmailVerificationDeps {
  prisma: PrismaClient;
  clock: Clock;
  provider?: EmailProvider | undefined;
  from: string;
  publicBaseUrl: string;
  ttlMs: number;
  maxStarts: number;
  /** Requests per minute per IP on the public /e/verify pages (default 30). */
  pageRateLimitPerMinute?: number;
}

/** Statuses of an email_verifications row. */
export const EMAIL_VERIFICATION_STATUSES = ['sending', 'pending', 'confirmed', 'superseded', 'rejected', 'send_failed'] as const;
/** Starts that failed on the relay's side do not count against the user. */
const NOT_COUNTED = ['send_failed'];

export const hashToken = (token: string) => createHash('sha256').update(token).digest('hex');
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

const startView = z.object({ status: z.enum(['pending', 'already_verified']), address: z.string(), startsLeft: z.number().int(), expiresAt: z.string().nullable() });

type Slot = { ok: true; id: string; startsLeft: number } | { ok: false; retryAfterSeconds: number };

async function reserveStart(prisma: PrismaClient, args: { userId: string; address: string; tokenHash: string; now: Date; expiresAt: Date; maxStarts: number }): Promise<Slot> {
  const since = new Date(args.now.getTime() - VERIFICATION_WINDOW_MS);
  return prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM users WHERE id = ${args.userId}::uuid FOR UPDATE`;
    const recent = await tx.emailVerification.findMany({ where: { userId: args.userId, createdAt: { gt: since }, status: { notIn: NOT_COUNTED } }, select: { createdAt: true } });
    if (recent.length >= args.maxStarts) {
      return { ok: false as const, retryAfterSeconds: retryAfterSeconds(recent.map((r) => r.createdAt), args.now, VERIFICATION_WINDOW_MS, args.maxStarts) };
    }
    const row = await tx.emailVerification.create({
      data: { userId: args.userId, emailAddress: args.address, tokenHash: args.tokenHash, status: 'sending', expiresAt: args.expiresAt, createdAt: args.now },
    });
    return { ok: true as const, id: row.id, startsLeft: args.maxStarts - recent.length - 1 };
  });
}

/** Each outcome of a link: an HTML page for a browser, the hub's JSON error (or status) for anything else. */
const PAGES = {
  notFound: { status: 404, code: 'verification_not_found', title: 'Link not found', paragraphs: ['This confirmation link is not valid. Check that you opened the whole link from the latest email.'] },
  gone: { status: 410, code: 'verification_expired', title: 'Link expired', paragraphs: ['This confirmation link has expired or was replaced by a newer one. Ask for a new confirmation email.'] },
  inUse: { status: 409, code: 'email_in_use', title: 'Address already in use', paragraphs: ['This email address has been confirmed by another account, so it cannot be confirmed here.'] },
  confirmed: { status: 200, code: 'confirmed', title: 'Email address confirmed', paragraphs: ['Thank you: your email address is confirmed.'] },
} as const;
type Outcome = (typeof PAGES)[keyof typeof PAGES];

function answer(request: FastifyRequest, reply: FastifyReply, o: Outcome) {
  if (wantsHtml(request)) return sendPage(reply, o.status, o);
  if (o.status >= 400) return sendError(reply, o.status, o.code, o.paragraphs[0]);
  return reply.code(o.status).header('cache-control', 'no-store').send({ status: o.code });
}

export function registerEmailVerificationRoutes(app: FastifyInstance, deps: EmailVerificationDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const write = requireScope(deps.prisma, 'admin:write');
  const base = deps.publicBaseUrl.replace(/\/$/, '');
  const domain = fromDomain(deps.from);

  r.post('/v1/users/:externalId/email/verification', {
    onRequest: write,
    schema: {
      tags: ['email', 'recipients'],
      summary: "Send a confirmation link to the recipient's email address (5 starts per user per hour; 409 email_not_configured without a mail relay)",
      params: userParams, body: z.strictObject({}).nullish(),
      response: { 202: startView, 200: startView, 404: errorSchema, 409: errorSchema, 429: errorSchema, 503: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const user = await deps.prisma.user.findUnique({ where: { externalId: request.params.externalId }, include: { emailPreferences: true } });
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    const prefs = user.emailPreferences;
    if (!prefs?.emailAddress || !prefs.emailKey) return sendError(reply, 409, 'no_email_address', 'set an address first (PUT /v1/users/:externalId/email)');
    const address = prefs.emailAddress;
    if (prefs.emailVerified) return reply.code(200).send({ status: 'already_verified', address, startsLeft: deps.maxStarts, expiresAt: null });
    const other = await deps.prisma.userEmailPreferences.findFirst({ where: { emailKey: prefs.emailKey, emailVerified: true, userId: { not: user.id } }, select: { id: true } });
    if (other) return sendError(reply, 409, 'email_in_use', EMAIL_IN_USE_MESSAGE);
    if (!deps.provider) return sendError(reply, 409, 'email_not_configured', 'this hub has no mail relay configured; email addresses cannot be confirmed by link');

    const now = deps.clock.now();
    const token = randomBytes(32).toString('base64url');
    const expiresAt = new Date(now.getTime() + deps.ttlMs);
    const slot = await reserveStart(deps.prisma, { userId: user.id, address, tokenHash: hashToken(token), now, expiresAt, maxStarts: deps.maxStarts });
    if (!slot.ok) {
      void reply.header('retry-after', String(slot.retryAfterSeconds));
      return sendError(reply, 429, 'too_many_verifications', `at most ${deps.maxStarts} confirmation emails per hour; retry in ${slot.retryAfterSeconds} s`, { retryAfterSeconds: slot.retryAfterSeconds });
    }
    const mail = confirmationMail({ link: `${base}/e/verify/${token}`, expiresAt });
    try {
      await deps.provider.send({ messageId: `verify-${slot.id}@${domain}`, from: deps.from, to: address, subject: mail.subject, html: mail.html, text: mail.text, headers: { 'Auto-Submitted': 'auto-generated' } });
    } catch (err) {
      const rejected = err instanceof EmailProviderError && err.code === 'recipient_rejected';
      await deps.prisma.emailVerification.update({ where: { id: slot.id }, data: { status: rejected ? 'rejected' : 'send_failed' } });
      if (rejected) return sendError(reply, 400, 'email_rejected', 'the mail relay refused this address', { smtpCode: err.smtpCode, enhancedStatus: err.enhancedStatus });
      if (err instanceof EmailProviderError) {
        if (err.retryAfterMs) void reply.header('retry-after', String(Math.ceil(err.retryAfterMs / 1000)));
        request.log.warn({ userId: user.id, code: err.code }, 'confirmation email not sent');
        return sendError(reply, 503, 'email_provider_unavailable', 'the mail relay could not take the message; retry later', { providerCode: err.code });
      }
      throw err;
    }
    await deps.prisma.emailVerification.update({ where: { id: slot.id }, data: { status: 'pending' } });
    return reply.code(202).send({ status: 'pending', address, startsLeft: slot.startsLeft, expiresAt: expiresAt.toISOString() });
  });

  // Public pages (no API key: the token is the authority), form bodies only here.
  void app.register(async (pages) => {
    registerFormParsers(pages);
    const p = pages.withTypeProvider<ZodTypeProvider>();
    const params = z.object({ token: z.string().max(200) });
    const pageDoc = { tags: ['email'], security: [], produces: ['text/html'], params };
    const formBody = z.string().max(8 * 1024).optional().describe('an HTML form post (any fields; ignored)');
    const limit = pages.rateLimit({ max: deps.pageRateLimitPerMinute ?? 30, timeWindow: '1 minute', keyGenerator: (req) => `verify-page:${req.ip}` });

    type Lookup = { kind: 'page'; page: Outcome } | { kind: 'pending'; id: string; userId: string; address: string };
    const lookup = async (token: string, tx: Pick<PrismaClient, '$queryRaw'> = deps.prisma, lock = false): Promise<Lookup> => {
      if (!TOKEN_PATTERN.test(token)) return { kind: 'page', page: PAGES.notFound };
      const hash = hashToken(token);
      const rows = lock
        ? await tx.$queryRaw<{ id: string; user_id: string; email_address: string; status: string; expires_at: Date }[]>`
            SELECT id::text, user_id::text, email_address, status, expires_at FROM email_verifications WHERE token_hash = ${hash} FOR UPDATE`
        : await tx.$queryRaw<{ id: string; user_id: string; email_address: string; status: string; expires_at: Date }[]>`
            SELECT id::text, user_id::text, email_address, status, expires_at FROM email_verifications WHERE token_hash = ${hash}`;
      const v = rows[0];
      if (!v) return { kind: 'page', page: PAGES.notFound };
      if (v.status === 'confirmed') return { kind: 'page', page: PAGES.confirmed };
      if (v.status !== 'pending' || v.expires_at.getTime() <= deps.clock.now().getTime()) return { kind: 'page', page: PAGES.gone };
      return { kind: 'pending', id: v.id, userId: v.user_id, address: v.email_address };
    };

    p.get('/e/verify/:token', {
      onRequest: limit,
      schema: {
        ...pageDoc, summary: 'The confirmation page of an email link: HTML with a Confirm button for a browser (Accept: text/html), else JSON; a GET confirms nothing',
        response: { 200: z.union([z.string().describe('an HTML page'), z.object({ status: z.string() })]), 404: errorSchema, 410: errorSchema },
      },
    }, async (request, reply) => {
      const found = await lookup(request.params.token);
      if (found.kind === 'page') return answer(request, reply, found.page);
      if (!wantsHtml(request)) return reply.header('cache-control', 'no-store').send({ status: 'pending' });
      return sendPage(reply, 200, {
        title: 'Confirm your email address',
        paragraphs: [`Confirm that ${found.address} is your email address.`],
        form: { button: 'Confirm' },
      });
    });

    p.post('/e/verify/:token', {
      onRequest: limit,
      schema: {
        ...pageDoc, consumes: ['application/x-www-form-urlencoded', 'multipart/form-data'], body: formBody,
        summary: "Confirm an email address (the page's button): 200 confirmed, 404 unknown, 410 expired or superseded, 409 verified by another user; HTML for a browser, else JSON",
        response: { 200: z.union([z.string().describe('an HTML page'), z.object({ status: z.string() })]), 404: errorSchema, 409: errorSchema, 410: errorSchema },
      },
    }, async (request, reply) => {
      const token = request.params.token;
      let outcome: Outcome;
      try {
        outcome = await deps.prisma.$transaction(async (tx) => {
          const found = await lookup(token, tx, true);
          if (found.kind === 'page') return found.page;
          const key = emailLookupKey(found.address);
          const prefs = await tx.userEmailPreferences.findUnique({ where: { userId: found.userId } });
          if (!prefs || prefs.emailKey !== key) {
            // The address changed since the link was sent: it confirms nothing any more.
            await tx.emailVerification.update({ where: { id: found.id }, data: { status: 'superseded' } });
            return PAGES.gone;
          }
          const other = await tx.userEmailPreferences.findFirst({ where: { emailKey: key, emailVerified: true, userId: { not: found.userId } }, select: { id: true } });
          if (other) return PAGES.inUse;
          const now = deps.clock.now();
          if (!prefs.emailVerified) await tx.userEmailPreferences.update({ where: { id: prefs.id }, data: { emailVerified: true, emailVerifiedAt: now, verifiedBy: 'link' } });
          await tx.emailVerification.update({ where: { id: found.id }, data: { status: 'confirmed', confirmedAt: now } });
          request.log.info({ userId: found.userId }, 'email address confirmed');
          return PAGES.confirmed;
        });
      } catch (err) {
        if (!isUniqueViolation(err)) throw err;
        outcome = PAGES.inUse;
      }
      return answer(request, reply, outcome);
    });
  });
}

