import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Bus } from '@hub/bus';
import type { PrismaClient } from '@hub/db';
import { HEADERS, INBOUND_SMS_LIMITS, inboundSmsSchema, SMS_STATUS_LIMITS, smsStatusSchema, TOPICS, type Clock } from '@hub/contracts';
import { classifyKeyword } from '@hub/sms-rules';
import type { Counter } from 'prom-client';
import { normalizeText, parseAddress, type NormalizedText } from './normalize.ts';
import { createReplayCheck } from './replay-check.ts';
import { field, isValidTwilioSignature, toFormParams, type FormParams } from './signature.ts';

export interface WebhookDeps {
  bus: Bus;
  clock: Clock;
  /** For the replay check before publishing a status (optional: without it every callback is published). */
  prisma?: PrismaClient;
  authToken: string;
  publicUrl: string;
  helpText: string;
  rejections: Counter<'route' | 'reason'>;
  received: Counter<'route'>;
  /** Signed requests answered 2xx without being published: nothing in them can be used. */
  unusable: Counter<'route' | 'reason'>;
  /** Fields changed to fit the topic schema and the columns (NUL, lone surrogate, length). */
  normalised: Counter<'route' | 'field' | 'fix'>;
  /** Status callbacks already applied (same message, sid and status) and not published again. */
  replays: Counter<'route'>;
}

const midSchema = z.uuid();
/** How long the replay check may hold a callback; past it, the callback is published (the DB dedupes). */
const REPLAY_CHECK_TIMEOUT_MS = 250;

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

