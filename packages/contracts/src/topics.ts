/**
 * Kafka topics of the hub. Names are versioned; every topic has a dead-letter twin
 * (`<name>.dlq`) that receives messages that cannot be processed, with the reason.
 */
export const TOPICS = {
  events: 'notify.events.v1',
  smsDeliveries: 'notify.deliveries.sms.v1',
  smsStatus: 'notify.sms.status.v1',
  smsInbound: 'notify.sms.inbound.v1',
  emailDeliveries: 'notify.deliveries.email.v1',
  emailStatus: 'notify.email.status.v1',
  inappDeliveries: 'notify.deliveries.inapp.v1',
  /** Fallback and escalation steps (scheduler jobs) back into the router. */
  routing: 'notify.routing.v1',
  schedule: 'notify.schedule.v1',
} as const;

export type TopicKey = keyof typeof TOPICS;
export type TopicName = (typeof TOPICS)[TopicKey];

/** Partition counts: they bound each consumer group's parallelism. */
export const TOPIC_PARTITIONS: Record<TopicName, number> = {
  'notify.events.v1': 6,
  'notify.deliveries.sms.v1': 6,
  'notify.sms.status.v1': 6,
  'notify.sms.inbound.v1': 3,
  'notify.deliveries.email.v1': 6,
  'notify.email.status.v1': 6,
  'notify.deliveries.inapp.v1': 6,
  'notify.routing.v1': 6,
  'notify.schedule.v1': 3,
};

export const DLQ_SUFFIX = '.dlq';

export function dlqOf(topic: string): string {
  return `${topic}${DLQ_SUFFIX}`;
}

/** Channel delivery topic: one more channel is one more topic and one more adapter. */
export function deliveryTopic(channel: string): string {
  return `notify.deliveries.${channel}.v1`;
}

/**
 * A deployment (or a test file) may prefix every topic, e.g. `t123.notify.events.v1`,
 * so that several isolated hubs share one broker.
 */
export function prefixed(prefix: string, topic: string): string {
  return prefix ? `${prefix}.${topic}` : topic;
}
