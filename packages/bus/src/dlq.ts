import { randomBytes } from 'node:crypto';
import type { IHeaders, KafkaMessage } from 'kafkajs';
import { dlqOf, HEADERS } from '@hub/contracts';
import type { Bus } from './bus.ts';
import { decodeHeaders } from './bus.ts';

/** One dead-lettered message as an operator sees it. */
export interface DeadLetter {
  /** Where it sits in the DLQ. */
  partition: number;
  offset: string;
  key: string | null;
  /** The original bytes, as the failed consumer read them. */
  value: string;
  reason: string | null;
  error: string | null;
  failedAt: string | null;
  /** Where it was consumed from when it failed ("topic/partition/offset"). */
  origin: string | null;
  /** The copy was cut to fit Kafka: `value` is only the first bytes; never replayed. */
  truncated: boolean;
  originalBytes: number | null;
  sha256: string | null;
}

export interface DeadLetterOptions {
  /** The hub topic whose `.dlq` twin to read (unprefixed, e.g. notify.events.v1). */
  topic: string;
  /** At most this many messages (default: all that were there when the call began). */
  limit?: number;
  /** Called for each message in partition order, before it is replayed. */
  onMessage?: (letter: DeadLetter) => void;
  /** Gives up (throwing, with what was done so far) after this long; default 60 s. */
  timeoutMs?: number;
  /**
   * Only the message at this DLQ position, whether or not it was replayed before. A replay
   * of one message does not move the replay group's progress.
   */
  at?: { partition: number; offset: string };
}

export interface DeadLetterRun {
  /** Messages read (listed, or replayed). */
  handled: number;
  /** Messages that were waiting when the call began and were not handled (limit or none). */
  remaining: number;
  /** Truncated copies passed over by a replay (their whole value is only in the source topic). */
  skipped: number;
}

/** The consumer group whose committed offsets say how far the DLQ has been replayed. */
export function replayGroupId(bus: Bus, topic: string): string {
  return bus.topic(`hub.dlq-replay.${topic}`);
}

/**
 * Lists the dead letters of a topic that have not been replayed yet, without changing
 * anything (a throwaway consumer group that never commits).
 */
export function listDeadLetters(bus: Bus, options: DeadLetterOptions): Promise<DeadLetterRun> {
  return readDeadLetters(bus, options, null);
}

/**
 * Publishes the dead letters of a topic back to the topic, unchanged (original key, bytes
 * and headers, minus the x-dlq-* ones, plus x-replayed-from), and commits how far it got in
 * the replay group after Kafka acknowledged each chunk. At least once: a crash between the
 * two replays a chunk again, which the hub's idempotent consumers absorb. Only messages
 * present when the call began are replayed, so a message that fails again and returns to
 * the DLQ waits for the next replay instead of looping.
 */
export function replayDeadLetters(bus: Bus, options: DeadLetterOptions): Promise<DeadLetterRun> {
  return readDeadLetters(bus, options, { target: bus.topic(options.topic) });
}

