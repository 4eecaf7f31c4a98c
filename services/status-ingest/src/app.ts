import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import formbody from '@fastify/formbody';
import { Counter, type Registry } from 'prom-client';
import type { PrismaClient } from '@hub/db';
import type { Bus, RunningConsumer } from '@hub/bus';
import { deliveryTopic, inboundSmsSchema, smsStatusSchema, TOPICS, type Clock } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import { failpoint } from '@hub/runtime';
import { mapTwilioStatus } from '@hub/sms-rules';
import { applyStatuses } from './apply-batch.ts';
import { applyInbound } from './inbound.ts';
import { registerWebhooks } from './webhooks.ts';
import { registerSendgridWebhook } from './sendgrid-webhook.ts';

export interface StatusIngestDeps {
  bus: Bus;
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
  metrics: Registry;
  authToken: string;
  publicUrl: string;
  helpText: string;
  /** SendGrid's Signed Event Webhook verification key: enables POST /webhooks/sendgrid/events. */
  sendgridPublicKey?: string;
  /** Replay window of the SendGrid signature's timestamp, seconds (default 600; 0 = off). */
  sendgridToleranceSeconds?: number;
}

export interface StatusIngestService {
  app: FastifyInstance;
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Webhook HTTP server plus the consumers that apply statuses and inbound keywords in order. */
export async function buildStatusIngest(deps: StatusIngestDeps): Promise<StatusIngestService> {
  const app = Fastify({ loggerInstance: deps.log as FastifyBaseLogger, bodyLimit: 1024 * 1024, logController: new LogController({ disableRequestLogging: true }) });
  await app.register(formbody);
  const rejections = new Counter({ name: 'hub_webhook_rejections_total', help: 'Webhooks refused (bad or missing signature)', labelNames: ['route', 'reason'] as const, registers: [deps.metrics] });
  const received = new Counter({ name: 'hub_webhooks_received_total', help: 'Webhooks accepted', labelNames: ['route'] as const, registers: [deps.metrics] });
  const providerStatuses = new Counter({ name: 'hub_sms_status_total', help: 'SMS statuses reported by the provider and applied, by hub status', labelNames: ['status'] as const, registers: [deps.metrics] });
  const applied = new Counter({ name: 'hub_sms_status_applied_total', help: 'Provider statuses processed, by outcome and path (batch, or one by one under a lock)', labelNames: ['outcome', 'path'] as const, registers: [deps.metrics] });
  const unusable = new Counter({ name: 'hub_webhook_unusable_total', help: 'Signed webhooks acknowledged but not published: nothing in them can be used (a field missing, an invalid mid)', labelNames: ['route', 'reason'] as const, registers: [deps.metrics] });
  const normalised = new Counter({ name: 'hub_webhook_normalised_total', help: 'Webhook fields changed to fit the topic schema and columns (NUL stripped, lone surrogate replaced, truncated)', labelNames: ['route', 'field', 'fix'] as const, registers: [deps.metrics] });
  const replays = new Counter({ name: 'hub_webhook_replays_total', help: 'Status callbacks already recorded (same message, sid and status): acknowledged, not published again', labelNames: ['route'] as const, registers: [deps.metrics] });
  const unmapped = new Counter({ name: 'hub_inbound_unmapped_total', help: 'Inbound opt-out / opt-in keywords that change no SMS subscription (sender on another channel, or no phone number)', labelNames: ['channel', 'reason'] as const, registers: [deps.metrics] });
  const inboundOutcomes = new Counter({ name: 'hub_inbound_messages_total', help: 'Inbound messages applied, by outcome and channel', labelNames: ['outcome', 'channel'] as const, registers: [deps.metrics] });
  registerWebhooks(app, { ...deps, rejections, received, unusable, normalised, replays });
  if (deps.sendgridPublicKey) {
    registerSendgridWebhook(app, { bus: deps.bus, clock: deps.clock, publicKey: deps.sendgridPublicKey, toleranceSeconds: deps.sendgridToleranceSeconds ?? 600, rejections, received, unusable });
  }
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/metrics', async (_req, reply) => reply.type(deps.metrics.contentType).send(await deps.metrics.metrics()));
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, request, reply) => {
    const status = err.statusCode && err.statusCode < 500 ? err.statusCode : 503;
    if (status >= 500) request.log.error({ err }, 'webhook handling failed');
    void reply.code(status).send({ error: { code: status >= 500 ? 'unavailable' : (err.code ?? 'bad_request'), message: status >= 500 ? 'temporarily unavailable, retry' : err.message } });
  });

  const retryTopic = deps.bus.topic(deliveryTopic('sms'));
  const statusConsumer: RunningConsumer = await deps.bus.consume({
    groupId: 'status-ingest.status',
    topic: TOPICS.smsStatus,
    schema: smsStatusSchema,
    partitionsConsumedConcurrently: 6,
    handleBatch: async (messages) => {
      const results = await applyStatuses({ prisma: deps.prisma, log: deps.log, clock: deps.clock, retryTopic }, messages.map((m) => m.value));
      for (const { update, outcome, path } of results) {
        applied.inc({ outcome, path });
        if (outcome === 'applied' || outcome === 'retry_scheduled' || outcome === 'opted_out') providerStatuses.inc({ status: mapTwilioStatus(update.status) ?? 'unknown' });
        failpoint('status.after_apply');
      }
    },
  });
  const inboundConsumer: RunningConsumer = await deps.bus.consume({
    groupId: 'status-ingest.inbound',
    topic: TOPICS.smsInbound,
    schema: inboundSmsSchema,
    handleBatch: async (messages) => {
      for (const m of messages) {
        const outcome = await applyInbound({ ...deps, onUnmapped: (channel, reason) => unmapped.inc({ channel, reason }) }, m.value);
        inboundOutcomes.inc({ outcome, channel: m.value.channel });
      }
    },
  });

  return {
    app,
    ready: Promise.all([statusConsumer.ready, inboundConsumer.ready]).then(() => undefined),
    stop: async () => {
      await app.close();
      await Promise.all([statusConsumer.stop(), inboundConsumer.stop()]);
    },
  };
}
