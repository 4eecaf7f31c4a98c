import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordChannelOptIn, recordChannelOptOut, type PrismaClient, type UserEmailPreferences } from '@hub/db';
import { eventTypeSchema, type Clock } from '@hub/contracts';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { EMAIL_IN_USE_MESSAGE, isUniqueViolation, normalizedEmail } from '../email/address.ts';
import { authErrors, errorSchema, iso, userParams } from './schemas.ts';

/**
 * A recipient's email address. Set by the API (PUT) and normalised at the edge; it is
 * unverified until the user follows the confirmation link (routes/email-verification.ts),
 * unless the deployment trusts the upstream system's own verification
 * (EMAIL_TRUST_UPSTREAM_VERIFIED=true, then `verified: true` stores verified_by 'upstream';
 * otherwise `verified: true` is refused with 400 upstream_verification_not_trusted).
 * A new address (another lookup key) starts unverified and deliverable again; an opt-out is
 * the person's choice and survives an address change. One verified owner per address
 * (409 email_in_use, also from the partial unique index under a race).
 */

export interface EmailAddressDeps {
  prisma: PrismaClient;
  clock: Clock;
  trustUpstreamVerified: boolean;
}

const putBody = z.strictObject({
  address: z.string().min(1).max(400).describe('a bare address (no display name), e.g. ada@example.com'),
  verified: z.boolean().optional().describe('the upstream system confirmed it (honoured only with EMAIL_TRUST_UPSTREAM_VERIFIED=true)'),
});

export const emailView = z.object({
  address: z.string().nullable(),
  verified: z.boolean(),
  verifiedAt: z.string().nullable(),
  verifiedBy: z.string().nullable().describe("'link', 'upstream' or 'admin'"),
  optedOut: z.boolean(),
  optedOutAt: z.string().nullable(),
  optOutReason: z.string().nullable(),
  undeliverable: z.boolean(),
  undeliverableReason: z.string().nullable(),
});

export function toEmailView(p: UserEmailPreferences): z.infer<typeof emailView> {
  return {
    address: p.emailAddress, verified: p.emailVerified, verifiedAt: iso(p.emailVerifiedAt), verifiedBy: p.verifiedBy,
    optedOut: p.optedOut, optedOutAt: iso(p.optedOutAt), optOutReason: p.optOutReason,
    undeliverable: p.undeliverable, undeliverableReason: p.undeliverableReason,
  };
}

export const ALL_SCOPE = 'all';
const scopeSchema = z.union([z.literal(ALL_SCOPE), eventTypeSchema]).describe("'all' (every email) or one event type");

