import kafkajs from 'kafkajs';
import type { Consumer, IHeaders, KafkaMessage, Producer, Admin, Kafka as KafkaClient } from 'kafkajs';
import type { z } from 'zod';
import type { Logger } from '@hub/logger';
import { dlqOf, findUnstorable, prefixed } from '@hub/contracts';
import { classifyFailure, describeError, PoisonMessageError } from './errors.ts';
import type { ConsumedMessage, ConsumerSpec, Headers, OutgoingMessage, RunningConsumer } from './types.ts';
import { toKafkaLogCreator } from './kafka-log.ts';
import { buildDlqRecord, DEFAULT_DLQ_MAX_BYTES, MINIMAL_DLQ_VALUE_BYTES, type FailedMessage } from './dlq-record.ts';

const { Kafka, CompressionTypes, Partitioners } = kafkajs;

export interface BusOptions {
  clientId: string;
  brokers: string[];
  topicPrefix?: string;
  logger: Logger;
  /** Consumer session timeout: how soon a crashed member's partitions move (default 10 s). */
  sessionTimeoutMs?: number;
  /** Called after each committed chunk with the partition's remaining lag (metrics). */
  onLag?: (lag: ConsumerLag) => void;
  /**
   * How long the broker holds a fetch that found nothing (default 100 ms). Data is returned
   * as soon as it arrives whatever this is: a longer wait costs no latency, only fewer idle
   * fetch requests (broker CPU), while heartbeats and rebalances are noticed up to this late.
   */
  fetchMaxWaitMs?: number;
  /** Largest DLQ record written (key + value + headers); a larger value is truncated (default 1,000,000). */
  dlqMaxBytes?: number;
  /** Called once per message dead-lettered (metrics). */
  onDeadLetter?: (letter: { topic: string; reason: string; truncated: boolean }) => void;
}

export interface ConsumerLag {
  groupId: string;
  topic: string;
  partition: number;
  /** Messages after the last committed offset, up to the high watermark of the fetched batch. */
  lag: number;
}

type RawMessage = { key: string | null; value: string | Buffer | null; headers: Headers | IHeaders };
interface PendingWrite {
  topic: string;
  messages: RawMessage[];
  bytes: number;
  resolve(): void;
  reject(err: unknown): void;
}
/** Upper bound of one coalesced produce request, in messages. */
const MAX_COALESCED_MESSAGES = 2_000;
/**
 * And in bytes: kafkajs does not split a request, and records for one partition form one
 * batch that the broker refuses whole over max.message.bytes (1 MiB by default). Callers'
 * writes are merged only up to this; one caller's own list is sent as it is.
 */
const MAX_COALESCED_BYTES = 512 * 1024;