async function readDeadLetters(bus: Bus, options: DeadLetterOptions, replay: { target: string } | null): Promise<DeadLetterRun> {
  const dlqTopic = bus.topic(dlqOf(options.topic));
  const groupId = replayGroupId(bus, options.topic);
  const admin = bus.admin();
  await admin.connect();
  let start: Map<number, bigint>;
  let end: Map<number, bigint>;
  try {
    const [watermarks, committed] = await Promise.all([
      admin.fetchTopicOffsets(dlqTopic),
      admin.fetchOffsets({ groupId, topics: [dlqTopic] }),
    ]);
    const done = new Map((committed[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
    if (options.at) {
      const { partition, offset } = options.at;
      const w = watermarks.find((x) => x.partition === partition);
      const o = BigInt(offset);
      if (!w || o < BigInt(w.low) || o >= BigInt(w.high)) throw new Error(`no message at ${dlqTopic} partition ${partition} offset ${offset}`);
      start = new Map([[partition, o]]);
      end = new Map([[partition, o + 1n]]);
    } else {
      start = new Map(watermarks.map((w) => {
        const low = BigInt(w.low);
        const at = done.get(w.partition) ?? -1n;
        return [w.partition, at > low ? at : low];
      }));
      end = new Map(watermarks.map((w) => [w.partition, BigInt(w.high)]));
    }
  } finally {
    await admin.disconnect();
  }
  const waiting = [...end].reduce((sum, [p, high]) => sum + (high > start.get(p)! ? high - start.get(p)! : 0n), 0n);
  const limit = BigInt(Math.max(0, options.limit ?? Number.MAX_SAFE_INTEGER));
  const wanted = waiting < limit ? waiting : limit;
  if (wanted === 0n) return { handled: 0, remaining: Number(waiting), skipped: 0 };
  // One message is read by a throwaway group too (its position is given), and a replay of it
  // commits nothing: the replay group's progress stays where the sequential replay left it.
  const commitProgress = replay !== null && !options.at;

  // Replay uses the replay group (its committed offsets are the progress); a listing uses a
  // group of its own that never commits, and skips what the replay group has passed.
  const consumer = bus.kafka.consumer({
    groupId: commitProgress ? groupId : `${groupId}.read-${randomBytes(4).toString('hex')}`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
  });
  let handled = 0n;
  let skipped = 0;
  // Next offset to handle per partition: a partition is finished at its start-time high watermark.
  const next = new Map(start);
  const finished = () => handled >= wanted || [...end].every(([p, high]) => next.get(p)! >= high);
  let settle!: (err?: unknown) => void;
  const settled = new Promise<void>((resolve, reject) => (settle = (err) => (err === undefined ? resolve() : reject(err))));
  const timeoutMs = options.timeoutMs ?? 60_000;
  const timer = setTimeout(() => settle(new Error(`DLQ ${dlqTopic}: gave up after ${timeoutMs} ms with ${handled} of ${wanted} handled`)), timeoutMs);
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: dlqTopic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset, isRunning, isStale }) => {
        const high = end.get(batch.partition) ?? 0n;
        const from = next.get(batch.partition) ?? 0n;
        const chosen: KafkaMessage[] = [];
        let passed: string | null = null;
        for (const m of batch.messages) {
          const offset = BigInt(m.offset);
          if (offset >= high || handled + BigInt(chosen.length) >= wanted) break;
          if (offset >= from) chosen.push(m);
          passed = m.offset;
        }
        if (!isRunning() || isStale()) return;
        if (chosen.length > 0) {
          const letters = chosen.map((m) => ({ m, letter: toDeadLetter(batch.partition, m) }));
          for (const { letter } of letters) options.onMessage?.(letter);
          const last = chosen[chosen.length - 1]!;
          const whole = letters.filter(({ letter }) => !letter.truncated).map(({ m }) => m);
          if (replay) skipped += letters.length - whole.length;
          if (replay) {
            await bus.sendRaw(replay.target, whole.map((m) => ({
              key: m.key ? m.key.toString('utf8') : null,
              value: m.value ?? null,
              headers: replayedHeaders(m.headers, `${dlqTopic}/${batch.partition}/${m.offset}`),
            })));
            if (commitProgress) await consumer.commitOffsets([{ topic: dlqTopic, partition: batch.partition, offset: String(BigInt(last.offset) + 1n) }]);
          }
          next.set(batch.partition, BigInt(last.offset) + 1n);
          handled += BigInt(chosen.length);
        }
        // Skipped messages (already replayed, for a listing) are passed too, or kafkajs fetches them again.
        if (passed !== null) resolveOffset(passed);
        if (finished()) settle();
      },
    });
    await settled;
  } finally {
    clearTimeout(timer);
    await consumer.disconnect().catch(() => undefined);
  }
  return { handled: Number(handled), remaining: Number(waiting - handled), skipped };
}

function toDeadLetter(partition: number, m: KafkaMessage): DeadLetter {
  const h = decodeHeaders(m.headers);
  const origin = h[HEADERS.dlqTopic] !== undefined ? `${h[HEADERS.dlqTopic]}/${h[HEADERS.dlqPartition] ?? '?'}/${h[HEADERS.dlqOffset] ?? '?'}` : null;
  return {
    partition,
    offset: m.offset,
    key: m.key ? m.key.toString('utf8') : null,
    value: m.value ? m.value.toString('utf8') : '',
    reason: h[HEADERS.dlqReason] ?? null,
    error: h[HEADERS.dlqError] ?? null,
    failedAt: h[HEADERS.dlqFailedAt] ?? null,
    origin,
    truncated: h[HEADERS.dlqTruncated] === 'true',
    originalBytes: h[HEADERS.dlqOriginalBytes] !== undefined ? Number(h[HEADERS.dlqOriginalBytes]) : null,
    sha256: h[HEADERS.dlqSha256] ?? null,
  };
}

const DLQ_HEADERS = new Set<string>([
  HEADERS.dlqError, HEADERS.dlqReason, HEADERS.dlqTopic, HEADERS.dlqPartition, HEADERS.dlqOffset, HEADERS.dlqFailedAt,
  HEADERS.dlqTruncated, HEADERS.dlqOriginalBytes, HEADERS.dlqSha256, HEADERS.dlqHeadersDropped, HEADERS.replayedFrom,
]);

/** The original headers without the DLQ's own, plus where the replay came from. */
function replayedHeaders(headers: IHeaders | undefined, from: string): IHeaders {
  const out: IHeaders = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (!DLQ_HEADERS.has(name) && value !== undefined) out[name] = value;
  }
  out[HEADERS.replayedFrom] = from;
  return out;
}