export function registerEmailAddressRoutes(app: FastifyInstance, deps: EmailAddressDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const write = requireScope(deps.prisma, 'admin:write');
  const tags = ['email', 'recipients'];
  const base = '/v1/users/:externalId/email';
  const userWithEmail = (externalId: string) => deps.prisma.user.findUnique({ where: { externalId }, include: { emailPreferences: true } });

  r.put(base, {
    onRequest: write,
    schema: {
      tags, summary: "Set a recipient's email address (normalised; unverified until confirmed, unless trusted upstream)",
      params: userParams, body: putBody, response: { 200: emailView, 404: errorSchema, 409: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const email = normalizedEmail(reply, request.body.address);
    if (!email) return reply;
    if (request.body.verified === true && !deps.trustUpstreamVerified) {
      return sendError(reply, 400, 'upstream_verification_not_trusted', 'this hub does not accept verified=true (EMAIL_TRUST_UPSTREAM_VERIFIED is off); confirm the address with POST …/email/verification', { fields: [{ field: 'body.verified', message: 'not trusted on this hub' }] });
    }
    const user = await userWithEmail(request.params.externalId);
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    const other = await deps.prisma.userEmailPreferences.findFirst({ where: { emailKey: email.key, emailVerified: true, userId: { not: user.id } }, select: { id: true } });
    if (other) return sendError(reply, 409, 'email_in_use', EMAIL_IN_USE_MESSAGE);

    const now = deps.clock.now();
    const current = user.emailPreferences;
    const sameAddress = current?.emailKey === email.key;
    const trusted = request.body.verified === true;
    const keepVerification = sameAddress && current.emailVerified;
    const verification = keepVerification
      ? {}
      : trusted
        ? { emailVerified: true, emailVerifiedAt: now, verifiedBy: 'upstream' }
        : { emailVerified: false, emailVerifiedAt: null, verifiedBy: null };
    // A new address is deliverable until it bounces; the old one's hard bounce does not carry over.
    const deliverability = sameAddress ? {} : { undeliverable: false, undeliverableAt: null, undeliverableReason: null };
    const data = { emailAddress: email.address, emailKey: email.key, ...verification, ...deliverability };
    try {
      const prefs = await deps.prisma.$transaction(async (tx) => {
        if (!sameAddress) {
          // Links sent to the previous address no longer confirm anything.
          await tx.emailVerification.updateMany({ where: { userId: user.id, status: 'pending' }, data: { status: 'superseded' } });
        }
        return tx.userEmailPreferences.upsert({ where: { userId: user.id }, create: { userId: user.id, ...data }, update: data });
      });
      return toEmailView(prefs);
    } catch (err) {
      if (isUniqueViolation(err)) return sendError(reply, 409, 'email_in_use', EMAIL_IN_USE_MESSAGE);
      throw err;
    }
  });

  r.get(base, {
    onRequest: requireScope(deps.prisma, 'admin:read'),
    schema: { tags, summary: "A recipient's email address and its state", params: userParams, response: { 200: emailView, 404: errorSchema, ...authErrors } },
  }, async (request, reply) => {
    const user = await userWithEmail(request.params.externalId);
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    if (!user.emailPreferences?.emailAddress) return sendError(reply, 404, 'no_email_address', 'the user has no email address');
    return toEmailView(user.emailPreferences);
  });

  r.delete(base, {
    onRequest: write,
    schema: {
      tags, summary: "Remove a recipient's email address (its opt-out state is kept); 204 also when there was none",
      params: userParams, response: { 204: z.null(), 404: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const user = await userWithEmail(request.params.externalId);
    if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
    await deps.prisma.$transaction([
      deps.prisma.userEmailPreferences.updateMany({
        where: { userId: user.id },
        data: { emailAddress: null, emailKey: null, emailVerified: false, emailVerifiedAt: null, verifiedBy: null, undeliverable: false, undeliverableAt: null, undeliverableReason: null },
      }),
      deps.prisma.emailVerification.updateMany({ where: { userId: user.id, status: 'pending' }, data: { status: 'superseded' } }),
    ]);
    return reply.code(204).send(null);
  });

  const optBody = z.strictObject({ scope: scopeSchema.default(ALL_SCOPE), reason: z.string().min(1).max(200).optional() });
  for (const action of ['opt-out', 'opt-in'] as const) {
    r.post(`${base}/${action}`, {
      onRequest: write,
      schema: {
        tags,
        summary: action === 'opt-out'
          ? "Opt a recipient out of email, all of it or one event type (audited; waiting email deliveries in scope are cancelled)"
          : 'Opt a recipient back in to email, all of it or one event type (audited)',
        params: userParams, body: optBody.nullish(),
        response: { 200: z.object({ optedOut: z.boolean().describe('the channel-wide opt-out after the change'), scope: z.string(), cancelledDeliveries: z.number().int() }), 404: errorSchema, 409: errorSchema, ...authErrors },
      },
    }, async (request, reply) => {
      const user = await userWithEmail(request.params.externalId);
      if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
      const address = user.emailPreferences?.emailAddress;
      if (!address) return sendError(reply, 409, 'no_email_address', 'the user has no email address to opt out or in');
      const scope = request.body?.scope ?? ALL_SCOPE;
      const change = {
        channel: 'email' as const, userId: user.id, address, scope, source: 'admin' as const,
        detail: request.body?.reason ?? null, actor: request.apiKey?.name ?? 'api', at: deps.clock.now(),
      };
      const cancelled = await deps.prisma.$transaction(async (tx) => {
        if (action === 'opt-out') return recordChannelOptOut(tx, change);
        await recordChannelOptIn(tx, change);
        return 0;
      });
      const after = await deps.prisma.userEmailPreferences.findUnique({ where: { userId: user.id }, select: { optedOut: true } });
      return { optedOut: after?.optedOut ?? false, scope, cancelledDeliveries: cancelled };
    });
  }
}
