import type { Bus, RunningConsumer } from '@hub/bus';
import { consumeDeliveries, createAdapterGate, watchTemplateChanges } from '@hub/channel-kit';
import { deliveryTopic, emailStatusSchema, TOPICS, type Clock } from '@hub/contracts';
import type { PrismaClient } from '@hub/db';
import type { EmailProvider } from '@hub/email-provider';
import type { Logger } from '@hub/logger';
import { Counter, type Registry } from 'prom-client';
import { deliverEmail, type EmailDeliverSettings } from './deliver.ts';
import { applyEmailStatus } from './status.ts';
import { EmailTemplateStore } from './templates.ts';

export interface EmailAdapterDeps {
  bus: Bus;
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
  provider: EmailProvider;
  metrics: Registry;
  settings: Omit<EmailDeliverSettings, 'selfTopic'>;
  templateCacheTtlMs?: number;
  userConcurrency?: number;
  partitionsConcurrency?: number;
  random?: () => number;
  /** Channel pause on relay-wide failures: first and longest pause, ms (default 5 s, 5 min). */
  pause?: { initialMs?: number; maxMs?: number };
  instance?: string;
  /** When set, template changes announced by PostgreSQL (LISTEN) drop the cached copy at once. */
  databaseUrl?: string;
}

export interface EmailAdapterService {
  ready: Promise<void>;
  templates: EmailTemplateStore;
  stop(): Promise<void>;
}

/**
 * The email channel: consumes notify.deliveries.email.v1 (policy, render, SMTP send,
 * retries) through the shared adapter loop, and notify.email.status.v1 (the provider's
 * events, published by status-ingest's webhook) in its own consumer group.
 */
export async function buildEmailAdapter(deps: EmailAdapterDeps): Promise<EmailAdapterService> {
  const templates = new EmailTemplateStore(deps.prisma, deps.templateCacheTtlMs ?? 30_000);
  const templateChanges = deps.databaseUrl ? watchTemplateChanges(deps.databaseUrl, templates, deps.log) : null;
  const random = deps.random ?? Math.random;
  const selfTopic = deps.bus.topic(deliveryTopic('email'));
  let eventsWatchedSince: number | null = null;
  const paused = createAdapterGate({ channel: 'email', prisma: deps.prisma, log: deps.log, metrics: deps.metrics, pause: deps.pause, instance: deps.instance });
  const deliverDeps = {
    prisma: deps.prisma, log: deps.log, clock: deps.clock, provider: deps.provider, templates, random, settings: { ...deps.settings, selfTopic }, gate: paused.gate,
    eventsWatchedSince: () => eventsWatchedSince,
  };
  const deliveries: RunningConsumer = await consumeDeliveries({
    bus: deps.bus,
    channel: 'email',
    groupId: 'email-adapter',
    metrics: deps.metrics,
    userConcurrency: deps.userConcurrency ?? 32,
    partitionsConcurrency: deps.partitionsConcurrency ?? 6,
    handle: (request) => deliverEmail(deliverDeps, request),
  });
  const events = new Counter({
    name: 'hub_email_events_total',
    help: 'Provider events about emails (bounces, complaints, deliveries…) applied by the email-adapter, by kind and outcome',
    labelNames: ['kind', 'outcome'] as const,
    registers: [deps.metrics],
  });
  const statusDeps = { prisma: deps.prisma, log: deps.log, clock: deps.clock, selfTopic, retry: deps.settings.retry, random };
  const statuses: RunningConsumer = await deps.bus.consume({
    groupId: 'email-adapter.status',
    topic: TOPICS.emailStatus,
    schema: emailStatusSchema,
    maxBatchSize: 200,
    // Keyed by message id: partitions are independent, so all of them are applied at once.
    partitionsConsumedConcurrently: deps.partitionsConcurrency ?? 6,
    handleBatch: async (messages) => {
      // Keyed by message id: one message's events in order, one after another.
      for (const m of messages) events.inc({ kind: m.value.kind, outcome: await applyEmailStatus(statusDeps, m.value) });
    },
  });
  void statuses.ready.then(() => (eventsWatchedSince = deps.clock.now().getTime()));
  return {
    ready: Promise.all([deliveries.ready, statuses.ready]).then(() => undefined),
    templates,
    stop: async () => {
      await templateChanges?.stop();
      const closing = paused.stop();
      await deliveries.stop();
      await closing;
      await statuses.stop();
    },
  };
}
