import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { PrismaClient, Prisma } from '@hub/db';
import type { Bus } from '@hub/bus';
import { deliveryTopic, HEADERS, type Clock, type DeliveryRequest } from '@hub/contracts';
import { checkDestinationAllowed, normalizePhone } from '@hub/sms-rules';
import { requireScope } from '../plugins/auth.ts';
import { sendError } from '../plugins/errors.ts';
import { authErrors, dbString, errorSchema, externalIdSchema, iso } from './schemas.ts';

/**
 * Ad-hoc SMS (the seeds' queue_sms_message, "Custom Messages"): one text to one known
 * recipient — or to a raw number where the operator allows it — without a subscription or
 * an event type of its own. A send is an event of type `sms.send` with id
 * `send:<idempotencyKey>` and one SMS delivery, written in one transaction with its outbox
 * job (scheduled_jobs, due now): the scheduler publishes the delivery request and the
 * sms-adapter decides it like any other — opt-out, verification (not for raw numbers),
 * allow-list, quiet hours unless urgent, daily cap, per-user rate limits — and tracks it
 * (sms_messages, status callbacks, GET /v1/deliveries/:id).
 */

export const SEND_EVENT_TYPE = 'sms.send';
export const SEND_ID_PREFIX = 'send:';
/** External id of the recipient a raw-number send creates: `phone:<E.164>`. */
export const RAW_NUMBER_USER_PREFIX = 'phone:';

export interface SendRouteDeps {
  prisma: PrismaClient;
  bus: Bus;
  clock: Clock;
  allowRawNumbers: boolean;
  allowedCountries: readonly string[];
}

const sendBody = z.strictObject({
  idempotencyKey: z.string().min(1).max(120).regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
    .describe('the caller\'s key: a repost with the same key and body is answered "duplicate" and sends nothing'),
  userId: externalIdSchema.optional().describe('a known recipient (users.external_id); exactly one of userId and to'),
  to: z.string().min(1).max(64).optional().describe('a raw phone number (any form normalizePhone accepts); only with GATEWAY_SENDS_ALLOW_RAW_NUMBERS=true'),
  text: z.string().min(1).max(1_600).refine((t) => t.trim() !== '', 'must not be blank').optional().describe('the message; exactly one of text and templateKey'),
  templateKey: dbString('sms_templates.template_key').min(1).optional().describe('an active SMS template rendered with vars'),
  vars: z.record(z.string().max(100), z.union([z.string().max(1_000), z.number(), z.boolean(), z.null()])).optional(),
  priority: z.enum(['low', 'normal', 'high', 'urgent']).default('normal').describe('urgent bypasses quiet hours'),
}).describe('exactly one of userId and to, and one of text and templateKey (else 400 invalid_send naming the fields)');

/** The choices a schema cannot express field by field: which recipient, which words. */
function shapeProblems(b: SendBody): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  if ((b.userId === undefined) === (b.to === undefined)) problems.push({ field: 'body.userId', message: 'exactly one of userId and to' });
  if ((b.text === undefined) === (b.templateKey === undefined)) problems.push({ field: 'body.text', message: 'exactly one of text and templateKey' });
  if (b.vars !== undefined && b.templateKey === undefined) problems.push({ field: 'body.vars', message: 'vars go with templateKey' });
  return problems;
}

const sendView = z.object({
  id: z.string().describe('the event id: send:<idempotencyKey>'),
  status: z.enum(['accepted', 'duplicate']),
  deliveryId: z.string(),
  acceptedAt: z.string(),
});

const sendDetail = z.object({
  id: z.string(),
  deliveryId: z.string().nullable(),
  userId: z.string().nullable(),
  deliveryStatus: z.string().nullable(),
  skipReason: z.string().nullable(),
  lastErrorCode: z.string().nullable(),
  createdAt: z.string(),
  sentAt: z.string().nullable(),
  deliveredAt: z.string().nullable(),
});

type SendBody = z.output<typeof sendBody>;

