import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

export interface FieldError {
  field: string;
  message: string;
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string, details?: { fields?: FieldError[]; [k: string]: unknown }) {
  return reply.code(status).send({ error: { code, message, ...(details ?? {}) } });
}

export const UNAVAILABLE_MESSAGE = 'the hub could not complete the request; retry later';

/**
 * Fastify's own request errors (FST_ERR_*) as stable, lower-case hub codes. Anything a
 * client can cause is a 4xx here; the rest (setup, serialization, hook timeouts) is a 5xx.
 */
export const FRAMEWORK_ERRORS: Readonly<Record<string, { status: number; code: string; message: string }>> = {
  FST_ERR_BAD_URL: { status: 400, code: 'invalid_url', message: 'the URL is not validly percent-encoded' },
  FST_ERR_MAX_PARAM_LENGTH: { status: 414, code: 'param_too_long', message: 'a path parameter is too long' },
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'body_too_large', message: 'the request body is too large' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { status: 415, code: 'unsupported_media_type', message: 'send application/json' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'invalid_content_length', message: 'the Content-Length does not match the body' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'invalid_json', message: 'the body is not valid JSON' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'invalid_json', message: 'the body is not valid JSON' },
  FST_ERR_VALIDATION: { status: 400, code: 'validation_failed', message: 'the request is not valid' },
  FST_ERR_NOT_FOUND: { status: 404, code: 'not_found', message: 'no such route' },
};

/** A hub code for a 4xx without a known code (from its status). */
const STATUS_CODE_NAMES: Readonly<Record<number, string>> = {
  400: 'bad_request', 401: 'unauthenticated', 403: 'forbidden', 404: 'not_found', 405: 'method_not_allowed',
  406: 'not_acceptable', 408: 'request_timeout', 409: 'conflict', 411: 'length_required', 413: 'body_too_large',
  414: 'uri_too_long', 415: 'unsupported_media_type', 422: 'unprocessable', 429: 'rate_limited', 431: 'headers_too_large',
};

/** What one caught error answers: a 4xx the client caused, else 503 with no detail. */
export interface ErrorAnswer {
  status: number;
  code: string;
  message: string;
  fields?: FieldError[];
  /** True for a 5xx: logged with its cause, answered without it. */
  internal: boolean;
}

const unavailable: ErrorAnswer = { status: 503, code: 'unavailable', message: UNAVAILABLE_MESSAGE, internal: true };

const prop = (v: unknown, key: string): unknown => (v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[key] : undefined);

/**
 * Classifies anything thrown (an Error, a kafkajs error with a numeric code, a string,
 * undefined…) without ever throwing itself. Pure: the unit tests call it directly.
 */
export function classifyError(err: unknown): ErrorAnswer {
  try {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const context = typeof err.validationContext === 'string' ? err.validationContext : 'body';
      const fields = err.validation.map((v) => ({
        field: [context, ...String(v.instancePath ?? '').split('/').filter(Boolean)].join('.'),
        message: typeof v.message === 'string' ? v.message : 'invalid',
      }));
      return { status: 400, code: 'validation_failed', message: 'the request is not valid', fields, internal: false };
    }
    const code = prop(err, 'code');
    const known = typeof code === 'string' ? FRAMEWORK_ERRORS[code] : undefined;
    if (known) return { ...known, internal: known.status >= 500 };
    // Only Fastify's / http-errors' `statusCode`: a provider error's `status` (Twilio's 401
    // for our credentials) is our outage, not the client's mistake.
    const rawStatus = prop(err, 'statusCode');
    const status = typeof rawStatus === 'number' && Number.isInteger(rawStatus) ? rawStatus : undefined;
    if (status !== undefined && status >= 400 && status < 500) {
      const message = prop(err, 'message');
      // secure-json-parse's refusals (__proto__ / constructor.prototype keys) carry no code.
      if (status === 400 && err instanceof SyntaxError) return { status, code: 'invalid_json', message: 'the body is not valid JSON', internal: false };
      if (status === 429) return { status, code: 'rate_limited', message: typeof message === 'string' ? message.slice(0, 300) : 'too many requests', internal: false };
      // Other FST_ERR_* 4xx (future Fastify versions) get a stable lower-case code from their name.
      const hubCode = typeof code === 'string' && /^FST_ERR_[A-Z0-9_]+$/.test(code)
        ? code.slice('FST_ERR_'.length).toLowerCase()
        : STATUS_CODE_NAMES[status] ?? 'bad_request';
      return { status, code: hubCode, message: typeof message === 'string' && message ? message.slice(0, 300) : (STATUS_CODES[status] ?? 'bad request'), internal: false };
    }
    return unavailable;
  } catch {
    return unavailable;
  }
}

/** Answers with a hub-shaped error, whatever was thrown; never throws. */
function answer(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  const a = classifyError(err);
  if (a.internal) {
    try {
      request.log.error({ err }, 'request failed');
    } catch {
      // a logger that cannot serialize the error must not turn a 503 into a crash
    }
  }
  return sendError(reply, a.status, a.code, a.message, a.fields ? { fields: a.fields } : undefined);
}

/**
 * Fastify's `frameworkErrors` option: the router's refusals (bad percent-encoding, an
 * over-long path parameter, a failed async constraint) in the hub's error shape.
 */
export function frameworkErrorHandler(err: unknown, request: FastifyRequest, reply: FastifyReply) {
  return answer(err, request, reply);
}

/**
 * Fastify's `clientErrorHandler` option: HTTP the parser refuses (a bad request line, a
 * header with NUL) never reaches a route; answer 400 in the hub's shape and close.
 */
export function clientErrorHandler(err: NodeJS.ErrnoException, socket: Socket): void {
  if (err.code === 'ECONNRESET' || !socket.writable) return;
  const tooLarge = err.code === 'HPE_HEADER_OVERFLOW';
  const status = tooLarge ? 431 : 400;
  const body = JSON.stringify({ error: tooLarge
    ? { code: 'headers_too_large', message: 'the request headers are too large' }
    : { code: 'bad_request', message: 'the request is not valid HTTP' } });
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
}

/** One boundary error handler: machine-readable 4xx bodies, 5xx details hidden. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: unknown, request, reply) => answer(err, request, reply));
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]!.slice(0, 300)}`));
}
