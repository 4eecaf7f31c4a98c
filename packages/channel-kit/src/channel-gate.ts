import { hostname } from 'node:os';
import { TransientError } from '@hub/bus';
import { Counter, Gauge, type Registry } from 'prom-client';
import { sharedMetric } from './consumer.ts';

/**
 * A channel's circuit for provider-wide failures (bad credentials, a suspended account, an
 * unknown sender, a rate limit, the provider unreachable): such an error says nothing about
 * the message, so it must not fail the message — one bad credential rotation would otherwise
 * fail the whole backlog. The adapter reports it here and holds the request; the gate closes
 * for a while (the provider's Retry-After when it gives one, else 5 s doubling per failed
 * probe up to 5 min), then lets one request through as a probe: its success (or any
 * message-specific answer, which proves the provider is reachable and takes our credentials)
 * opens the gate for every held request; another provider-wide failure closes it again.
 *
 * Held requests wait inside their Kafka batch (the bus heartbeats meanwhile), so nothing is
 * written per held message and their order is kept; on shutdown the waits end with a
 * TransientError: the batch is not committed and comes back to the next consumer.
 */

export interface GateState {
  channel: string;
  paused: boolean;
  /** Closed code of the provider-wide failure (e.g. auth_failed), when paused. */
  code: string | null;
  reason: string | null;
  since: Date | null;
  /** When the next probe may go. */
  until: Date | null;
  /** Failed probes in a row (1 on the first failure). */
  failures: number;
}

export interface ChannelGateOptions {
  channel: string;
  metrics?: Registry;
  /** First pause (default 5 s); doubles per failed probe. */
  initialPauseMs?: number;
  /** Longest pause (default 5 min). */
  maxPauseMs?: number;
  /** A probe that reports nothing for this long lets another one go (default 60 s). */
  probeTimeoutMs?: number;
  now?: () => number;
  /** Told of every change (pause, longer pause, resume); errors are ignored. */
  onChange?: (state: GateState) => unknown;
}

export class ChannelClosedError extends TransientError {
  constructor(channel: string) {
    // keeps the name TransientError: the bus classifies failures by name (retry, never DLQ)
    super(`the ${channel} channel is stopping; the held request will be redelivered`);
  }
}

interface Waiter {
  resolve: () => void;
  reject: (err: Error) => void;
}

export class ChannelGate {
  private readonly channel: string;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly probeTimeoutMs: number;
  private readonly now: () => number;
  private readonly onChange: ((state: GateState) => unknown) | undefined;
  private paused = false;
  private code: string | null = null;
  private reason: string | null = null;
  private since = 0;
  private until = 0;
  private failures = 0;
  private probeSince: number | null = null;
  private closed = false;
  private waiters: Waiter[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly pausedGauge: Gauge<'channel'> | null;
  private readonly heldGauge: Gauge<'channel'> | null;
  private readonly pauses: Counter<'channel' | 'code'> | null;

  constructor(options: ChannelGateOptions) {
    this.channel = options.channel;
    this.initialMs = options.initialPauseMs ?? 5_000;
    this.maxMs = options.maxPauseMs ?? 300_000;
    this.probeTimeoutMs = options.probeTimeoutMs ?? 60_000;
    this.now = options.now ?? Date.now;
    this.onChange = options.onChange;
    const registry = options.metrics;
    this.pausedGauge = registry ? gauge(registry, 'hub_channel_paused', 'Whether the channel is paused by a provider-wide failure (1) or open (0)') : null;
    this.heldGauge = registry ? gauge(registry, 'hub_channel_held_requests', 'Delivery requests held while the channel is paused') : null;
    this.pauses = registry ? pauseCounter(registry) : null;
    this.pausedGauge?.set({ channel: this.channel }, 0);
    this.heldGauge?.set({ channel: this.channel }, 0);
  }

  /** Resolves when a provider call may go; undefined (no wait) while the gate is open. */
  pass(): Promise<void> | undefined {
    if (this.closed) return Promise.reject(new ChannelClosedError(this.channel));
    if (!this.paused) return undefined;
    const now = this.now();
    if (now >= this.until && (this.probeSince === null || now - this.probeSince >= this.probeTimeoutMs)) {
      this.probeSince = now;
      return undefined;
    }
    return new Promise<void>((resolve, reject) => {
      this.waiters.push({ resolve, reject });
      this.heldGauge?.set({ channel: this.channel }, this.waiters.length);
      this.arm();
    });
  }

  /** The provider answered about the message itself (accepted it or refused it): open. */
  succeeded(): void {
    if (!this.paused) return;
    this.paused = false;
    this.failures = 0;
    this.probeSince = null;
    this.code = null;
    this.reason = null;
    this.disarm();
    const waiters = this.waiters;
    this.waiters = [];
    this.heldGauge?.set({ channel: this.channel }, 0);
    this.pausedGauge?.set({ channel: this.channel }, 0);
    for (const w of waiters) w.resolve();
    this.changed();
  }

  /**
   * A provider-wide failure: pause. While already paused, only the probe's failure lengthens
   * the pause (requests that were in flight when it began report the same outage).
   */
  failed(failure: { code: string; reason: string; retryAfterMs?: number | null | undefined }): void {
    const now = this.now();
    if (this.paused && this.probeSince === null) return;
    this.failures = this.paused ? this.failures + 1 : 1;
    // The provider's own wait (a rate limit's Retry-After) when it gives one; else a backoff.
    const wait = failure.retryAfterMs != null && failure.retryAfterMs > 0
      ? Math.min(this.maxMs, failure.retryAfterMs)
      : Math.min(this.maxMs, this.initialMs * 2 ** (this.failures - 1));
    if (!this.paused) {
      this.since = now;
      this.pausedGauge?.set({ channel: this.channel }, 1);
    }
    this.paused = true;
    this.code = failure.code;
    this.reason = failure.reason;
    this.until = now + wait;
    this.probeSince = null;
    this.pauses?.inc({ channel: this.channel, code: failure.code });
    this.arm();
    this.changed();
  }

  state(): GateState {
    return {
      channel: this.channel, paused: this.paused, code: this.code, reason: this.reason,
      since: this.paused ? new Date(this.since) : null, until: this.paused ? new Date(this.until) : null, failures: this.failures,
    };
  }

  /** Number of requests waiting for the gate. */
  get held(): number {
    return this.waiters.length;
  }

  /** Ends every wait with ChannelClosedError (shutdown). */
  close(): void {
    this.closed = true;
    this.disarm();
    const waiters = this.waiters;
    this.waiters = [];
    this.heldGauge?.set({ channel: this.channel }, 0);
    for (const w of waiters) w.reject(new ChannelClosedError(this.channel));
  }

  /** Wakes one waiter as the probe when the pause (or a silent probe) is over. */
  private arm(): void {
    if (this.timer || this.waiters.length === 0) return;
    const now = this.now();
    const probeFree = this.probeSince === null ? now : this.probeSince + this.probeTimeoutMs;
    const at = Math.max(this.until, probeFree);
    this.timer = setTimeout(() => {
      this.timer = null;
      if (!this.paused || this.closed) return;
      const t = this.now();
      if (t >= this.until && (this.probeSince === null || t - this.probeSince >= this.probeTimeoutMs)) {
        const next = this.waiters.shift();
        this.heldGauge?.set({ channel: this.channel }, this.waiters.length);
        if (next) {
          this.probeSince = t;
          next.resolve();
        }
      }
      this.arm();
    }, Math.max(0, at - now) + 1);
    this.timer.unref();
  }

  private disarm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  private changed(): void {
    try {
      const result = this.onChange?.(this.state());
      if (result instanceof Promise) result.catch(() => undefined);
    } catch {
      // a listener never breaks the gate
    }
  }
}

function gauge(registry: Registry, name: string, help: string): Gauge<'channel'> {
  return sharedMetric(registry, name, () => new Gauge({ name, help, labelNames: ['channel'] as const, registers: [registry] }));
}

function pauseCounter(registry: Registry): Counter<'channel' | 'code'> {
  return sharedMetric(registry, 'hub_channel_pauses_total', () => new Counter({
    name: 'hub_channel_pauses_total',
    help: 'Provider-wide failures that paused a channel (or lengthened its pause), by closed code',
    labelNames: ['channel', 'code'] as const,
    registers: [registry],
  }));
}

/** The slice of Prisma the pause record needs (raw statements). */
interface RawExecutor {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): Promise<number>;
}