export function registerSendRoutes(app: FastifyInstance, deps: SendRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const write = requireScope(deps.prisma, 'events:write');
  const read = requireScope(deps.prisma, 'admin:read');

  r.post('/v1/sends', {
    onRequest: write,
    schema: {
      tags: ['sends'],
      summary: 'Send one ad-hoc SMS to a recipient (or a raw number, where allowed), through the same rules and tracking as events',
      body: sendBody,
      response: { 202: sendView, 404: errorSchema, 409: errorSchema, 422: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const body = request.body;
    const problems = shapeProblems(body);
    if (problems.length > 0) return sendError(reply, 400, 'invalid_send', problems.map((p) => p.message).join('; '), { fields: problems });
    const now = deps.clock.now();
    let userId: string;
    let externalId: string;
    let phone: string | null;
    if (body.to !== undefined) {
      if (!deps.allowRawNumbers) return sendError(reply, 422, 'raw_numbers_not_allowed', 'this hub sends only to known recipients (GATEWAY_SENDS_ALLOW_RAW_NUMBERS is off)');
      const parsed = normalizePhone(body.to);
      if (!parsed.ok) return sendError(reply, 400, 'invalid_phone', parsed.error.message, { fields: [{ field: 'body.to', message: parsed.error.message }] });
      const destination = checkDestinationAllowed(parsed.e164, deps.allowedCountries);
      if (!destination.allowed) return sendError(reply, 422, 'country_not_allowed', `SMS to ${destination.country ?? 'this number'} is not allowed (SMS_ALLOWED_COUNTRIES)`);
      phone = parsed.e164;
      externalId = `${RAW_NUMBER_USER_PREFIX}${phone}`;
      userId = await rawNumberRecipient(deps.prisma, app, externalId, phone);
    } else {
      const user = await deps.prisma.user.findUnique({ where: { externalId: body.userId! }, include: { smsPreferences: true } });
      if (!user) return sendError(reply, 404, 'user_not_found', 'no such user');
      userId = user.id;
      externalId = user.externalId;
      phone = user.smsPreferences?.phoneNumber ?? null;
    }
    const outcome = await storeSend(deps, { id: `${SEND_ID_PREFIX}${body.idempotencyKey}`, userId, externalId, phone, body, now });
    if (outcome.kind === 'conflict') return sendError(reply, 409, 'idempotency_conflict', 'this idempotencyKey was used for a different send');
    return reply.code(202).send({ id: outcome.id, status: outcome.kind, deliveryId: outcome.deliveryId, acceptedAt: outcome.acceptedAt.toISOString() });
  });

  r.get('/v1/sends/:idempotencyKey', {
    onRequest: read,
    schema: {
      tags: ['sends'], summary: 'An ad-hoc send and the state of its delivery',
      params: z.object({ idempotencyKey: z.string().min(1).max(120) }),
      response: { 200: sendDetail, 404: errorSchema, ...authErrors },
    },
  }, async (request, reply) => {
    const id = `${SEND_ID_PREFIX}${request.params.idempotencyKey}`;
    const event = await deps.prisma.notificationEvent.findUnique({ where: { id }, include: { deliveries: { where: { channel: 'sms' }, take: 1 } } });
    if (!event || event.eventType !== SEND_EVENT_TYPE) return sendError(reply, 404, 'send_not_found', 'no send with this idempotencyKey');
    const d = event.deliveries[0] ?? null;
    return {
      id, deliveryId: d?.id ?? null, userId: event.targetUserId, deliveryStatus: d?.status ?? null, skipReason: d?.skipReason ?? null,
      lastErrorCode: d?.lastErrorCode ?? null, createdAt: event.createdAt.toISOString(), sentAt: iso(d?.sentAt), deliveredAt: iso(d?.deliveredAt),
    };
  });
}

/**
 * The recipient standing for a raw number: `phone:<E.164>`, with that number unverified (the
 * hub never verified it; one verified owner per number is untouched) and opted out when any
 * holder of the number opted out. Its quiet hours are the recipient defaults, in UTC.
 */
async function rawNumberRecipient(prisma: PrismaClient, app: FastifyInstance, externalId: string, phone: string): Promise<string> {
  const user = await prisma.user.upsert({ where: { externalId }, create: { externalId }, update: {}, select: { id: true } });
  const optedOut = await prisma.userSmsPreferences.findFirst({ where: { phoneNumber: phone, optedOut: true }, select: { id: true } });
  const d = app.recipientDefaults;
  await prisma.userSmsPreferences.upsert({
    where: { userId: user.id },
    create: { userId: user.id, phoneNumber: phone, quietHoursStart: d.quietHoursStart, quietHoursEnd: d.quietHoursEnd, optedOut: optedOut !== null, optedOutAt: optedOut ? new Date() : null, ...(optedOut ? { optOutReason: 'number_opted_out' } : {}) },
    update: {},
  });
  return user.id;
}

type StoreOutcome = { kind: 'accepted' | 'duplicate'; id: string; deliveryId: string; acceptedAt: Date } | { kind: 'conflict' };

/** The payload the adapter composes from (services/sms-adapter compose.ts reads `send`). */
function sendPayload(body: SendBody, raw: boolean): Prisma.InputJsonObject {
  return {
    send: {
      ...(body.text !== undefined ? { text: body.text } : { templateKey: body.templateKey!, vars: body.vars ?? {} }),
      rawNumber: raw,
    },
  };
}

async function storeSend(deps: SendRouteDeps, a: { id: string; userId: string; externalId: string; phone: string | null; body: SendBody; now: Date }): Promise<StoreOutcome> {
  const payload = JSON.stringify(sendPayload(a.body, a.body.to !== undefined));
  const topic = deps.bus.topic(deliveryTopic('sms'));
  return deps.prisma.$transaction(async (tx) => {
    // published_at and routed_at are set: the event is never published to the events topic
    // (the router has nothing to fan out) and the stranded-event sweep leaves it alone.
    const inserted = await tx.$queryRaw<{ created_at: Date }[]>`
      INSERT INTO notification_events (id, event_type, target_user_id, payload, priority, source, occurred_at, created_at, published_at, routed_at)
      VALUES (${a.id}, ${SEND_EVENT_TYPE}, ${a.externalId}, ${payload}::jsonb, ${a.body.priority}::event_priority, 'sends-api', ${a.now}, ${a.now}, ${a.now}, ${a.now})
      ON CONFLICT (id) DO NOTHING
      RETURNING created_at`;
    if (inserted.length === 0) {
      const [stored] = await tx.$queryRaw<{ same: boolean; created_at: Date; delivery_id: string | null }[]>`
        SELECT (e.event_type = ${SEND_EVENT_TYPE} AND e.target_user_id = ${a.externalId} AND e.payload = ${payload}::jsonb AND e.priority = ${a.body.priority}::event_priority) AS same,
               e.created_at, (SELECT d.id::text FROM notification_deliveries d WHERE d.event_id = e.id AND d.channel = 'sms' LIMIT 1) AS delivery_id
          FROM notification_events e WHERE e.id = ${a.id}`;
      if (!stored || !stored.same || !stored.delivery_id) return { kind: 'conflict' as const };
      return { kind: 'duplicate' as const, id: a.id, deliveryId: stored.delivery_id, acceptedAt: stored.created_at };
    }
    const delivery = await tx.notificationDelivery.create({
      data: { eventId: a.id, userId: a.userId, channel: 'sms', channelIdentifier: a.phone, status: 'pending' },
      select: { id: true },
    });
    const request: DeliveryRequest = {
      deliveryId: delivery.id, eventId: a.id, userId: a.userId, channel: 'sms', eventType: SEND_EVENT_TYPE,
      priority: a.body.priority, reason: 'new', requestedAt: a.now.toISOString(),
    };
    await tx.scheduledJob.create({
      data: {
        kind: 'adhoc_send', dueAt: a.now, topic, key: a.userId, payload: request as unknown as Prisma.InputJsonObject,
        headers: { [HEADERS.deliveryId]: delivery.id, [HEADERS.eventId]: a.id, [HEADERS.correlationId]: a.id },
        refId: delivery.id, dedupeKey: `send:${delivery.id}`,
      },
    });
    return { kind: 'accepted' as const, id: a.id, deliveryId: delivery.id, acceptedAt: inserted[0]!.created_at };
  });
}
