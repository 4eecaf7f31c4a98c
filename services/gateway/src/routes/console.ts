import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { CONSOLE_CSP, loadConsole, type ConsoleAsset } from '@hub/console';
import { sendError } from '../plugins/errors.ts';

/**
 * The admin console (packages/console, docs/console.md): static files, public like /docs
 * (the page holds no data; every figure comes from the admin API with the key the user
 * pastes) and hidden from the OpenAPI document. Built by esbuild on the first request and
 * kept for the process. These routes alone carry a Content-Security-Policy (helmet's is off
 * globally): scripts from this origin only, never inline.
 */
export function registerConsoleRoutes(app: FastifyInstance): void {
  const serve = async (name: string, request: FastifyRequest, reply: FastifyReply) => {
    let file: ConsoleAsset | undefined;
    try {
      file = (await loadConsole()).assets.get(name);
    } catch (err) {
      request.log.error({ err }, 'the console could not be built');
      return sendError(reply, 503, 'console_unavailable', 'the console could not be built (see the gateway log)');
    }
    if (!file) return sendError(reply, 404, 'not_found', 'no such console file');
    reply.header('content-security-policy', CONSOLE_CSP).header('etag', file.etag).header('vary', 'accept-encoding').type(file.type)
      // index.html names the current bundle; the bundle's files are named by their hash.
      .header('cache-control', name === 'index.html' ? 'no-cache' : 'public, max-age=31536000, immutable');
    if (request.headers['if-none-match'] === file.etag) return reply.code(304).send();
    if (/\bgzip\b/.test(String(request.headers['accept-encoding'] ?? ''))) return reply.header('content-encoding', 'gzip').send(file.gzip);
    return reply.send(file.body);
  };
  app.get('/console', { schema: { hide: true } as object }, (request, reply) => serve('index.html', request, reply));
  app.get<{ Params: { file: string } }>('/console/:file', { schema: { hide: true } as object }, (request, reply) => serve(request.params.file, request, reply));
}
