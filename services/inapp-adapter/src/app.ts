import type { Bus, RunningConsumer } from '@hub/bus';
import { consumeDeliveries } from '@hub/channel-kit';
import { deliveryTopic, type Clock } from '@hub/contracts';
import type { PrismaClient } from '@hub/db';
import type { Logger } from '@hub/logger';
import type { Registry } from 'prom-client';
import { deliverInapp } from './deliver.ts';
import { InappTemplateStore } from './templates.ts';

export interface InappAdapterDeps {
  bus: Bus;
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
  metrics: Registry;
  templateCacheTtlMs?: number;
  userConcurrency?: number;
  partitionsConcurrency?: number;
}

export interface InappAdapterService {
  ready: Promise<void>;
  stop(): Promise<void>;
}

/**
 * The in-app channel: consumes notify.deliveries.inapp.v1 through the shared adapter loop and
 * stores each delivery as an inbox item (inapp_items), announced to the gateways' stream hubs
 * by pg_notify at commit. Outcomes are counted in hub_deliveries_total{channel="inapp"}.
 */
export async function buildInappAdapter(deps: InappAdapterDeps): Promise<InappAdapterService> {
  const templates = new InappTemplateStore(deps.prisma, deps.templateCacheTtlMs ?? 30_000);
  const handlerDeps = { prisma: deps.prisma, log: deps.log, clock: deps.clock, templates, selfTopic: deps.bus.topic(deliveryTopic('inapp')) };
  const consumer: RunningConsumer = await consumeDeliveries({
    bus: deps.bus,
    channel: 'inapp',
    groupId: 'inapp-adapter',
    metrics: deps.metrics,
    userConcurrency: deps.userConcurrency ?? 32,
    partitionsConcurrency: deps.partitionsConcurrency ?? 6,
    handle: (request) => deliverInapp(handlerDeps, request),
  });
  return { ready: consumer.ready, stop: () => consumer.stop() };
}
