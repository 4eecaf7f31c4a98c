import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { MAX_JSON_DEPTH, stringProblem, type UnstorableProblem } from '@hub/contracts';
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

const LONE_SURROGATES = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/** A path segment made printable (keys may themselves be the problem). */
const segment = (k: string) => k.replaceAll('\u0000', '?').replace(LONE_SURROGATES, '?');

/**
 * Every problem in one parsed input value (params, query or body), each named by its dotted
 * path under `root` ("body.payload.items.3.name"). Iterative (a value nested 100,000 deep is
 * reported, not a stack overflow) and stops after MAX_REPORTED_PROBLEMS.
 */
export function inspectInput(value: unknown, root: string, maxDepth = MAX_JSON_DEPTH): FieldError[] {
  const problems: FieldError[] = [];
  const tooDeep = `nested deeper than ${maxDepth} levels of objects/arrays`;
  // Depth of the root value is 0: an object there may hold objects down to depth maxDepth - 1.
  const stack: { v: unknown; path: string; depth: number }[] = [{ v: value, path: root, depth: 0 }];
  while (stack.length > 0 && problems.length < MAX_REPORTED_PROBLEMS) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = stringProblem(v);
      if (problem && problem !== 'too_deep') problems.push({ field: path, message: MESSAGES[problem] });
      continue;
    }
    if (typeof v === 'number') {
      if (!Number.isFinite(v)) problems.push({ field: path, message: NON_FINITE });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) {
      problems.push({ field: path, message: tooDeep });
      continue;
    }
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((item, i) => [String(i), item]) : Object.entries(v);
    // Pushed in reverse so that problems come out in document order.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, item] = entries[i]!;
      const child = path ? `${path}.${segment(k)}` : segment(k);
      const keyProblem = Array.isArray(v) ? null : stringProblem(k);
      if (keyProblem && keyProblem !== 'too_deep') {
        problems.push({ field: child, message: `key ${MESSAGES[keyProblem]}` });
        continue;
      }
      stack.push({ v: item, path: child, depth: depth + 1 });
    }
  }
  return problems.slice(0, MAX_REPORTED_PROBLEMS);
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
