import type { FastifyInstance } from 'fastify';
import type { Bus } from '@hub/bus';
import { EMAIL_STATUS_LIMITS, emailStatusSchema, HEADERS, normalizeText, TOPICS, type Clock, type EmailStatusUpdate } from '@hub/contracts';
import { parseHubMessageId, parseSendgridEvents, verifySendgridSignature, type EmailProviderEvent } from '@hub/email-rules';
import type { Counter } from 'prom-client';

export interface SendgridWebhookDeps {
  bus: Bus;
  clock: Clock;
  /** SendGrid's "Verification Key" (base64 DER public key of the Signed Event Webhook). */
  publicKey: string;
  /** Replay window for the signed timestamp, seconds (0 = off). */
  toleranceSeconds: number;
  rejections: Counter<'route' | 'reason'>;
  received: Counter<'route'>;
  unusable: Counter<'route' | 'reason'>;
}

const ROUTE = 'sendgrid_events';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Our message id and attempt from an event: the custom args first, else our Message-ID. */
export function ourMessage(event: EmailProviderEvent): { messageId: string; attempt: number } | null {
  const fromHeader = event.messageIdHeader ? parseHubMessageId(event.messageIdHeader) : null;
  if (event.hubMessageId && UUID.test(event.hubMessageId)) {
    return { messageId: event.hubMessageId.toLowerCase(), attempt: event.attempt ?? fromHeader?.attempt ?? 0 };
  }
  return fromHeader;
}

const text = (value: string | null, max: number) => (value === null ? null : normalizeText(value, max).value);

/**
 * SendGrid's Event Webhook (the email provider report format the hub takes: see
 * docs/channels.md for why): POST /webhooks/sendgrid/events, a JSON array of events signed
 * with ECDSA (X-Twilio-Email-Event-Webhook-Signature over timestamp + raw body). A bad or
 * missing signature is refused (403) and leaves a log line and a metric; a signed request
 * is answered 200 once its events are on notify.email.status.v1 (keyed by our message id),
 * whatever it holds — events about mail we did not send, or unknown event words, are
 * counted and skipped (SendGrid retries non-2xx answers for 24 h: a bad event would come
 * back forever). Only a failure to publish answers 503 so SendGrid retries.
 */
export function registerSendgridWebhook(app: FastifyInstance, deps: SendgridWebhookDeps): void {
  void app.register(async (scope) => {
    // The signature covers the raw bytes: keep them (this scope only).
    scope.addContentTypeParser('application/json', { parseAs: 'buffer' }, (_req, body, done) => done(null, body));
    scope.post('/webhooks/sendgrid/events', async (request, reply) => {
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const header = (name: string) => {
        const v = request.headers[name];
        return Array.isArray(v) ? v[0] : v;
      };
      const verdict = verifySendgridSignature({
        publicKey: deps.publicKey,
        signature: header('x-twilio-email-event-webhook-signature'),
        timestamp: header('x-twilio-email-event-webhook-timestamp'),
        rawBody: raw,
        now: deps.clock.now(),
        toleranceSeconds: deps.toleranceSeconds,
      });
      if (!verdict.ok) {
        deps.rejections.inc({ route: ROUTE, reason: verdict.reason });
        request.log.warn({ route: ROUTE, reason: verdict.reason }, 'webhook rejected: bad SendGrid signature');
        return reply.code(403).send({ error: { code: 'invalid_signature', message: `SendGrid event webhook signature refused (${verdict.reason})` } });
      }
      deps.received.inc({ route: ROUTE });
      let body: unknown;
      try {
        body = JSON.parse(raw.toString('utf8'));
      } catch {
        deps.unusable.inc({ route: ROUTE, reason: 'invalid_json' });
        return reply.code(200).send({ accepted: 0 });
      }
      const { events, rejected } = parseSendgridEvents(body);
      for (const r of rejected) deps.unusable.inc({ route: ROUTE, reason: r.reason.slice(0, 40) });
      const receivedAt = deps.clock.now().toISOString();
      const updates: EmailStatusUpdate[] = [];
      for (const event of events) {
        const ours = ourMessage(event);
        if (!ours) {
          deps.unusable.inc({ route: ROUTE, reason: 'not_our_message' });
          continue;
        }
        updates.push({
          messageId: ours.messageId,
          attempt: Math.min(Math.max(0, ours.attempt), 1_000),
          kind: event.kind,
          raw: text(event.raw, EMAIL_STATUS_LIMITS.raw) || event.kind,
          providerEventId: text(event.providerEventId, EMAIL_STATUS_LIMITS.providerEventId),
          providerMessageId: text(event.providerMessageId, EMAIL_STATUS_LIMITS.providerMessageId),
          smtpStatus: text(event.smtpStatus, EMAIL_STATUS_LIMITS.smtpStatus),
          reason: text(event.reason, EMAIL_STATUS_LIMITS.reason),
          occurredAt: Number.isNaN(event.occurredAt.getTime()) ? receivedAt : event.occurredAt.toISOString(),
          receivedAt,
          source: 'webhook',
        });
      }
      if (updates.length > 0) {
        await deps.bus.publish(TOPICS.emailStatus, emailStatusSchema, updates.map((u) => ({
          key: u.messageId,
          value: u,
          headers: { [HEADERS.messageId]: u.messageId, [HEADERS.correlationId]: u.messageId, [HEADERS.source]: 'sendgrid' },
        })));
      }
      return reply.code(200).send({ accepted: updates.length });
    });
  });
}