function twiml(message?: string): string {
  const body = message ? `<Message>${escapeXml(message)}</Message>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;
}

/**
 * Twilio webhooks: check the signature, publish to Kafka, answer at once. The database is
 * updated by this service's consumers, in order, off the request path.
 *
 * Once the signature is valid the answer is 2xx whatever the request holds: Twilio retries
 * anything else, and a request that cannot be used now (a field missing, our own `mid`
 * mangled) cannot be used on a retry either. Such requests are logged and counted
 * (`hub_webhook_unusable_total`). Fields are normalised to fit the topic schema and the
 * columns they land in (`normalizeText`: NUL stripped, lone surrogates replaced, cut to
 * size), each change logged and counted (`hub_webhook_normalised_total`). Only a failure to
 * publish (Kafka down) answers 503, so Twilio retries.
 */
export function registerWebhooks(app: FastifyInstance, deps: WebhookDeps): void {
  const verify = (route: string, request: FastifyRequest, reply: FastifyReply): FormParams | null => {
    const params = toFormParams(request.body);
    const signature = request.headers['x-twilio-signature'];
    const ok = isValidTwilioSignature(deps.authToken, deps.publicUrl, request.url, Array.isArray(signature) ? signature[0] : signature, params);
    if (!ok) {
      deps.rejections.inc({ route, reason: signature ? 'invalid_signature' : 'missing_signature' });
      request.log.warn({ route, url: request.url }, 'webhook rejected: bad X-Twilio-Signature');
      void reply.code(403).send({ error: { code: 'invalid_signature', message: 'X-Twilio-Signature does not match' } });
      return null;
    }
    deps.received.inc({ route });
    return params;
  };

  const unusable = (route: string, request: FastifyRequest, reason: string, detail: Record<string, unknown>) => {
    deps.unusable.inc({ route, reason });
    request.log.warn({ route, reason, url: request.url, ...detail }, 'signed webhook cannot be used: acknowledged, not published');
  };

  /** A field normalised to `max`; changes logged and counted. */
  const normalised = (route: string, request: FastifyRequest, name: string, value: string, max: number, ref: string | undefined): NormalizedText => {
    const n = normalizeText(value, max);
    for (const fix of n.fixes) deps.normalised.inc({ route, field: name, fix });
    if (n.fixes.length > 0) request.log.warn({ route, field: name, fixes: n.fixes, length: value.length, max, ref }, 'webhook field normalised to fit the topic schema');
    return n;
  };
  const text = (route: string, request: FastifyRequest, name: string, value: string, max: number, ref: string | undefined): string =>
    normalised(route, request, name, value, max, ref).value;

  // Concurrent requests' checks share one statement (replay-check.ts).
  const replayCheck = deps.prisma ? createReplayCheck(deps.prisma) : null;
  const alreadyApplied = async (request: FastifyRequest, messageId: string, sid: string, status: string): Promise<boolean> => {
    if (!replayCheck) return false;
    let timer: NodeJS.Timeout | undefined;
    try {
      const lookup = replayCheck(messageId, sid, status);
      const timeout = new Promise<null>((resolve) => { timer = setTimeout(() => resolve(null), REPLAY_CHECK_TIMEOUT_MS); });
      const found = await Promise.race([lookup, timeout]);
      if (found === null) lookup.catch(() => undefined);
      return found === true;
    } catch (err) {
      // The check only saves a publish; without the database the callback goes to Kafka as usual.
      request.log.debug({ err }, 'replay check failed; publishing');
      return false;
    } finally {
      clearTimeout(timer);
    }
  };

  app.post('/webhooks/twilio/status', async (request, reply) => {
    const params = verify('status', request, reply);
    if (!params) return reply;
    const mid = midSchema.safeParse((request.query as Record<string, unknown>).mid);
    const rawSid = field(params, 'MessageSid') ?? field(params, 'SmsSid');
    const rawStatus = field(params, 'MessageStatus') ?? field(params, 'SmsStatus');
    if (!mid.success) {
      unusable('status', request, 'invalid_message_id', { sid: rawSid?.slice(0, 64), status: rawStatus?.slice(0, 30) });
      return reply.code(204).send();
    }
    const sid = rawSid === undefined ? '' : text('status', request, 'MessageSid', rawSid, SMS_STATUS_LIMITS.sid, mid.data);
    const status = rawStatus === undefined ? '' : text('status', request, 'MessageStatus', rawStatus.trim(), SMS_STATUS_LIMITS.status, mid.data);
    if (!sid || !status) {
      unusable('status', request, 'missing_fields', { messageId: mid.data, sid: sid || null, status: status || null });
      return reply.code(204).send();
    }
    const rawCode = field(params, 'ErrorCode')?.trim();
    // An int4 column: a code that does not fit (or is not a number) is kept in the message text.
    const code = rawCode && /^\d{1,10}$/.test(rawCode) ? Number(rawCode) : null;
    const errorCode = code !== null && code <= 2_147_483_647 ? code : null;
    if (rawCode && errorCode === null) {
      deps.normalised.inc({ route: 'status', field: 'ErrorCode', fix: 'unparseable' });
      request.log.warn({ messageId: mid.data, errorCode: rawCode.slice(0, 40) }, 'status callback ErrorCode is not an int4; kept in the error message');
    }
    const rawMessage = field(params, 'ErrorMessage');
    const message = rawMessage ?? (rawCode && errorCode === null ? `ErrorCode ${rawCode}` : null);
    const errorMessage = message === null ? null : text('status', request, 'ErrorMessage', message, SMS_STATUS_LIMITS.errorMessage, mid.data);

    if (await alreadyApplied(request, mid.data, sid, status)) {
      deps.replays.inc({ route: 'status' });
      request.log.debug({ messageId: mid.data, sid, status }, 'replayed status callback already recorded; not published again');
      return reply.code(204).send();
    }
    await deps.bus.publish(TOPICS.smsStatus, smsStatusSchema, [
      {
        key: mid.data,
        value: { messageId: mid.data, sid, status, errorCode, errorMessage, receivedAt: deps.clock.now().toISOString(), source: 'callback' },
        headers: { [HEADERS.messageId]: mid.data, [HEADERS.correlationId]: mid.data },
      },
    ]);
    return reply.code(204).send();
  });

  app.post('/webhooks/twilio/inbound', async (request, reply) => {
    const params = verify('inbound', request, reply);
    if (!params) return reply;
    const rawSid = field(params, 'MessageSid') ?? field(params, 'SmsSid');
    const rawFrom = field(params, 'From');
    const rawTo = field(params, 'To');
    const sid = rawSid === undefined ? '' : text('inbound', request, 'MessageSid', rawSid, INBOUND_SMS_LIMITS.sid, undefined);
    const from = rawFrom === undefined ? '' : text('inbound', request, 'From', rawFrom.trim(), INBOUND_SMS_LIMITS.address, sid);
    const to = rawTo === undefined ? '' : text('inbound', request, 'To', rawTo.trim(), INBOUND_SMS_LIMITS.address, sid);
    if (!sid || !from || !to) {
      unusable('inbound', request, 'missing_fields', { sid: sid || null, from: from || null, to: to || null });
      return reply.code(200).type('text/xml').send(twiml());
    }
    const rawBody = field(params, 'Body') ?? '';
    const body = normalised('inbound', request, 'Body', rawBody, INBOUND_SMS_LIMITS.body, sid);
    const rawMedia = field(params, 'NumMedia')?.trim();
    const numMedia = rawMedia && /^\d{1,9}$/.test(rawMedia) ? Number(rawMedia) : 0;
    const address = parseAddress(from);
    await deps.bus.publish(TOPICS.smsInbound, inboundSmsSchema, [
      {
        key: from,
        value: {
          sid, from, to, channel: address.channel, fromE164: address.e164, body: body.value, bodyTruncated: body.fixes.includes('truncated'),
          numMedia, receivedAt: deps.clock.now().toISOString(),
        },
        headers: { [HEADERS.correlationId]: sid },
      },
    ]);
    const keyword = classifyKeyword(body.value);
    // Opt-out confirmations are sent by Twilio's own STOP handling; HELP gets our text.
    return reply.code(200).type('text/xml').send(twiml(keyword.kind === 'help' ? deps.helpText : undefined));
  });
}
