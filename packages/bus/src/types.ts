import type { z } from 'zod';

export type Headers = Record<string, string>;

export interface OutgoingMessage<T> {
  key: string | null;
  value: T;
  headers?: Headers;
}

export interface ConsumedMessage<T> {
  topic: string;
  partition: number;
  offset: string;
  key: string | null;
  value: T;
  headers: Headers;
  timestamp: string;
}

export interface ConsumerContext {
  /** Keep the group membership alive during long work. */
  heartbeat(): Promise<void>;
}

export interface ConsumerSpec<S extends z.ZodType> {
  groupId: string;
  /** Topic name without prefix. */
  topic: string;
  schema: S;
  /**
   * Handles a batch of valid messages from one partition, in offset order. Offsets are
   * committed only after it resolves: do the DB transaction inside.
   */
  handleBatch(messages: ConsumedMessage<z.infer<S>>[], ctx: ConsumerContext): Promise<void>;
  /** Max messages handed to one handleBatch call (default 200). */
  maxBatchSize?: number;
  /** Partitions processed concurrently by this instance (default 1). */
  partitionsConsumedConcurrently?: number;
  /** Attempts for an error of unknown kind before the message is dead-lettered (default 8, about 20 s of backoff). */
  maxUnknownAttempts?: number;
  fromBeginning?: boolean;
}

export interface RunningConsumer {
  /** Resolves once the consumer has joined its group and been assigned partitions. */
  ready: Promise<void>;
  stop(): Promise<void>;
}
