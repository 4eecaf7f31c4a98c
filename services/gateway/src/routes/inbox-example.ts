import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../plugins/errors.ts';

/**
 * The embeddable inbox client example (examples/inbox), served at /inbox-example so it talks
 * to this gateway from the same origin: open /inbox-example?token=<user token>.
 */
const DIR = new URL('../../../../examples/inbox/', import.meta.url);
const CSP = "default-src 'none'; script-src 'self' 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'";

export function registerInboxExampleRoutes(app: FastifyInstance): void {
  // A build that ships without examples/ (a slim image) answers 404 here; nothing else depends on it.
  const read = (name: string) => {
    try {
      return readFileSync(fileURLToPath(new URL(name, DIR)), 'utf8');
    } catch {
      return null;
    }
  };
  const html = read('index.html');
  const js = read('inbox.js');
  app.get('/inbox-example', { schema: { hide: true } as object }, async (_req, reply) =>
    html === null ? sendError(reply, 404, 'not_found', 'the inbox example is not part of this build')
      : reply.type('text/html; charset=utf-8').header('content-security-policy', CSP).header('cache-control', 'no-cache').send(html));
  app.get('/inbox-example/inbox.js', { schema: { hide: true } as object }, async (_req, reply) =>
    js === null ? sendError(reply, 404, 'not_found', 'the inbox example is not part of this build')
      : reply.type('text/javascript; charset=utf-8').header('cache-control', 'no-cache').send(js));
}
