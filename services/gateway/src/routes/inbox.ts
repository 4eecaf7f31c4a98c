import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Clock } from '@hub/contracts';
import { eventTypeSchema } from '@hub/contracts';
import type { PrismaClient } from '@hub/db';
import { Counter, type Registry } from 'prom-client';
import { sendError } from '../plugins/errors.ts';
import { inboxAuth, type InboxAuthSettings } from '../inbox/auth.ts';
import { counts, listItems, MARK_ACTIONS, markItems } from '../inbox/queries.ts';
import type { InboxStreamHub } from '../inbox/stream-hub.ts';
import { errorSchema } from './schemas.ts';
import { openEventStream } from './event-stream.ts';

/**
 * The end-user inbox API (docs/inbox.md): what an app's own front end calls for its signed-in
 * user, with the user token its backend signed — separate from the admin API (no API key is
 * accepted here, no admin route takes a user token). Every statement is scoped to the token's
 * user: another user's item id is simply not found (404).
 */

export interface InboxRouteDeps {
  prisma: PrismaClient;
  clock: Clock;
  metrics: Registry;
  auth: InboxAuthSettings;
  hub: InboxStreamHub;
}

const tags = ['inbox (end users)'];
const inboxErrors = { 400: errorSchema, 401: errorSchema, 404: errorSchema } as const;
const tokenQuery = { token: z.string().max(4_000).optional().describe('the user token, for clients that cannot send Authorization (EventSource)') };
const boolParam = z.enum(['true', 'false']).transform((v) => v === 'true');
const seqSchema = z.string().regex(/^\d{1,18}$/, 'must be an item sequence number');

const itemSchema = z.object({
  id: z.string(), seq: z.string(), eventId: z.string(), eventType: z.string(), priority: z.string(), title: z.string(), body: z.string(),
  actionUrl: z.string().nullable(), data: z.unknown(), createdAt: z.string(), seenAt: z.string().nullable(), readAt: z.string().nullable(), archivedAt: z.string().nullable(),
});
const countsSchema = z.object({ total: z.number(), unread: z.number(), unseen: z.number(), lastEventId: z.string() });

