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
  /** On a DLQ copy cut to fit Kafka's size limit: "true", the original size and its SHA-256 (hex). */
  dlqTruncated: 'x-dlq-truncated',
  dlqOriginalBytes: 'x-dlq-original-bytes',
  dlqSha256: 'x-dlq-sha256',
  /** On a DLQ copy whose original headers were too large to keep: how many were dropped. */
  dlqHeadersDropped: 'x-dlq-headers-dropped',
  /** On a message replayed from a DLQ: "<dlq topic>/<partition>/<offset>". */
  replayedFrom: 'x-replayed-from',
} as const;
