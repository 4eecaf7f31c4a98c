import type { FastifyReply, FastifyRequest } from 'fastify';
import type { PrismaClient } from '@hub/db';
import { hasScope, keyPrefix, presentedKey, verifyApiKey, type AuthenticatedKey, type KeyCheck, type Scope } from '../api-keys.ts';
import type { VerifiedKeyCache } from '../key-cache.ts';
import { sendError } from './errors.ts';

declare module 'fastify' {
  interface FastifyRequest {
    apiKey?: AuthenticatedKey;
  }
}

const checks = new WeakMap<FastifyRequest, Promise<KeyCheck | null>>();
const caches = new WeakMap<PrismaClient, VerifiedKeyCache>();

/** Verified keys of this gateway are kept in `cache` (see key-cache.ts); without one, every request looks its key up. */
export function useKeyCache(prisma: PrismaClient, cache: VerifiedKeyCache): void {
  caches.set(prisma, cache);
}

/**
 * The verified key of a request (null when it presents none), looked up once per request:
 * the rate limiter (which runs first) and requireScope share the answer.
 */
export function authenticate(prisma: PrismaClient, request: FastifyRequest): Promise<KeyCheck | null> {
  let check = checks.get(request);
  if (!check) {
    const presented = presentedKey(request.headers);
    const cache = caches.get(prisma);
    check = !presented ? Promise.resolve(null)
      : cache ? cache.get(presented, keyPrefix(presented), () => verifyApiKey(prisma, presented))
      : verifyApiKey(prisma, presented);
    checks.set(request, check);
  }
  return check;
}

/** The scopes a route's hook requires (read by the route table). */
export const REQUIRED_SCOPES = Symbol('hub.requiredScopes');

export type ScopeHook = ((request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) & { [REQUIRED_SCOPES]: readonly Scope[] };

/**
 * An onRequest hook that requires an API key with the given scope (or any of the given
 * scopes): 401 without a key or with an unknown or revoked one, 403 without the scope.
 */
export function requireScope(prisma: PrismaClient, scope: Scope | readonly Scope[]): ScopeHook {
  const anyOf: readonly Scope[] = typeof scope === 'string' ? [scope] : scope;
  const hook = async (request: FastifyRequest, reply: FastifyReply) => {
    const check = await authenticate(prisma, request);
    if (!check) return sendError(reply, 401, 'unauthenticated', 'an API key is required (Authorization: Bearer <key>)');
    if (!check.ok) return sendError(reply, 401, check.reason === 'revoked' ? 'api_key_revoked' : 'invalid_api_key', 'the API key is not valid');
    if (!anyOf.some((s) => hasScope(check.key, s))) return sendError(reply, 403, 'insufficient_scope', `this key lacks the ${anyOf.join(' or ')} scope`);
    request.apiKey = check.key;
  };
  return Object.assign(hook, { [REQUIRED_SCOPES]: anyOf });
}

/** The scopes required by a route's onRequest hooks, or null for a public route. */
export function routeScopes(onRequest: unknown): readonly Scope[] | null {
  const hooks = Array.isArray(onRequest) ? onRequest : onRequest ? [onRequest] : [];
  for (const h of hooks) {
    const scopes = (h as Partial<ScopeHook>)[REQUIRED_SCOPES];
    if (scopes) return scopes;
  }
  return null;
}
