/**
 * What a consumer does with a failed message is decided by the error's class alone:
 * - PoisonMessageError: the message itself is bad; send it to the DLQ at once.
 * - TransientError / a recognised infrastructure error: retry in place, never DLQ.
 * - anything else: retry a few times in isolation, then DLQ (a bug must not stall a partition).
 */
export class PoisonMessageError extends Error {
  readonly reason: string;
  constructor(reason: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PoisonMessageError';
    this.reason = reason;
  }
}

export class TransientError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TransientError';
  }
}

export type FailureKind = 'transient' | 'poison' | 'unknown';

/**
 * PostgreSQL refusing the data itself: the same message fails the same way every time.
 * Class 22 (data exception: NUL or untranslatable characters, dates or numbers out of
 * range, invalid text representation, value too long), class 54 (program limit exceeded:
 * JSON nested too deep, statement too complex), and the integrity checks that depend only
 * on the row (NOT NULL, CHECK). Unique and foreign-key violations are left unknown: they can
 * come from a race with another writer and succeed on a retry.
 */
function isPoisonSqlState(code: string): boolean {
  return /^(22|54)[0-9A-Z]{3}$/.test(code) || code === '23502' || code === '23514';
}

/** Prisma's codes for a value the database cannot hold (too long, out of range, invalid). */
const POISON_PRISMA_CODES = new Set(['P2000', 'P2006', 'P2007', 'P2019', 'P2020', 'P2023', 'P2033']);
/** Driver-adapter kinds that adapter-pg maps class-22 SQLSTATEs to. */
const POISON_ADAPTER_KINDS = new Set(['LengthMismatch', 'ValueOutOfRange', 'InvalidInputValue', 'NullConstraintViolation']);
/** Kafka refusing a record for what it is (size, format), not for the broker's state. */
const POISON_KAFKA_TYPES = new Set(['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE', 'INVALID_RECORD']);

/** PostgreSQL SQLSTATEs and socket errors that mean "try again later", not "bad message". */
const TRANSIENT_CODES = new Set([
  // sockets
  'ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  // PostgreSQL: connection exceptions, shutdown, too many connections, serialization, deadlock
  '08000', '08001', '08003', '08004', '08006', '57P01', '57P02', '57P03', '53300', '40001', '40P01',
  // 55000 here means "database is not currently accepting connections" (maintenance mode);
  // the hub's own statements raise no other object_not_in_prerequisite_state error.
  '55000',
  // Prisma: can't reach / closed / timed out / pool timeout / transaction conflict
  'P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2034',
]);

const TRANSIENT_NAMES = new Set([
  'TransientError',
  'KafkaJSConnectionError',
  'KafkaJSNumberOfRetriesExceeded',
  'KafkaJSRequestTimeoutError',
  'KafkaJSConnectionClosedError',
  'KafkaJSNotImplemented',
  'KafkaJSBrokerNotFound',
  'KafkaJSLockTimeout',
  'KafkaJSProtocolError',
  'KafkaJSMetadataNotLoaded',
]);

/**
 * node-postgres (under @prisma/adapter-pg) reports a lost or unobtainable connection as a bare
 * Error with no code: the server was killed or restarted mid-statement, or the pool could not
 * connect in time. Matched by the exact messages pg and pg-pool raise (pg 8), never by a pattern.
 */
const TRANSIENT_PG_MESSAGES = new Set([
  'Connection terminated unexpectedly',
  'Connection terminated',
  'Connection terminated due to connection timeout',
  'timeout exceeded when trying to connect',
  'timeout expired',
  'Query read timeout',
  'Client has encountered a connection error and is not queryable',
]);

/** Walks an error and its causes (and Prisma driver-adapter wrappers) looking for a known code. */
export function classifyFailure(err: unknown): FailureKind {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length > 0) {
    const current = queue.shift();
    if (current === null || typeof current !== 'object' || seen.has(current)) continue;
    seen.add(current);
    if (current instanceof PoisonMessageError) return 'poison';
    const record = current as Record<string, unknown>;
    if (isPoisonRecord(record)) return 'poison';
    if (typeof record.name === 'string' && TRANSIENT_NAMES.has(record.name)) {
      if (record.name !== 'KafkaJSProtocolError' || record.retriable === true) return 'transient';
    }
    if (typeof record.code === 'string' && TRANSIENT_CODES.has(record.code)) return 'transient';
    if (typeof record.originalCode === 'string' && TRANSIENT_CODES.has(record.originalCode)) return 'transient';
    if (current instanceof Error && current.constructor === Error && record.code === undefined && TRANSIENT_PG_MESSAGES.has(current.message)) return 'transient';
    if (record.kind === 'postgres' || record.kind === 'DatabaseNotReachable' || record.kind === 'ConnectionClosed' || record.kind === 'SocketTimeout') {
      if (record.kind !== 'postgres') return 'transient';
    }
    queue.push(record.cause, record.meta, record.error, record.originalError);
    const meta = record.meta as Record<string, unknown> | undefined;
    if (meta && typeof meta === 'object') queue.push(meta.driverAdapterError);
  }
  return 'unknown';
}

function isPoisonRecord(record: Record<string, unknown>): boolean {
  for (const code of [record.code, record.originalCode]) {
    if (typeof code === 'string' && (isPoisonSqlState(code) || POISON_PRISMA_CODES.has(code))) return true;
  }
  if (typeof record.kind === 'string' && POISON_ADAPTER_KINDS.has(record.kind)) return true;
  if (record.name === 'KafkaJSProtocolError' && typeof record.type === 'string' && POISON_KAFKA_TYPES.has(record.type)) return true;
  // Deterministic JavaScript refusals of a value: an invalid Date, a string too long to build,
  // recursion on a deeply nested value. Never infrastructure.
  return record.name === 'RangeError' && record.constructor === RangeError;
}

export function describeError(err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 2000);
  return String(err).slice(0, 2000);
}
