import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_JSON_DEPTH, walkUnstorable, type UnstorableProblem } from '@hub/contracts';
import { sendError, type FieldError } from './errors.ts';

/**
 * The gateway's edge guard: one preValidation hook, on every route, that walks the raw
 * params, query string and JSON body before zod and before any handler (hence any
 * database or Kafka access) sees them, and refuses what PostgreSQL, Kafka or our own
 * recursive code cannot take, whatever the route's schema says:
 *
 * - a NUL character (U+0000) in any string or object key (PostgreSQL text and jsonb refuse it);
 * - a lone UTF-16 surrogate (jsonb refuses the escape; Node would turn it into U+FFFD);
 * - objects/arrays nested deeper than `maxDepth` levels, counting the body itself (1e400
 *   style numbers that JSON.parse turns into Infinity are refused too: jsonb would store null);
 * - per route, a JSON field whose serialized size exceeds a bound (an event's payload, so the
 *   Kafka message always fits the broker's max message size) → 413 `payload_too_large`.
 *
 * Everything else is the route schemas' job (types, string lengths, date ranges).
 */

export interface BoundedField {
  /** Path inside the body; '*' matches every index of an array (e.g. ['events', '*', 'payload']). */
  path: readonly string[];
  /** Maximum UTF-8 bytes of JSON.stringify(value). */
  maxBytes: number;
}

export interface InputGuardOptions {
  /** Maximum nesting of objects/arrays in params, query or body (default MAX_JSON_DEPTH = 32). */
  maxDepth?: number;
  /** Size-bounded body fields by route, keyed "METHOD /route/:pattern". */
  bounded?: Record<string, readonly BoundedField[]>;
}

/** At most this many problems are reported per request (the walk stops there). */
export const MAX_REPORTED_PROBLEMS = 20;

const MESSAGES: Record<Exclude<UnstorableProblem, 'too_deep'>, string> = {
  nul_character: 'must not contain NUL characters (U+0000)',
  lone_surrogate: 'must not contain unpaired UTF-16 surrogates',
};
const NON_FINITE = 'number out of range';

/**
 * Every problem in one parsed input value (params, query or body), each named by its dotted
 * path under `root` ("body.payload.items.3.name"), at most MAX_REPORTED_PROBLEMS of them
 * (walkUnstorable: the same rule the bus applies to Kafka messages).
 */
export function inspectInput(value: unknown, root: string, maxDepth = MAX_JSON_DEPTH): FieldError[] {
  return walkUnstorable(value, { maxDepth, limit: MAX_REPORTED_PROBLEMS }).map((u) => ({
    field: [root, ...u.path].filter(Boolean).join('.'),
    message: u.problem === 'too_deep' ? `nested deeper than ${maxDepth} levels of objects/arrays`
      : u.problem === 'non_finite_number' ? NON_FINITE
      : `${u.inKey ? 'key ' : ''}${MESSAGES[u.problem]}`,
  }));
}

/** UTF-8 size of a JSON value as it is stored and published. */
export function serializedBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '', 'utf8');
}

/** Fields of `body` at `path` ('*' = each array element) larger than maxBytes, with their paths. */
export function oversizedFields(body: unknown, field: BoundedField, root = 'body'): FieldError[] {
  const out: FieldError[] = [];
  const visit = (v: unknown, rest: readonly string[], path: string) => {
    if (rest.length === 0) {
      if (v !== undefined && serializedBytes(v) > field.maxBytes) out.push({ field: path, message: `must be at most ${field.maxBytes} bytes serialized as JSON` });
      return;
    }
    if (v === null || typeof v !== 'object') return;
    const [head, ...tail] = rest as [string, ...string[]];
    if (head === '*') {
      if (Array.isArray(v)) v.forEach((item, i) => visit(item, tail, `${path}.${i}`));
      return;
    }
    if (Object.hasOwn(v, head)) visit((v as Record<string, unknown>)[head], tail, `${path}.${head}`);
  };
  visit(body, field.path, root);
  return out;
}

/**
 * Checks one request's raw input; returns the reply sent when it is refused, else undefined.
 * Exported for tests; registerInputGuard runs it as the app's preValidation hook.
 */
export function guardRequest(request: FastifyRequest, reply: FastifyReply, options: InputGuardOptions = {}): FastifyReply | undefined {
  const maxDepth = options.maxDepth ?? MAX_JSON_DEPTH;
  const problems = [
    ...inspectInput(request.params, 'params', maxDepth),
    ...inspectInput(request.query, 'querystring', maxDepth),
    ...inspectInput(request.body, 'body', maxDepth),
  ].slice(0, MAX_REPORTED_PROBLEMS);
  if (problems.length > 0) return sendError(reply, 400, 'validation_failed', 'the request is not valid', { fields: problems });
  const bounded = options.bounded?.[`${request.method} ${request.routeOptions.url ?? ''}`];
  if (bounded) {
    const big = bounded.flatMap((f) => oversizedFields(request.body, f));
    if (big.length > 0) return sendError(reply, 413, 'payload_too_large', big.map((b) => `${b.field} ${b.message}`).join('; '), { fields: big });
  }
  return undefined;
}

/** Registers the guard on every route of `app` (call before the routes are registered). */
export function registerInputGuard(app: FastifyInstance, options: InputGuardOptions = {}): void {
  app.addHook('preValidation', async (request, reply) => {
    if (request.is404) return; // unknown routes answer 404, whatever they carry
    const refused = guardRequest(request, reply, options);
    if (refused) return refused;
  });
}
