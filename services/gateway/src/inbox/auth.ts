import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '@hub/contracts';
import type { PrismaClient } from '@hub/db';
import { sendError } from '../plugins/errors.ts';
import { verifyInboxToken, type InboxTokenKey } from './tokens.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The end user of an inbox request (from their token). */
    inboxUser?: { id: string; externalId: string };
  }
}

export interface InboxAuthSettings {
  keys: readonly InboxTokenKey[];
  maxJwtTtlSeconds: number;
}

/** The token of a request: `Authorization: Bearer <token>`, or `?token=` (EventSource cannot set headers). */
function presentedToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string' && /^bearer /i.test(header)) return header.slice(7).trim();
  const q = (request.query as Record<string, unknown> | undefined)?.token;
  return typeof q === 'string' && q.length > 0 ? q : null;
}

/**
 * onRequest hook of every end-user inbox route: a user token signed by the upstream backend
 * (HMAC or short-lived JWT, see tokens.ts) names the user; every query is scoped to that user,
 * so no request can reach another user's items. 401 without a valid token; an API key is
 * refused (401 admin_key_not_accepted): the admin API and the inbox API never share credentials.
 */
export function inboxAuth(deps: { prisma: PrismaClient; clock: Clock; settings: InboxAuthSettings }) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const token = presentedToken(request);
    if (!token) return sendError(reply, 401, 'unauthenticated', 'an inbox token is required (Authorization: Bearer <token>, or ?token= on the stream)');
    const check = verifyInboxToken(deps.settings.keys, token, deps.clock.now(), deps.settings.maxJwtTtlSeconds);
    if (!check.ok) return sendError(reply, 401, check.code, check.message);
    const user = await deps.prisma.user.findUnique({ where: { externalId: check.externalId }, select: { id: true, externalId: true } });
    if (!user) return sendError(reply, 404, 'user_not_found', 'the hub knows no such user');
    request.inboxUser = user;
  };
}
