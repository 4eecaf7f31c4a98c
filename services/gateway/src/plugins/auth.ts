import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PrismaClient } from '@hub/db';
import { hasScope, presentedKey, verifyApiKey, type AuthenticatedKey, type Scope } from '../api-keys.ts';
import { sendError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: AuthenticatedKey;
  }
}

/** A preHandler that requires an API key with the given scope: 401 without one, 403 without the scope. */
export function requireScope(prisma: PrismaClient, scope: Scope) {
  return async (request: FastifyRequest, reply: FastifyReply) => {
    const presented = presentedKey(request.headers);
    if (!presented) return sendError(reply, 401, 'unauthenticated', 'an API key is required (Authorization: Bearer <key>)');
    const check = await verifyApiKey(prisma, presented);
    if (!check.ok) return sendError(reply, 401, check.reason === 'revoked' ? 'api_key_revoked' : 'invalid_api_key', 'the API key is not valid');
    if (!hasScope(check.key, scope)) return sendError(reply, 403, 'insufficient_scope', `this key lacks the ${scope} scope`);
    request.apiKey = check.key;
  };
}
