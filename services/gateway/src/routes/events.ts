import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient, Prisma } from '@hub/db';
import type { Bus } from '@hub/bus';
import { HEADERS, notificationEventSchema, TOPICS, type Clock, type NotificationEvent } from '@hub/contracts';
import { requireScope } from '../plugins/auth.ts';
import { sendError, type FieldError } from '../plugins/errors.ts';
import type { GatewayMetrics } from '../plugins/metrics.ts';
import { authErrors, errorSchema } from './schemas.ts';

export const eventInputSchema = notificationEventSchema.extend({
  occurredAt: notificationEventSchema.shape.occurredAt.optional(),
});

const reachSchema = z.object({
  deliveries: z.number().int().describe('subscribed channels as subscriptions stand now: one delivery each (a channel the recipient cannot use is a skipped one; with a routing policy they are tried one at a time)'),
  channels: z.array(z.string()),
  reason: z.enum(['unknown_user', 'no_subscription']).nullable().describe('why it reaches nobody: the target is no recipient, or has no active subscription to this type'),
}).describe('targeted events only: whom the event reaches; the router records its own count and reason on the event (GET /v1/events/:id)');

const acceptedSchema = z.object({
  id: z.string(),
  status: z.enum(['accepted', 'duplicate']),
  acceptedAt: z.string(),
  reach: reachSchema.optional(),
});

/** Whom a targeted event reaches, from the target's active subscription to the type. */
async function reachOf(prisma: PrismaClient, targetUserId: string, eventType: string): Promise<z.infer<typeof reachSchema>> {
  const rows = await prisma.$queryRaw<{ user_id: string; channels: string[] | null }[]>`
    SELECT u.id::text AS user_id, s.channels FROM users u
      LEFT JOIN notification_subscriptions s ON s.user_id = u.id AND s.event_type = ${eventType} AND s.active
     WHERE u.external_id = ${targetUserId}`;
  const row = rows[0];
  if (!row) return { deliveries: 0, channels: [], reason: 'unknown_user' };
  const channels = [...new Set(row.channels ?? [])];
  return { deliveries: channels.length, channels, reason: channels.length === 0 ? 'no_subscription' : null };
}

const batchResultSchema = z.object({
  id: z.string().nullable().describe('the event id (null only for a rejected event without a usable id)'),
  status: z.enum(['accepted', 'duplicate', 'conflict', 'rejected']),
  error: z.object({ code: z.string(), message: z.string(), fields: z.array(z.object({ field: z.string(), message: z.string() })).optional() })
    .optional().describe('why a conflict or rejected event was not accepted'),
});

export type EventInput = z.input<typeof eventInputSchema>;

export interface AcceptDeps {
  prisma: PrismaClient;
  bus: Bus;
  clock: Clock;
  metrics?: Pick<GatewayMetrics, 'eventsAccepted'>;
}

export interface EventRouteDeps extends AcceptDeps {
  maxBatch: number;
}

/**
 * - accepted: this call published the event (Kafka acknowledged it);
 * - duplicate: the id is already stored for the same event and published, or being
 *   published by a concurrent request (or, if that one fails, by the stranded-event sweep);
 * - conflict: the id is stored for a different event (type or recipient);
 * - unstorable: PostgreSQL refused the event's data (SQLSTATE class 22); nothing stored.
 */
export type AcceptOutcome =
  | { kind: 'accepted' | 'duplicate'; acceptedAt: Date }
  | { kind: 'conflict' }
  | { kind: 'unstorable'; message: string };

const toEvent = (input: EventInput, now: Date): NotificationEvent => {
  const parsed = eventInputSchema.parse(input);
  return { ...parsed, occurredAt: parsed.occurredAt ?? now.toISOString() };
};

/**
 * Stores an event row unless its id is already known (the idempotency key). Takes a
 * transaction client, so a caller can store an event atomically with its own change and
 * publish it with acceptEvent afterwards (the row is then the outbox).
 */
export async function storeEvent(db: Prisma.TransactionClient | PrismaClient, input: EventInput, now: Date): Promise<NotificationEvent> {
  const event = toEvent(input, now);
  await insertEvent(db, event, now);
  return event;
}

/**
 * INSERT … ON CONFLICT DO NOTHING RETURNING: the database decides which of concurrent
 * requests stored the event (a row comes back to exactly one of them). Null when the id
 * was already stored (or is being stored by a transaction that commits later).
 */
