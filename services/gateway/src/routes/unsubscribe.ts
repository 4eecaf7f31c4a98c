import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { recordChannelOptOut, type PrismaClient } from '@hub/db';
import type { Clock } from '@hub/contracts';
import { verifyLinkToken, type UnsubscribeClaims } from '@hub/channel-kit';
import { sendError } from '../plugins/errors.ts';
import { formField, registerFormParsers } from './form-body.ts';
import { sendPage, wantsHtml, type Page } from './html-page.ts';
import { errorSchema } from './schemas.ts';

/**
 * One-click unsubscribe (RFC 8058, with RFC 2369's List-Unsubscribe): the email-adapter puts
 * `List-Unsubscribe: <${publicBaseUrl}/u/<token>>` and `List-Unsubscribe-Post:
 * List-Unsubscribe=One-Click` on every message; the token is signed with HUB_LINK_SECRET
 * (@hub/channel-kit signLinkToken) and names the user, the channel, the scope ('all' or one
 * event type) and the message. POST with the body `List-Unsubscribe=One-Click`
 * (urlencoded or multipart/form-data) opts out (source 'one_click'), idempotently: the state
 * is read under a lock on the user's row and a repeat changes and audits nothing. GET only
 * shows what the link will do, with a button that makes that POST: mail scanners fetch
 * links, and a GET must never unsubscribe. No API key (the token is the authority); limited
 * per IP. A malformed, edited or foreign token → 400 invalid_token.
 */

export interface UnsubscribeDeps {
  prisma: PrismaClient;
  clock: Clock;
  linkSecret: string;
  /** Requests per minute per IP (default 60). */
  rateLimitPerMinute?: number;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const ONE_CLICK = 'One-Click';

const resultView = z.object({ status: z.enum(['unsubscribed', 'already_unsubscribed']), channel: z.string(), scope: z.string() });

const what = (c: UnsubscribeClaims) => (c.scope === 'all' ? 'all email from this service' : `the "${c.scope}" emails`);

export function registerUnsubscribeRoutes(app: FastifyInstance, deps: UnsubscribeDeps): void {
  const claimsOf = (token: string): UnsubscribeClaims | null => {
    const claims = verifyLinkToken(deps.linkSecret, token);
    if (!claims || claims.channel !== 'email' || !UUID.test(claims.userId) || claims.scope.length === 0 || claims.scope.length > 100) return null;
    return claims;
  };
  const invalid = (request: FastifyRequest, reply: FastifyReply) => wantsHtml(request)
    ? sendPage(reply, 400, { title: 'Link not valid', paragraphs: ['This unsubscribe link is not valid. Use the link from the latest email, or contact the sender.'] })
    : sendError(reply, 400, 'invalid_token', 'the unsubscribe token is not valid');

  /** Whether the user is already out of the token's scope (no user: nothing to unsubscribe). */
  const alreadyOut = async (tx: Pick<PrismaClient, 'userEmailPreferences' | 'notificationPreference'>, c: UnsubscribeClaims): Promise<boolean> => {
    if (c.scope === 'all') return (await tx.userEmailPreferences.findUnique({ where: { userId: c.userId }, select: { optedOut: true } }))?.optedOut === true;
    const pref = await tx.notificationPreference.findUnique({ where: { userId_channel_eventType: { userId: c.userId, channel: 'email', eventType: c.scope } }, select: { enabled: true } });
    return pref?.enabled === false;
  };

  void app.register(async (links) => {
    registerFormParsers(links);
    const r = links.withTypeProvider<ZodTypeProvider>();
    const limit = links.rateLimit({ max: deps.rateLimitPerMinute ?? 60, timeWindow: '1 minute', keyGenerator: (req) => `unsubscribe:${req.ip}` });
    const params = z.object({ token: z.string().max(2_000) });

    r.get('/u/:token', {
      onRequest: limit,
      schema: {
        tags: ['email'], security: [], summary: 'The unsubscribe page: says what the link does, with a button (a GET never unsubscribes)', params, produces: ['text/html'],
        response: { 200: z.string().describe('an HTML page') },
      },
    }, async (request, reply) => {
      const claims = claimsOf(request.params.token);
      if (!claims) return invalid(request, reply);
      const page: Page = (await alreadyOut(deps.prisma, claims))
        ? { title: 'You are unsubscribed', paragraphs: [`You no longer receive ${what(claims)}.`] }
        : { title: 'Unsubscribe', paragraphs: [`Stop receiving ${what(claims)}?`], form: { button: 'Unsubscribe', fields: { 'List-Unsubscribe': ONE_CLICK } } };
      return sendPage(reply, 200, page);
    });

    r.post('/u/:token', {
      onRequest: limit,
      schema: {
        tags: ['email'], security: [],
        summary: 'One-click unsubscribe (RFC 8058): body List-Unsubscribe=One-Click, urlencoded or multipart; idempotent',
        params, consumes: ['application/x-www-form-urlencoded', 'multipart/form-data'],
        body: z.string().max(8 * 1024).optional().describe('List-Unsubscribe=One-Click'),
        response: { 200: resultView, 400: errorSchema },
      },
    }, async (request, reply) => {
      const claims = claimsOf(request.params.token);
      if (!claims) return invalid(request, reply);
      if (formField(request.headers['content-type'], request.body, 'List-Unsubscribe') !== ONE_CLICK) {
        return sendError(reply, 400, 'one_click_required', 'the body must be List-Unsubscribe=One-Click (application/x-www-form-urlencoded or multipart/form-data)');
      }
      const changed = await deps.prisma.$transaction(async (tx) => {
        const [user] = await tx.$queryRaw<{ id: string }[]>`SELECT id::text FROM users WHERE id = ${claims.userId}::uuid FOR UPDATE`;
        if (!user) return false; // the recipient was deleted: nothing left to send to
        if (await alreadyOut(tx, claims)) return false;
        const prefs = await tx.userEmailPreferences.findUnique({ where: { userId: claims.userId }, select: { emailAddress: true } });
        const message = UUID.test(claims.messageId)
          ? await tx.emailMessage.findUnique({ where: { id: claims.messageId }, select: { emailAddress: true } })
          : null;
        const address = message?.emailAddress ?? prefs?.emailAddress ?? '';
        if (claims.scope === 'all' && !prefs) await tx.userEmailPreferences.create({ data: { userId: claims.userId } });
        await recordChannelOptOut(tx, {
          channel: 'email', userId: claims.userId, address, scope: claims.scope, source: 'one_click',
          detail: `message ${claims.messageId}`.slice(0, 200), actor: null, at: deps.clock.now(),
        });
        return true;
      });
      request.log.info({ userId: claims.userId, scope: claims.scope, changed }, 'one-click unsubscribe');
      const status = changed ? 'unsubscribed' as const : 'already_unsubscribed' as const;
      if (wantsHtml(request)) return sendPage(reply, 200, { title: 'You are unsubscribed', paragraphs: [`You will no longer receive ${what(claims)}.`] });
      return { status, channel: claims.channel, scope: claims.scope };
    });
  });
}
