import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';

export interface FieldError {
  field: string;
  message: string;
}

export function sendError(reply: FastifyReply, status: number, code: string, message: string, details?: { fields?: FieldError[]; [k: string]: unknown }) {
  return reply.code(status).send({ error: { code, message, ...(details ?? {}) } });
}

/** One boundary error handler: machine-readable 4xx bodies, 5xx details hidden. */
export function registerErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(err)) {
      const fields = err.validation.map((v) => ({
        field: [err.validationContext ?? 'body', ...v.instancePath.split('/').filter(Boolean)].join('.'),
        message: v.message ?? 'invalid',
      }));
      return sendError(reply, 400, 'validation_failed', 'the request is not valid', { fields });
    }
    if (err.statusCode === 413) return sendError(reply, 413, 'body_too_large', 'the request body is too large');
    if (err.statusCode === 415) return sendError(reply, 415, 'unsupported_media_type', 'send application/json');
    if (err.statusCode === 429) return sendError(reply, 429, 'rate_limited', err.message);
    if (err.code?.startsWith('FST_ERR_CTP_INVALID_JSON') || err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return sendError(reply, 400, 'invalid_json', 'the body is not valid JSON');
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) {
      return sendError(reply, err.statusCode, err.code ? err.code.toLowerCase() : 'bad_request', err.message);
    }
    request.log.error({ err }, 'request failed');
    return sendError(reply, 503, 'unavailable', 'the hub could not complete the request; retry later');
  });
  app.setNotFoundHandler((request, reply) => sendError(reply, 404, 'not_found', `no route ${request.method} ${request.url.split('?')[0]}`));
}
