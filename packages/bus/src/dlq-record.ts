import { createHash } from 'node:crypto';
import type { IHeaders } from 'kafkajs';
import { HEADERS } from '@hub/contracts';

/**
 * Default budget of one DLQ record (key + value + headers), under Kafka's default
 * max.message.bytes (1,048,588) with room for the record-batch framing.
 */
export const DEFAULT_DLQ_MAX_BYTES = 1_000_000;
/** Original headers kept on a DLQ copy up to this total; beyond it they are dropped (counted). */
const MAX_KEPT_HEADER_BYTES = 64 * 1024;
/** A fallback copy, sent when the broker refuses the first one anyway (a smaller topic limit). */
export const MINIMAL_DLQ_VALUE_BYTES = 64 * 1024;

export interface FailedMessage {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: Buffer | null;
  headers: IHeaders | undefined;
}

export interface DlqRecord {
  key: string | null;
  value: Buffer | null;
  headers: IHeaders;
  truncated: boolean;
}

function headerBytes(headers: IHeaders): number {
  let n = 0;
  for (const [k, v] of Object.entries(headers)) {
    n += Buffer.byteLength(k) + 8;
    for (const item of Array.isArray(v) ? v : [v]) {
      if (item !== undefined) n += Buffer.isBuffer(item) ? item.length : Buffer.byteLength(String(item));
    }
  }
  return n;
}

/**
 * The DLQ copy of a failed message: its key, bytes and headers plus the x-dlq-* headers,
 * cut to fit `maxBytes`. A value too large keeps its first bytes and says so
 * (x-dlq-truncated, x-dlq-original-bytes, x-dlq-sha256): the whole value is still in the
 * source topic at x-dlq-topic / x-dlq-partition / x-dlq-offset until its retention ends.
 */
export function buildDlqRecord(m: FailedMessage, reason: string, error: string, failedAt: Date, maxBytes = DEFAULT_DLQ_MAX_BYTES): DlqRecord {
  const dlq: IHeaders = {
    [HEADERS.dlqTopic]: m.topic,
    [HEADERS.dlqPartition]: String(m.partition),
    [HEADERS.dlqOffset]: m.offset,
    [HEADERS.dlqReason]: reason.slice(0, 100),
    [HEADERS.dlqError]: error.slice(0, 2000),
    [HEADERS.dlqFailedAt]: failedAt.toISOString(),
  };
  // The key is at most a few hundred bytes in the hub; a hostile one is cut like a value.
  const key = m.key !== null && Buffer.byteLength(m.key) > 1024 ? m.key.slice(0, 256) : m.key;
  let headers: IHeaders = { ...dlq };
  const original = m.headers ?? {};
  // A DLQ copy's own x-dlq-* headers replace any the message already had (a replayed letter).
  const kept = Object.fromEntries(Object.entries(original).filter(([k]) => !k.startsWith('x-dlq-')));
  if (headerBytes(kept) <= MAX_KEPT_HEADER_BYTES) headers = { ...kept, ...dlq };
  else headers[HEADERS.dlqHeadersDropped] = String(Object.keys(kept).length);
  const room = maxBytes - headerBytes(headers) - Buffer.byteLength(key ?? '') - 512;
  const value = m.value;
  if (value === null || value.length <= room) return { key, value, headers, truncated: false };
  headers[HEADERS.dlqTruncated] = 'true';
  headers[HEADERS.dlqOriginalBytes] = String(value.length);
  headers[HEADERS.dlqSha256] = createHash('sha256').update(value).digest('hex');
  return { key, value: value.subarray(0, Math.max(0, room)), headers, truncated: true };
}
