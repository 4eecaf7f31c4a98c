import type { PrismaClient } from '@hub/db';
import type { Bus, RunningConsumer } from '@hub/bus';
import { CHANNEL_NAMES, notificationEventSchema, TOPICS, type Clock, type NotificationEvent } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import { routeEvents } from './fan-out.ts';

export interface RouterDeps {
  bus: Bus;
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
  channels?: readonly string[];
  chunkSize?: number;
  /** See FanOutDeps.routeAheadMs (set when the SMS adapter has a Messaging Service). */
  routeAheadMs?: number;
}

export interface RouterService {
  ready: Promise<void>;
  stop(): Promise<void>;
}

/** Wires the router: consumes notify.events.v1, writes deliveries, publishes per channel. */
export async function buildRouter(deps: RouterDeps): Promise<RouterService> {
  const fanOut = { ...deps, channels: deps.channels ?? CHANNEL_NAMES, chunkSize: deps.chunkSize ?? 5_000 };
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
  return { ready: consumer.ready, stop: () => consumer.stop() };
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