function rawBytes(messages: RawMessage[]): number {
  let n = 0;
  for (const m of messages) {
    n += (m.key ? Buffer.byteLength(m.key) : 0) + (m.value === null ? 0 : typeof m.value === 'string' ? Buffer.byteLength(m.value) : m.value.length) + 64;
  }
  return n;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The hub's only door to Kafka. It hides kafkajs behind typed, validated publish and
 * consume calls, so another client could replace it without touching a service.
 */
export class Bus {
  readonly kafka: KafkaClient;
  readonly prefix: string;
  private readonly log: Logger;
  private producerPromise: Promise<Producer> | null = null;
  private readonly consumers = new Set<Consumer>();
  private closed = false;

  constructor(private readonly options: BusOptions) {
    this.prefix = options.topicPrefix ?? '';
    this.log = options.logger.child({ component: 'bus' });
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logCreator: toKafkaLogCreator(this.log),
      retry: { initialRetryTime: 200, maxRetryTime: 5_000, retries: 8 },
      connectionTimeout: 3_000,
      requestTimeout: 30_000,
    });
  }

  /** Full topic name (with the deployment's prefix). */
  topic(name: string): string {
    return prefixed(this.prefix, name);
  }

  admin(): Admin {
    return this.kafka.admin();
  }

  private producer(): Promise<Producer> {
    if (!this.producerPromise) {
      const producer = this.kafka.producer({
        idempotent: true,
        maxInFlightRequests: 1,
        allowAutoTopicCreation: false,
        // murmur2 keyed partitioning, as the Java client: other producers agree on a key's partition.
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      this.producerPromise = producer.connect().then(
        () => producer,
        (err: unknown) => {
          this.producerPromise = null;
          throw err;
        },
      );
    }
    return this.producerPromise;
  }

  /**
   * Validates every message against the topic's schema, then writes them with acks from all
   * in-sync replicas. Resolves only once Kafka acknowledged.
   */
  async publish<S extends z.ZodType>(topic: string, schema: S, messages: OutgoingMessage<z.input<S>>[]): Promise<void> {
    if (messages.length === 0) return;
    const encoded = messages.map((m) => ({
      key: m.key,
      value: JSON.stringify(schema.parse(m.value)),
      headers: m.headers ?? {},
    }));
    await this.sendRaw(this.topic(topic), encoded);
  }

  /**
   * Writes already-serialised messages to a full topic name (used by the scheduler and DLQ).
   * Calls made while a write is in flight are coalesced into the next write (one request for
   * many callers: the gateway and the webhooks publish per HTTP request). Each caller still
   * resolves only once Kafka acknowledged its own messages, and rejects if that write failed.
   */
  sendRaw(fullTopic: string, messages: RawMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      this.outbox.push({ topic: fullTopic, messages, bytes: rawBytes(messages), resolve, reject });
      if (!this.writing) void this.drainOutbox();
    });
  }

  private readonly outbox: PendingWrite[] = [];
  private writing = false;

  private async drainOutbox(): Promise<void> {
    this.writing = true;
    try {
      while (this.outbox.length > 0) {
        // Take whole callers' writes up to the cap (one caller's list is never split).
        const batch: PendingWrite[] = [];
        let count = 0;
        let bytes = 0;
        while (this.outbox.length > 0 && (batch.length === 0 || (
          count + this.outbox[0]!.messages.length <= MAX_COALESCED_MESSAGES && bytes + this.outbox[0]!.bytes <= MAX_COALESCED_BYTES))) {
          const next = this.outbox.shift()!;
          count += next.messages.length;
          bytes += next.bytes;
          batch.push(next);
        }
        const byTopic = new Map<string, RawMessage[]>();
        for (const w of batch) {
          const list = byTopic.get(w.topic);
          if (list) list.push(...w.messages);
          else byTopic.set(w.topic, [...w.messages]);
        }
        try {
          const producer = await this.producer();
          await producer.sendBatch({
            acks: -1,
            compression: CompressionTypes.None,
            topicMessages: [...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })),
          });
          for (const w of batch) w.resolve();
        } catch (err) {
          for (const w of batch) w.reject(err);
        }
      }
    } finally {
      this.writing = false;
    }
  }

  /** Starts a consumer; offsets are committed only after `handleBatch` resolves. */
  async consume<S extends z.ZodType>(spec: ConsumerSpec<S>): Promise<RunningConsumer> {
    const consumer = this.kafka.consumer({
      groupId: this.topic(spec.groupId),
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: this.options.fetchMaxWaitMs ?? 100,
      sessionTimeout: this.options.sessionTimeoutMs ?? 10_000,
      heartbeatInterval: Math.max(500, Math.floor((this.options.sessionTimeoutMs ?? 10_000) / 10)),
      retry: { initialRetryTime: 300, maxRetryTime: 5_000, retries: 10, restartOnFailure: async () => !this.closed },
    });
    this.consumers.add(consumer);
    let markReady: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (markReady = resolve));
    consumer.on(consumer.events.GROUP_JOIN, () => markReady());
    let replacement: RunningConsumer | null = null;
    // kafkajs gives up on a non-retriable crash (e.g. a commit after the group moved on):
    // never leave a partition unconsumed, start a fresh consumer in the same group.
    consumer.on(consumer.events.CRASH, (event) => {
      if (event.payload.restart || this.closed || !this.consumers.has(consumer)) return;
      this.log.error({ err: describeError(event.payload.error), groupId: spec.groupId }, 'consumer crashed; starting a new one');
      this.consumers.delete(consumer);
      void consumer.disconnect().catch(() => undefined).then(async () => {
        await sleep(1_000);
        if (this.closed) return;
        replacement = await this.consume(spec).catch((err: unknown) => {
          this.log.error({ err: describeError(err) }, 'restarting the consumer failed');
          return null;
        });
      });
    });
    await consumer.connect();
    const fullTopic = this.topic(spec.topic);
    await consumer.subscribe({ topics: [fullTopic], fromBeginning: spec.fromBeginning ?? true });
    const maxBatch = spec.maxBatchSize ?? 200;

    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: spec.partitionsConsumedConcurrently ?? 1,
      eachBatch: async ({ batch, resolveOffset, heartbeat, isRunning, isStale }) => {
        const ctx = { heartbeat };
        const stillOwned = () => isRunning() && !isStale();
        for (let i = 0; i < batch.messages.length; i += maxBatch) {
          if (!isRunning() || isStale()) return;
          const chunk = batch.messages.slice(i, i + maxBatch);
          const valid: ConsumedMessage<z.infer<S>>[] = [];
          for (const raw of chunk) {
            const parsed = this.decode(batch.topic, batch.partition, raw, spec.schema);
            if (parsed.ok) valid.push(parsed.message);
            else await this.deadLetter(this.failed(batch.topic, batch.partition, raw), parsed.reason, parsed.error, ctx, stillOwned);
          }
          if (valid.length > 0) {
            await this.handleWithRetry(spec, valid, ctx, stillOwned);
          }
          const last = chunk[chunk.length - 1]!;
          // Invariant 4: commit only after the handler's DB transaction has committed.
          await consumer.commitOffsets([
            { topic: batch.topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
          ]);
          resolveOffset(last.offset);
          this.reportLag(spec.groupId, batch.topic, batch.partition, batch.highWatermark, last.offset);
          await heartbeat();
        }
      },
    });
    return {
      ready,
      stop: async () => {
        this.consumers.delete(consumer);
        await consumer.disconnect();
        await replacement?.stop();
      },
    };
  }

  private reportLag(groupId: string, topic: string, partition: number, highWatermark: string, lastOffset: string): void {
    if (!this.options.onLag) return;
    const lag = Number(BigInt(highWatermark) - BigInt(lastOffset) - 1n);
    try {
      this.options.onLag({ groupId, topic, partition, lag: Math.max(0, lag) });
    } catch {
      // a metrics hook never breaks consumption
    }
  }

  private decode<S extends z.ZodType>(
    topic: string,
    partition: number,
    raw: KafkaMessage,
    schema: S,
  ): { ok: true; message: ConsumedMessage<z.infer<S>> } | { ok: false; reason: string; error: string } {
    if (!raw.value) return { ok: false, reason: 'empty_value', error: 'message has no value' };
    let json: unknown;
    try {
      json = JSON.parse(raw.value.toString('utf8'));
    } catch (err) {
      return { ok: false, reason: 'invalid_json', error: describeError(err) };
    }
    const result = schema.safeParse(json);
    if (!result.success) {
      const detail = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
      return { ok: false, reason: 'schema_violation', error: detail };
    }
    // Valid by the schema but not storable (NUL, lone surrogate, nesting): PostgreSQL would
    // refuse it on every attempt, so it is dead-lettered here, before any handler runs.
    const unstorable = findUnstorable(result.data);
    if (unstorable) return { ok: false, reason: 'unstorable_value', error: `${unstorable.path || '(root)'}: ${unstorable.problem}` };
    const message: ConsumedMessage<z.infer<S>> = {
      topic,
      partition,
      offset: raw.offset,
      key: raw.key ? raw.key.toString('utf8') : null,
      value: result.data,
      headers: decodeHeaders(raw.headers),
      timestamp: raw.timestamp,
    };
    this.originals.set(message, raw.value);
    return { ok: true, message };
  }

  /** The consumed bytes of each decoded message, for dead-lettering it unchanged. */
  private readonly originals = new WeakMap<object, Buffer>();

  private async handleWithRetry<S extends z.ZodType>(
    spec: ConsumerSpec<S>,
    messages: ConsumedMessage<z.infer<S>>[],
    ctx: { heartbeat(): Promise<void> },
    stillOwned: () => boolean,
  ): Promise<void> {
    let delay = 200;
    for (;;) {
      try {
        await withHeartbeats(ctx, () => spec.handleBatch(messages, ctx));
        return;
      } catch (err) {
        const kind = classifyFailure(err);
        if (kind === 'transient') {
          this.log.warn({ err: describeError(err), topic: messages[0]?.topic, delayMs: delay }, 'transient failure, retrying batch');
          await this.pause(delay, ctx, stillOwned);
          delay = Math.min(delay * 2, 10_000);
          continue;
        }
        // Poison or unknown: isolate message by message so one bad message cannot stall the rest.
        for (const message of messages) await this.handleOne(spec, message, ctx, stillOwned);
        return;
      }
    }
  }

  private async handleOne<S extends z.ZodType>(
    spec: ConsumerSpec<S>,
    message: ConsumedMessage<z.infer<S>>,
    ctx: { heartbeat(): Promise<void> },
    stillOwned: () => boolean,
  ): Promise<void> {
    const maxUnknown = spec.maxUnknownAttempts ?? 8;
    let unknownAttempts = 0;
    let delay = 200;
    for (;;) {
      try {
        await withHeartbeats(ctx, () => spec.handleBatch([message], ctx));
        return;
      } catch (err) {
        const kind = classifyFailure(err);
        if (kind === 'poison' || (kind === 'unknown' && ++unknownAttempts >= maxUnknown)) {
          const reason = err instanceof PoisonMessageError ? err.reason : kind === 'poison' ? 'refused' : 'handler_error';
          await this.deadLetter({
            topic: message.topic, partition: message.partition, offset: message.offset, key: message.key,
            // the bytes as consumed, not a re-serialisation of the parsed value
            value: this.originals.get(message) ?? Buffer.from(JSON.stringify(message.value)),
            headers: message.headers,
          }, reason, describeError(err), ctx, stillOwned);
          return;
        }
        this.log.warn({ err: describeError(err), kind, offset: message.offset, delayMs: delay }, 'message failed, retrying');
        await this.pause(delay, ctx, stillOwned);
        // An error of unknown kind gets ~20 s of tries (heartbeating, so no eviction): long enough
        // to ride out an outage whose errors carry no known code (a PostgreSQL restart), short
        // enough that a bug does not hold the partition for long. Known poison skips this.
        delay = Math.min(delay * 2, 10_000);
      }
    }
  }

  /**
   * Waits `ms` in slices of at most one second, heartbeating after each, so a long backoff
   * never lets the session time out (an evicted member's commit fails and the batch comes
   * back: that was the permanent loop of issue 11).
   */
  private async pause(ms: number, ctx: { heartbeat(): Promise<void> }, stillOwned: () => boolean): Promise<void> {
    const until = Date.now() + ms;
    for (;;) {
      const left = until - Date.now();
      if (left > 0) await sleep(Math.min(left, 1_000));
      if (!stillOwned()) throw new Error('partition revoked or consumer stopping; the batch will be redelivered');
      await ctx.heartbeat().catch(() => undefined);
      if (left <= 1_000) return;
    }
  }

  private failed(topic: string, partition: number, raw: KafkaMessage): FailedMessage {
    return { topic, partition, offset: raw.offset, key: raw.key ? raw.key.toString('utf8') : null, value: raw.value ?? null, headers: raw.headers };
  }

  /**
   * Writes the DLQ copy of a failed message. Never throws for the message's sake: a copy the
   * broker refuses (too large for that topic) is replaced by a smaller one; while Kafka is
   * unavailable it waits with heartbeats, in place, like any transient failure.
   */
  private async deadLetter(m: FailedMessage, reason: string, error: string, ctx: { heartbeat(): Promise<void> }, stillOwned: () => boolean): Promise<void> {
    let budget = this.options.dlqMaxBytes ?? DEFAULT_DLQ_MAX_BYTES;
    let delay = 200;
    for (;;) {
      const record = buildDlqRecord(m, reason, error, new Date(), budget);
      try {
        await this.sendRaw(dlqOf(m.topic), [{ key: record.key, value: record.value, headers: record.headers }]);
        this.log.error({ topic: m.topic, partition: m.partition, offset: m.offset, reason, error, truncated: record.truncated }, 'message dead-lettered');
        try {
          this.options.onDeadLetter?.({ topic: m.topic, reason, truncated: record.truncated });
        } catch {
          // a metrics hook never breaks consumption
        }
        return;
      } catch (err) {
        const kind = classifyFailure(err);
        if (kind === 'poison' && budget > MINIMAL_DLQ_VALUE_BYTES) {
          this.log.warn({ err: describeError(err), topic: m.topic, offset: m.offset }, 'DLQ copy refused; sending a smaller one');
          budget = MINIMAL_DLQ_VALUE_BYTES;
          continue;
        }
        if (kind === 'poison') {
          // Even 64 KiB refused: the DLQ topic is misconfigured. The message stays in its source
          // topic at this offset; the log line says where, and consumption goes on.
          this.log.error({ err: describeError(err), topic: m.topic, partition: m.partition, offset: m.offset, reason, error }, 'DLQ refused the message; it is left in its source topic');
          return;
        }
        this.log.warn({ err: describeError(err), topic: m.topic, offset: m.offset, delayMs: delay }, 'DLQ write failed, retrying');
        await this.pause(delay, ctx, stillOwned);
        delay = Math.min(delay * 2, 5_000);
      }
    }
  }

  /** Stops every consumer (waiting for in-flight batches) and then the producer. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.consumers].map((c) => c.disconnect()));
    this.consumers.clear();
    if (this.producerPromise) {
      const producer = await this.producerPromise.catch(() => null);
      this.producerPromise = null;
      await producer?.disconnect();
    }
  }
}

/** Keeps the group membership alive while a long batch runs (kafkajs only heartbeats when asked). */
async function withHeartbeats<T>(ctx: { heartbeat(): Promise<void> }, fn: () => Promise<T>): Promise<T> {
  const timer = setInterval(() => void ctx.heartbeat().catch(() => undefined), 1_000);
  try {
    return await fn();
  } finally {
    clearInterval(timer);
  }
}

export function decodeHeaders(headers: IHeaders | undefined): Headers {
  const out: Headers = {};
  if (!headers) return out;
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined) continue;
    const first = Array.isArray(v) ? v[0] : v;
    if (first !== undefined) out[k] = Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
  }
  return out;
}
