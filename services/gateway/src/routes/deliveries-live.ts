import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient } from '@hub/db';
import type { DeliveryFeed } from '../live/delivery-feed.ts';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { authErrors, errorSchema } from './schemas.ts';
import { openEventStream } from './event-stream.ts';

/**
 * GET /v1/deliveries/live: the console's live stream (Server-Sent Events over a plain
 * response, read with fetch so the API key travels in the Authorization header like every
 * admin call — never in the URL). Fed by the process's one DeliveryFeed. A stream is closed
 * after `maxStreamMs` (default 10 min): the client reconnects with Last-Event-ID, which
 * authenticates the key again (a revoked key's stream ends within that time).
 */

export interface LiveRouteDeps { prisma: PrismaClient; feed: DeliveryFeed; maxStreamMs?: number }

export function registerDeliveriesLiveRoute(app: FastifyInstance, deps: LiveRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.get('/v1/deliveries/live', {
    onRequest: requireScope(deps.prisma, 'admin:read'),
    schema: {
      tags: ['deliveries'],
      summary: 'Live stream of delivery changes (Server-Sent Events) for the console',
      description: [
        'text/event-stream (send `Accept: text/event-stream`; anything else gets 406). Events:',
        '`delivery` (data: the delivery as GET /v1/deliveries lists it, after each change; id = its updatedAt in ms — resume with Last-Event-ID),',
        '`timeline` (data: {deliveryId, channel}: a new SMS/email status entry, re-read the delivery), `reset` (changes were missed: reload the view).',
        'Comments `: keep-alive` every 15 s. A stream lasts at most 10 minutes, then reconnect with Last-Event-ID. At most 50 streams per gateway process (503 too_many_streams).',
      ].join(' '),
      headers: z.object({
        accept: z.string().max(500).optional(),
        'last-event-id': z.string().max(20).optional().describe('the id of the last event received (ms since the epoch)'),
      }).passthrough(),
      response: { 200: z.string().describe('text/event-stream'), 406: errorSchema, 503: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    if (!/\btext\/event-stream\b/.test(request.headers.accept ?? '')) return sendError(reply, 406, 'not_acceptable', 'this is a text/event-stream: send Accept: text/event-stream');
    const header = request.headers['last-event-id'];
    if (header !== undefined && header !== '' && !/^\d{1,15}$/.test(header)) return sendError(reply, 400, 'invalid_last_event_id', 'Last-Event-ID must be an event id of this stream (milliseconds since the epoch)');
    if (deps.feed.full) return sendError(reply, 503, 'too_many_streams', 'this gateway has as many live streams open as it allows; try again later');
    const raw = openEventStream(reply);
    const conn = {
      write: (chunk: string) => { if (!raw.writableEnded && !raw.destroyed) raw.write(chunk); },
      end: () => { if (!raw.writableEnded) raw.end(); },
    };
    const unsubscribe = deps.feed.subscribe(conn, header ? Number(header) : null);
    const lifetime = setTimeout(() => conn.end(), deps.maxStreamMs ?? 10 * 60_000);
    lifetime.unref();
    raw.on('close', () => {
      clearTimeout(lifetime);
      unsubscribe();
    });
  });
}
