import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { Bus } from '@hub/bus';
import { HEADERS, inboundSmsSchema, smsStatusSchema, TOPICS, type Clock } from '@hub/contracts';
import { classifyKeyword } from '@hub/sms-rules';
import type { Counter } from 'prom-client';
import { field, isValidTwilioSignature, toFormParams, type FormParams } from './signature.ts';

export interface WebhookDeps {
  bus: Bus;
  clock: Clock;
  authToken: string;
  publicUrl: string;
  helpText: string;
  rejections: Counter<'route' | 'reason'>;
  received: Counter<'route'>;
}

const midSchema = z.uuid();

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c);
}

function twiml(message?: string): string {
  const body = message ? `<Message>${escapeXml(message)}</Message>` : '';
  return `<?xml version="1.0" encoding="UTF-8"?><Response>${body}</Response>`;
}

function badRequest(reply: FastifyReply, code: string, message: string) {
  return reply.code(400).send({ error: { code, message } });
}

/**
 * Twilio webhooks: check the signature, publish to Kafka, answer at once. The database is
 * updated by this service's consumers, in order, off the request path.
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

  app.post('/webhooks/twilio/status', async (request, reply) => {
    const params = verify('status', request, reply);
    if (!params) return reply;
    const mid = midSchema.safeParse((request.query as Record<string, unknown>).mid);
    if (!mid.success) return badRequest(reply, 'invalid_message_id', 'query parameter mid must be our message id (uuid)');
    const sid = field(params, 'MessageSid') ?? field(params, 'SmsSid');
    const status = field(params, 'MessageStatus') ?? field(params, 'SmsStatus');
    if (!sid || !status) return badRequest(reply, 'missing_fields', 'MessageSid and MessageStatus are required');
    const rawCode = field(params, 'ErrorCode');
    const errorCode = rawCode && /^\d+$/.test(rawCode) ? Number(rawCode) : null;
    await deps.bus.publish(TOPICS.smsStatus, smsStatusSchema, [
      {
        key: mid.data,
        value: {
          messageId: mid.data,
          sid,
          status,
          errorCode,
          errorMessage: field(params, 'ErrorMessage') ?? null,
          receivedAt: deps.clock.now().toISOString(),
          source: 'callback',
        },
        headers: { [HEADERS.messageId]: mid.data, [HEADERS.correlationId]: mid.data },
      },
    ]);
    return reply.code(204).send();
  });

  app.post('/webhooks/twilio/inbound', async (request, reply) => {
    const params = verify('inbound', request, reply);
    if (!params) return reply;
    const sid = field(params, 'MessageSid') ?? field(params, 'SmsSid');
    const from = field(params, 'From');
    const to = field(params, 'To');
    if (!sid || !from || !to) return badRequest(reply, 'missing_fields', 'MessageSid, From and To are required');
    const body = field(params, 'Body') ?? '';
    await deps.bus.publish(TOPICS.smsInbound, inboundSmsSchema, [
      { key: from, value: { sid, from, to, body, receivedAt: deps.clock.now().toISOString() }, headers: { [HEADERS.correlationId]: sid } },
    ]);
    const keyword = classifyKeyword(body);
    // Opt-out confirmations are sent by Twilio's own STOP handling; HELP gets our text.
    const text = keyword.kind === 'help' ? deps.helpText : undefined;
    return reply.code(200).type('text/xml').send(twiml(text));
  });
}
