import { forEachInGroups, type Bus, type RunningConsumer } from '@hub/bus';
import { deliveryRequestSchema, deliveryTopic, type DeliveryRequest } from '@hub/contracts';
import { failpoint } from '@hub/runtime';
import { Counter, Histogram, type Registry } from 'prom-client';

export interface DeliveryConsumerOptions<O extends string> {
  bus: Bus;
  channel: string;
  /** Consumer group (default `<channel>-adapter`). */
  groupId?: string;
  metrics: Registry;
  /** Handles one request; safe to run twice for the same request (send-once discipline). */
  handle: (request: DeliveryRequest) => Promise<O>;
  /** Users whose requests are handled at once within one partition's batch. */
  userConcurrency?: number;
  partitionsConcurrency?: number;
  maxBatchSize?: number;
}

/**
 * The consume loop of every channel adapter: `notify.deliveries.<channel>.v1` in Kafka
 * batches; one partition holds one user's requests in order (they are keyed by user id), so
 * a user's requests are handled one after another — caps and quiet hours are decided without
 * races — while different users' run concurrently. The offsets of a batch are committed by
 * the bus only after every handler of the batch returned (invariant 4); a request that
 * throws is retried, then dead-lettered, by the bus. Outcomes are counted per channel:
 * hub_deliveries_total{channel,outcome} and hub_delivery_handling_seconds{channel}.
 */
export async function consumeDeliveries<O extends string>(options: DeliveryConsumerOptions<O>): Promise<RunningConsumer> {
  const { channel } = options;
  const outcomes = deliveryOutcomeCounter(options.metrics);
  const duration = new Histogram({
    name: 'hub_delivery_handling_seconds',
    help: 'Time a channel adapter spent on one delivery request (policy, render, provider call, records)',
    labelNames: ['channel'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [options.metrics],
  });
  return options.bus.consume({
    groupId: options.groupId ?? `${channel}-adapter`,
    topic: deliveryTopic(channel),
    schema: deliveryRequestSchema,
    maxBatchSize: options.maxBatchSize ?? 100,
    partitionsConsumedConcurrently: options.partitionsConcurrency ?? 6,
    handleBatch: async (messages) => {
      await forEachInGroups(messages, (m) => m.value.userId, options.userConcurrency ?? 8, async (m) => {
        const stop = duration.startTimer({ channel });
        const outcome = await options.handle(m.value);
        stop();
        outcomes.inc({ channel, outcome });
      });
      failpoint(`${channel}.before_commit`);
    },
  });
}

/** hub_deliveries_total{channel,outcome}: one registry holds one counter, whoever asks first. */
export function deliveryOutcomeCounter(registry: Registry): Counter<'channel' | 'outcome'> {
  return sharedMetric(registry, 'hub_deliveries_total', () => new Counter({
    name: 'hub_deliveries_total',
    help: 'Delivery requests handled by the channel adapters, by channel and outcome',
    labelNames: ['channel', 'outcome'] as const,
    registers: [registry],
  }));
}

/** The registry's metric of that name, created by `make` on first use (several adapters or gates share one registry in tests). */
export function sharedMetric<M>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}
