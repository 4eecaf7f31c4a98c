import { randomBytes } from 'node:crypto';
import { listenToChannel, type PrismaClient } from '@hub/db';
import { describeError, type Bus, type RunningConsumer } from '@hub/bus';
import { consumeDeliveries, createAdapterGate } from '@hub/channel-kit';
import { deliveryRequestSchema, deliveryTopic, HEADERS, type DeliveryRequest, normalizeText, SMS_STATUS_LIMITS, smsStatusSchema, TOPICS, type Clock, type SmsStatusUpdate } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import type { SmsProvider } from '@hub/sms-provider';
import { Counter, type Registry } from 'prom-client';
import { deliver, type DeliverSettings } from './deliver.ts';
import { TEMPLATE_CHANGE_CHANNEL, TemplateStore } from './template-store.ts';
import { TokenBucket } from './rate-limiter.ts';
import { startReconciler } from './reconciler.ts';
import { HotPath } from './hot-path.ts';

export interface SmsAdapterDeps {
  bus: Bus;
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
  provider: SmsProvider;
  metrics: Registry;
  settings: Omit<DeliverSettings, 'selfTopic'>;
  ratePerSecond: number;
  templateCacheTtlMs?: number;
  partitionsConcurrency?: number;
  random?: () => number;
  /** Users whose deliveries are handled at once within a partition batch (default 8). */
  userConcurrency?: number;
  /** Lost-callback recovery: look up accepted messages still not final after this long. */
  reconcileStaleAfterMs?: number;
  reconcileIntervalMs?: number;
  /** Group commit of the per-send statements (see HotPath). */
  hotPath?: { maxBatch?: number; concurrency?: number };
  /** Channel pause on provider-wide failures: first pause and longest pause, ms (5 s, 5 min). */
  pause?: { initialMs?: number; maxMs?: number };
  /** Name of this instance in channel_pauses (default host:pid). */
  instance?: string;
  /** When set, template changes announced by PostgreSQL (LISTEN) drop the cached copy at once. */
  databaseUrl?: string;
}

export interface SmsAdapterService {
  ready: Promise<void>;
  templates: TemplateStore;
  stop(): Promise<void>;
}

/** Consumes notify.deliveries.sms.v1: policy, rendering, send, retries. */
export async function buildSmsAdapter(deps: SmsAdapterDeps): Promise<SmsAdapterService> {
  const templates = new TemplateStore(deps.prisma, deps.templateCacheTtlMs ?? 30_000);
  const templateChanges = deps.databaseUrl
    ? listenToChannel(deps.databaseUrl, TEMPLATE_CHANGE_CHANNEL, {
        onNotify: (key) => templates.invalidate(key || undefined),
        // Changes announced while disconnected are lost: start afresh.
        onConnected: () => templates.invalidate(),
        onError: (err) => deps.log.warn({ err: describeError(err) }, 'template change listener lost its connection; the cache TTL bounds staleness meanwhile'),
      })
    : null;
  const limiter = new TokenBucket(deps.ratePerSecond);
  const paused = createAdapterGate({ channel: 'sms', prisma: deps.prisma, log: deps.log, metrics: deps.metrics, pause: deps.pause, instance: deps.instance });
  const { gate } = paused;
  // Kept beside hub_deliveries_total{channel} for dashboards built on it (deprecated).
  const outcomes = new Counter({ name: 'hub_sms_deliveries_total', help: 'Delivery requests handled by the sms-adapter, by outcome (deprecated: hub_deliveries_total{channel="sms"})', labelNames: ['outcome'] as const, registers: [deps.metrics] });
  // A provider lookup's answer is provider text like a callback's: made storable the same way,
  // so an odd error message can never make this publish (and the reconcile job) fail forever.
  const publishStatus = (update: SmsStatusUpdate) => deps.bus.publish(TOPICS.smsStatus, smsStatusSchema, [{
    key: update.messageId,
    value: {
      ...update,
      sid: normalizeText(update.sid, SMS_STATUS_LIMITS.sid).value,
      status: normalizeText(update.status, SMS_STATUS_LIMITS.status).value,
      errorMessage: update.errorMessage === null ? null : normalizeText(update.errorMessage, SMS_STATUS_LIMITS.errorMessage).value,
    },
    headers: { [HEADERS.messageId]: update.messageId, [HEADERS.correlationId]: update.messageId, [HEADERS.source]: 'sms-adapter' },
  }]);
  const deliverDeps = {
    publishStatus,
    prisma: deps.prisma,
    hot: new HotPath(deps.prisma, deps.hotPath),
    log: deps.log,
    clock: deps.clock,
    provider: deps.provider,
    templates,
    limiter,
    gate,
    random: deps.random ?? Math.random,
    randomBytes: (n: number) => randomBytes(n),
    settings: { ...deps.settings, selfTopic: deps.bus.topic(deliveryTopic('sms')) },
  };
  // The shared adapter loop (@hub/channel-kit): per-user order within a partition, users
  // concurrently (bounded: a few at a time keeps the connection pool from starving), offsets
  // committed after the batch, hub_deliveries_total{channel="sms",outcome}.
  const consumer: RunningConsumer = await consumeDeliveries({
    bus: deps.bus,
    channel: 'sms',
    groupId: 'sms-adapter',
    metrics: deps.metrics,
    partitionsConcurrency: deps.partitionsConcurrency ?? 6,
    userConcurrency: deps.userConcurrency ?? 8,
    handle: async (request) => {
      const outcome = await deliver(deliverDeps, request);
      outcomes.inc({ outcome });
      return outcome;
    },
  });
  const selfTopic = deliveryTopic('sms');
  const requeue = (requests: DeliveryRequest[]) => deps.bus.publish(selfTopic, deliveryRequestSchema, requests.map((r) => ({
    key: r.userId, value: r, headers: { [HEADERS.deliveryId]: r.deliveryId, [HEADERS.eventId]: r.eventId, [HEADERS.correlationId]: r.eventId },
  })));
  const reconciler = startReconciler({
    prisma: deps.prisma, publishStatus, requeue, log: deps.log, clock: deps.clock, provider: deps.provider,
    staleAfterMs: deps.reconcileStaleAfterMs ?? 10 * 60_000,
    intervalMs: deps.reconcileIntervalMs ?? 30_000,
    paused: () => gate.state().paused,
  });
  return {
    ready: consumer.ready,
    templates,
    stop: async () => {
      await templateChanges?.stop();
      await reconciler.stop();
      // Held requests end with a transient error: their batch is not committed, it comes back.
      const closing = paused.stop();
      await consumer.stop();
      await closing;
    },
  };
}