/**
 * Keeps channel_pauses in step with a gate (one row per channel and instance while paused),
 * for /health and the console. Writes run one after another in the order of the changes; a
 * failed write is logged and the next change writes the whole state again.
 */
export function channelPauseRecorder(
  prisma: RawExecutor,
  instance: string,
  onError: (err: unknown) => void,
  held: () => number = () => 0,
): (state: GateState) => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  return (state) => {
    chain = chain.then(async () => {
      try {
        if (!state.paused) {
          await prisma.$executeRaw`DELETE FROM channel_pauses WHERE channel = ${state.channel} AND instance = ${instance}`;
          return;
        }
        await prisma.$executeRaw`
          INSERT INTO channel_pauses (channel, instance, code, reason, paused_since, next_probe_at, failures, held_requests, updated_at)
          VALUES (${state.channel}, ${instance}, ${state.code}, ${state.reason ?? ''}, ${state.since}, ${state.until}, ${state.failures}, ${held()}, now())
          ON CONFLICT (channel, instance) DO UPDATE
            SET code = EXCLUDED.code, reason = EXCLUDED.reason, paused_since = EXCLUDED.paused_since, next_probe_at = EXCLUDED.next_probe_at,
                failures = EXCLUDED.failures, held_requests = EXCLUDED.held_requests, updated_at = now()`;
      } catch (err) {
        onError(err);
      }
    });
    return chain;
  };
}

export interface AdapterGateOptions {
  channel: string;
  prisma: RawExecutor;
  log: { error(obj: object, msg: string): void; warn(obj: object | string, msg?: string): void };
  metrics: Registry;
  pause?: { initialMs?: number | undefined; maxMs?: number | undefined } | undefined;
  /** Name of this instance in channel_pauses (default host:pid). */
  instance?: string | undefined;
}

/** A channel adapter's gate: logged, recorded in channel_pauses, in the metrics. `stop()` ends the holds and removes the record. */
export function createAdapterGate(options: AdapterGateOptions): { gate: ChannelGate; stop(): Promise<void> } {
  const { channel, log } = options;
  const instance = options.instance ?? `${hostname()}:${process.pid}`;
  const record = channelPauseRecorder(options.prisma, instance,
    (err) => log.warn({ err: err instanceof Error ? err.message : String(err) }, 'could not record the channel pause'), () => gate.held);
  const gate: ChannelGate = new ChannelGate({
    channel, metrics: options.metrics, initialPauseMs: options.pause?.initialMs, maxPauseMs: options.pause?.maxMs,
    onChange: (state) => {
      if (state.paused) log.error({ channel, code: state.code, reason: state.reason, failures: state.failures, nextProbeAt: state.until }, `${channel} channel paused by a provider-wide failure; deliveries are held, not failed`);
      else log.warn({ channel }, `${channel} channel open again: held deliveries go out`);
      return record(state);
    },
  });
  return {
    gate,
    stop: async () => {
      gate.close();
      await record({ ...gate.state(), paused: false });
    },
  };
}