export function registerInboxRoutes(app: FastifyInstance, deps: InboxRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const onRequest = inboxAuth({ prisma: deps.prisma, clock: deps.clock, settings: deps.auth });
  const cancelled = new Counter({ name: 'hub_inbox_escalations_cancelled_total', help: 'Pending escalation steps cancelled because the end user read or archived the in-app item', registers: [deps.metrics] });
  const marked = new Counter({ name: 'hub_inbox_marks_total', help: 'Inbox items marked by end users, by action', labelNames: ['action'] as const, registers: [deps.metrics] });

  r.get('/v1/inbox/items', {
    onRequest,
    schema: {
      tags, security: [], summary: "The user's inbox, newest first (cursor pages), with the unread/unseen counts",
      description: 'Authenticated by a user token (docs/inbox.md). `lastEventId` is the resume point to open the stream with so no item is missed between the page and the stream.',
      querystring: z.object({
        ...tokenQuery,
        read: boolParam.optional(), seen: boolParam.optional(),
        archived: z.enum(['true', 'false', 'any']).default('false').describe('false: the inbox (default); true: the archive; any: both'),
        eventType: eventTypeSchema.optional(),
        cursor: seqSchema.optional().describe('nextCursor of the previous page'),
        limit: z.coerce.number().int().min(1).max(100).default(20),
      }),
      response: { 200: z.object({ items: z.array(itemSchema), nextCursor: z.string().nullable(), counts: countsSchema }), ...inboxErrors },
    },
  }, async (request) => {
    const q = request.query;
    const user = request.inboxUser!;
    const page = await listItems(deps.prisma, user.id, {
      ...(q.read !== undefined ? { read: q.read } : {}), ...(q.seen !== undefined ? { seen: q.seen } : {}),
      ...(q.archived !== 'any' ? { archived: q.archived === 'true' } : {}),
      ...(q.eventType !== undefined ? { eventType: q.eventType } : {}),
      ...(q.cursor !== undefined ? { before: BigInt(q.cursor) } : {}),
      limit: q.limit,
    });
    return { ...page, counts: await counts(deps.prisma, user.id) };
  });

  r.get('/v1/inbox/counts', {
    onRequest,
    schema: { tags, security: [], summary: 'Unread and unseen counts of the user\'s inbox', querystring: z.object(tokenQuery), response: { 200: countsSchema, ...inboxErrors } },
  }, async (request) => counts(deps.prisma, request.inboxUser!.id));

  r.post('/v1/inbox/items/:itemId/mark', {
    onRequest,
    schema: {
      tags, security: [], summary: 'Mark one item seen, read, unread, archived or unarchived (reading or archiving cancels pending escalations)',
      params: z.object({ itemId: z.uuid() }), querystring: z.object(tokenQuery),
      body: z.strictObject({ action: z.enum(MARK_ACTIONS) }),
      response: { 200: itemSchema, ...inboxErrors },
    },
  }, async (request, reply) => {
    const { action } = request.body;
    const [item] = await markItems(deps.prisma, { userId: request.inboxUser!.id, action, now: deps.clock.now(), itemId: request.params.itemId });
    if (!item) return sendError(reply, 404, 'item_not_found', 'no such item in this inbox');
    marked.inc({ action });
    cancelled.inc(item.escalationsCancelled);
    const { escalationsCancelled: _n, ...view } = item;
    return view;
  });

  r.post('/v1/inbox/mark-all', {
    onRequest,
    schema: {
      tags, security: [], summary: 'Mark every item of the inbox (optionally of one event type) seen, read or archived',
      querystring: z.object(tokenQuery),
      body: z.strictObject({ action: z.enum(['seen', 'read', 'archive']), eventType: eventTypeSchema.optional() }),
      response: { 200: z.object({ updated: z.number(), counts: countsSchema }), ...inboxErrors },
    },
  }, async (request) => {
    const user = request.inboxUser!;
    const items = await markItems(deps.prisma, { userId: user.id, action: request.body.action, now: deps.clock.now(), ...(request.body.eventType ? { eventType: request.body.eventType } : {}) });
    marked.inc({ action: request.body.action }, items.length);
    cancelled.inc(items.reduce((n, i) => n + i.escalationsCancelled, 0));
    return { updated: items.length, counts: await counts(deps.prisma, user.id) };
  });

  r.get('/v1/inbox/stream', {
    onRequest,
    schema: {
      tags, security: [], summary: 'Live stream of new items and count changes (Server-Sent Events)',
      description: 'text/event-stream: `item` events (id = the item sequence; resume with Last-Event-ID, or ?lastEventId= on the first connection), `counts` and `state` events.',
      querystring: z.object({ ...tokenQuery, lastEventId: seqSchema.optional() }),
      headers: z.object({ 'last-event-id': z.string().max(30).optional() }).passthrough(),
      response: { 200: z.string().describe('text/event-stream'), 400: errorSchema, 401: errorSchema, 404: errorSchema },
    },
  }, async (request, reply) => {
    const header = request.headers['last-event-id'];
    const resume = typeof header === 'string' && header !== '' ? header : request.query.lastEventId;
    if (resume !== undefined && !/^\d{1,18}$/.test(resume)) return sendError(reply, 400, 'invalid_last_event_id', 'Last-Event-ID must be an item sequence number');
    const user = request.inboxUser!;
    const raw = openEventStream(reply);
    const unsubscribe = deps.hub.subscribe(user.id, {
      write: (chunk) => { if (!raw.writableEnded) raw.write(chunk); },
      end: () => raw.end(),
    }, resume !== undefined ? BigInt(resume) : null);
    // The response's close: the client went away (or the gateway is closing).
    raw.on('close', unsubscribe);
  });
}
