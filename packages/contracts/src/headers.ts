/** Kafka headers the hub sets; ids travel with a message across services and into logs. */
export const HEADERS = {
  correlationId: 'x-correlation-id',
  eventId: 'x-event-id',
  deliveryId: 'x-delivery-id',
  messageId: 'x-message-id',
  source: 'x-source',
  dlqError: 'x-dlq-error',
  dlqReason: 'x-dlq-reason',
  dlqTopic: 'x-dlq-topic',
  dlqPartition: 'x-dlq-partition',
  dlqOffset: 'x-dlq-offset',
  dlqFailedAt: 'x-dlq-failed-at',
} as const;
