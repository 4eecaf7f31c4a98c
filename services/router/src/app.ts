import type { PrismaClient } from '@hub/db';
import type { Bus, RunningConsumer } from '@hub/bus';
import { CHANNEL_NAMES, notificationEventSchema, routingStepSchema, TOPICS, type Clock, type NotificationEvent } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import { Registry } from 'prom-client';
import { routeEvents } from './fan-out.ts';
import { createRoutingMetrics, handleRoutingStep } from './routing-steps.ts';

export interface RouterDeps {
  bus: Bus;
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
  channels?: readonly string[];
  chunkSize?: number;
  /** See FanOutDeps.routeAheadMs (set when the SMS adapter has a Messaging Service). */
  routeAheadMs?: number;
  /** hub_routing_fallbacks_total, hub_routing_escalations_total (absent: a private registry). */
  metrics?: Registry;
}

export interface RouterService {
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Wires the router: consumes notify.events.v1, writes deliveries, publishes per channel. */
export async function buildRouter(deps: RouterDeps): Promise<RouterService> {
  const channels = deps.channels ?? CHANNEL_NAMES;
  const routingMetrics = createRoutingMetrics(deps.metrics ?? new Registry());
  const fanOut = { ...deps, channels, chunkSize: deps.chunkSize ?? 5_000, routing: { metrics: routingMetrics, topic: deps.bus.topic(TOPICS.routing) } };
  const consumer: RunningConsumer = await deps.bus.consume({
    groupId: 'router',
    topic: TOPICS.events,
    schema: notificationEventSchema,
    maxBatchSize: 100,
    handleBatch: async (messages, ctx) => {
      // Record every event of the batch in one statement; replays change nothing.
      await deps.prisma.notificationEvent.createMany({
        data: messages.map(({ value }) => toEventRow(value)),
        skipDuplicates: true,
      });
      await routeEvents(fanOut, messages, ctx.heartbeat);
    },
  });
  // Fallback and escalation steps (scheduler jobs written with the change that caused them).
  const stepDeps = { bus: deps.bus, prisma: deps.prisma, log: deps.log, clock: deps.clock, channels, metrics: routingMetrics };
  const steps: RunningConsumer = await deps.bus.consume({
    groupId: 'router.routing',
    topic: TOPICS.routing,
    schema: routingStepSchema,
    maxBatchSize: 100,
    handleBatch: async (messages) => {
      // Keyed by user id: one user's steps in order.
      for (const m of messages) await handleRoutingStep(stepDeps, m.value);
    },
  });
  return { ready: Promise.all([consumer.ready, steps.ready]).then(() => undefined), stop: async () => { await consumer.stop(); await steps.stop(); } };
}

function toEventRow(event: NotificationEvent) {
  return {
    id: event.id,
    eventType: event.type,
    targetUserId: event.targetUserId ?? null,
    payload: event.payload as object,
    priority: event.priority,
    scheduledFor: event.scheduledFor ? new Date(event.scheduledFor) : null,
    source: event.source ?? null,
    occurredAt: new Date(event.occurredAt),
    publishedAt: new Date(),
  };
}