async function insertEvent(db: Prisma.TransactionClient | PrismaClient, event: NotificationEvent, now: Date): Promise<Date | null> {
  const rows = await db.$queryRaw<{ created_at: Date }[]>`
    INSERT INTO notification_events (id, event_type, target_user_id, payload, priority, scheduled_for, source, occurred_at, created_at)
    VALUES (${event.id}, ${event.type}, ${event.targetUserId ?? null}, ${JSON.stringify(event.payload)}::jsonb, ${event.priority}::event_priority,
            ${event.scheduledFor ? new Date(event.scheduledFor) : null}::timestamptz, ${event.source ?? null}, ${new Date(event.occurredAt)}::timestamptz, ${now}::timestamptz)
    ON CONFLICT (id) DO NOTHING
    RETURNING created_at`;
  return rows[0]?.created_at ?? null;
}

/** The SQLSTATE of a failed query (Prisma through @prisma/adapter-pg), by code, never by message. */
export function sqlState(err: unknown): string | undefined {
  const e = err as { code?: unknown; meta?: { code?: unknown; driverAdapterError?: { cause?: { originalCode?: unknown; code?: unknown } } } } | null;
  const cause = e?.meta?.driverAdapterError?.cause;
  const code = cause?.originalCode ?? cause?.code ?? e?.meta?.code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/** SQLSTATE class 22 (data exception: bad encoding, value out of range…): the input's fault, not an outage. */
const isDataException = (err: unknown) => sqlState(err)?.startsWith('22') ?? false;

/**
 * Accepts one event. The event id is the idempotency key: the row in notification_events
 * remembers it; a repost of a published event produces nothing. A row that was stored but
 * never published (a crash or a Kafka failure in between) is published on the repost.
 * Any number of concurrent posts of one id publish it once (see publishStored).
 */
export async function acceptEvent(deps: AcceptDeps, input: EventInput): Promise<AcceptOutcome> {
  return (await acceptEvents(deps, [input]))[0]!;
}

interface StoredHead {
  id: string;
  event_type: string;
  target_user_id: string | null;
  created_at: Date;
  publish_error: string | null;
}

/**
 * Accepts events, each on its own: an event is stored (or found stored) and published, or
 * refused (conflict, unstorable) without touching the others. Returns one outcome per input,
 * in order. Throws on an outage (database, Kafka): what was stored by then is published by a
 * repost or by the scheduler's stranded-event sweep, so a retried request loses nothing and
 * publishes nothing twice. Inputs must have distinct ids.
 */
export async function acceptEvents(deps: AcceptDeps, inputs: readonly EventInput[]): Promise<AcceptOutcome[]> {
  const now = deps.clock.now();
  const events = inputs.map((i) => toEvent(i, now));
  const outcomes: (AcceptOutcome | undefined)[] = new Array(events.length);
  const createdAt = new Map<string, Date>();
  const inserted = new Set<string>();

  // 1. Store: one INSERT per event (a refused one refuses only itself), a few at a time.
  // After an outage error the other workers stop taking events (the request fails as a whole).
  let next = 0;
  let failed = false;
  const worker = async () => {
    for (let i = next++; i < events.length && !failed; i = next++) {
      const event = events[i]!;
      try {
        const at = await insertEvent(deps.prisma, event, now);
        if (at) {
          inserted.add(event.id);
          createdAt.set(event.id, at);
        }
      } catch (err) {
        if (!isDataException(err)) {
          failed = true;
          throw err;
        }
        outcomes[i] = { kind: 'unstorable', message: 'the database cannot store this event (invalid text or value out of range)' };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(8, events.length) }, worker));

  // 2. Known ids: the same event (duplicate) or another one under its id (conflict). Read in a
  // statement of its own, so it sees rows that concurrent requests committed meanwhile.
  const known = events.filter((e, i) => !outcomes[i] && !inserted.has(e.id)).map((e) => e.id);
  if (known.length > 0) {
    const heads = await deps.prisma.$queryRaw<StoredHead[]>`
      SELECT id, event_type, target_user_id, created_at, publish_error FROM notification_events WHERE id = ANY(${known}::text[])`;
    const byId = new Map(heads.map((h) => [h.id, h]));
    events.forEach((e, i) => {
      if (outcomes[i] || inserted.has(e.id)) return;
      const head = byId.get(e.id);
      // Stored and gone again (a purge): nothing to answer for sure; the client retries.
      if (!head) throw new Error(`event ${e.id} neither stored nor found`);
      if (head.event_type !== e.type || (head.target_user_id ?? undefined) !== e.targetUserId) outcomes[i] = { kind: 'conflict' };
      // Stored before the payload bound, then refused by Kafka for good (the scheduler marked it).
      else if (head.publish_error !== null) outcomes[i] = { kind: 'unstorable', message: 'this event was stored but Kafka refused it (too large); it will not be published' };
      else createdAt.set(e.id, head.created_at);
    });
  }

  // 3. Publish what is still unpublished, once, in request order.
  const candidates = events.filter((_, i) => !outcomes[i]);
  const published = await publishStored(deps, candidates.filter((e) => inserted.has(e.id)).map((e) => e.id), candidates.filter((e) => !inserted.has(e.id)).map((e) => e.id));
  events.forEach((e, i) => {
    outcomes[i] ??= { kind: published.has(e.id) ? 'accepted' : 'duplicate', acceptedAt: createdAt.get(e.id)! };
  });
  for (const o of outcomes) deps.metrics?.eventsAccepted.inc({ outcome: o!.kind });
  return outcomes as AcceptOutcome[];
}

interface StoredEventRow {
  id: string;
  event_type: string;
  target_user_id: string | null;
  payload: Record<string, unknown>;
  priority: NotificationEvent['priority'];
  scheduled_for: Date | null;
  source: string | null;
  occurred_at: Date;
}

/**
 * Publishes the stored, still unpublished events among `mine` and `others`, each exactly once
 * however many requests (and the scheduler's sweep) try at the same time: publishing happens
 * under the row lock of the unpublished row, and `published_at` is set in that transaction.
 * - `mine`: rows this request stored. It waits for the lock (a concurrent request may be
 *   publishing the row: it then finds it published), so its answer comes after Kafka's ack.
 * - `others`: rows stored before (reposts). SKIP LOCKED: a row being published right now is
 *   someone else's to publish; one stranded by a crash or a Kafka failure is published here.
 * Rows are locked in id order (no deadlock between overlapping batches) and published in
 * the order given (per-recipient order). Returns the ids this call published.
 */
export async function publishStored(deps: Pick<AcceptDeps, 'prisma' | 'bus' | 'clock'>, mine: readonly string[], others: readonly string[] = []): Promise<Set<string>> {
  if (mine.length === 0 && others.length === 0) return new Set();
  const order = new Map([...mine, ...others].map((id, i) => [id, i]));
  return deps.prisma.$transaction(async (tx) => {
    const select = (ids: readonly string[], skipLocked: boolean) => ids.length === 0 ? Promise.resolve([]) : skipLocked
      ? tx.$queryRaw<StoredEventRow[]>`
          SELECT id, event_type, target_user_id, payload, priority::text AS priority, scheduled_for, source, occurred_at
            FROM notification_events WHERE id = ANY(${ids}::text[]) AND published_at IS NULL AND publish_error IS NULL ORDER BY id FOR UPDATE SKIP LOCKED`
      : tx.$queryRaw<StoredEventRow[]>`
          SELECT id, event_type, target_user_id, payload, priority::text AS priority, scheduled_for, source, occurred_at
            FROM notification_events WHERE id = ANY(${ids}::text[]) AND published_at IS NULL AND publish_error IS NULL ORDER BY id FOR UPDATE`;
    // Waiting first, then the non-blocking claim: a transaction waits only for rows of `mine`.
    const rows = [...await select(mine, false), ...await select(others, true)].sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    if (rows.length === 0) return new Set<string>();
    await deps.bus.publish(TOPICS.events, notificationEventSchema, rows.map((r) => ({
      key: r.target_user_id ?? r.id,
      value: {
        id: r.id,
        type: r.event_type,
        ...(r.target_user_id !== null ? { targetUserId: r.target_user_id } : {}),
        payload: r.payload,
        priority: r.priority,
        ...(r.scheduled_for ? { scheduledFor: r.scheduled_for.toISOString() } : {}),
        ...(r.source !== null ? { source: r.source } : {}),
        occurredAt: r.occurred_at.toISOString(),
      },
      headers: { [HEADERS.eventId]: r.id, [HEADERS.correlationId]: r.id, [HEADERS.source]: 'gateway' },
    })));
    const ids = rows.map((r) => r.id);
    await tx.$executeRaw`UPDATE notification_events SET published_at = ${deps.clock.now()} WHERE id = ANY(${ids}::text[])`;
    return new Set(ids);
  }, { timeout: 30_000 });
}

/** A batch element's id, when it has a usable one (for results and the duplicate-id check). */
const idOf = (raw: unknown): string | null => {
  const id = (raw as { id?: unknown } | null)?.id;
  return typeof id === 'string' ? id : null;
};

export function registerEventRoutes(app: FastifyInstance, deps: EventRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  r.post('/v1/events', {
    onRequest: requireScope(deps.prisma, 'events:write'),
    schema: {
      tags: ['events'],
      summary: 'Publish one notification event (202 once Kafka acknowledged it)',
      body: eventInputSchema,
      response: { 202: acceptedSchema, 400: errorSchema, 401: errorSchema, 403: errorSchema, 409: errorSchema },
    },
  }, async (request, reply) => {
    const outcome = await acceptEvent(deps, request.body);
    if (outcome.kind === 'conflict') return sendError(reply, 409, 'idempotency_key_reused', `event id ${request.body.id} was already used for a different event`);
    if (outcome.kind === 'unstorable') return sendError(reply, 400, 'event_unstorable', outcome.message);
    if (outcome.kind === 'duplicate') void reply.header('idempotent-replayed', 'true');
    const reach = request.body.targetUserId ? await reachOf(deps.prisma, request.body.targetUserId, request.body.type) : undefined;
    return reply.code(202).send({ id: request.body.id, status: outcome.kind, acceptedAt: outcome.acceptedAt.toISOString(), ...(reach ? { reach } : {}) });
  });

  r.post('/v1/events/batch', {
    onRequest: requireScope(deps.prisma, 'events:write'),
    schema: {
      tags: ['events'],
      summary: 'Publish up to GATEWAY_MAX_BATCH events, each on its own; each result says accepted, duplicate, conflict or rejected',
      body: z.object({
        events: z.array(z.looseObject({}).describe('an event as for POST /v1/events; one that is not valid is rejected alone')).min(1).max(deps.maxBatch),
      }),
      response: {
        202: z.object({ results: z.array(batchResultSchema) }).describe('one result per event, in request order'),
        ...authErrors,
      },
    },
  }, async (request, reply) => {
    const raw = request.body.events;
    const ids = raw.map(idOf).filter((id): id is string => id !== null);
    if (new Set(ids).size !== ids.length) return sendError(reply, 400, 'duplicate_ids', 'each event in a batch needs its own id');

    type Result = z.infer<typeof batchResultSchema>;
    const results: (Result | undefined)[] = new Array(raw.length);
    const valid: { index: number; event: EventInput }[] = [];
    raw.forEach((item, index) => {
      const parsed = eventInputSchema.safeParse(item);
      if (parsed.success) {
        valid.push({ index, event: parsed.data });
        return;
      }
      const fields: FieldError[] = parsed.error.issues.map((issue) => ({ field: ['body', 'events', String(index), ...issue.path.map(String)].join('.'), message: issue.message }));
      results[index] = { id: idOf(item), status: 'rejected', error: { code: 'validation_failed', message: 'the event is not valid', fields } };
    });
    if (valid.length < raw.length) deps.metrics?.eventsAccepted.inc({ outcome: 'rejected' }, raw.length - valid.length);

    const outcomes = valid.length > 0 ? await acceptEvents(deps, valid.map((v) => v.event)) : [];
    valid.forEach(({ index, event }, k) => {
      const o = outcomes[k]!;
      results[index] = o.kind === 'conflict'
        ? { id: event.id, status: 'conflict', error: { code: 'idempotency_key_reused', message: `event id ${event.id} was already used for a different event` } }
        : o.kind === 'unstorable'
          ? { id: event.id, status: 'rejected', error: { code: 'event_unstorable', message: o.message } }
          : { id: event.id, status: o.kind };
    });
    return reply.code(202).send({ results: results as Result[] });
  });
}
