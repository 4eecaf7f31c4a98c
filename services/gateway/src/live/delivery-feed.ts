import { describeError } from '@hub/bus';
import { DeliveryStatus, type PrismaClient } from '@hub/db';
import type { Logger } from '@hub/logger';
import { Counter, Gauge, type Registry } from 'prom-client';
import { deliveryView, type DeliveryRow } from '../routes/delivery-views.ts';

/**
 * The live feed of the admin console (GET /v1/deliveries/live, docs/console.md): ONE poller
 * per gateway process, running only while at least one stream is open, fanned out to every
 * stream. Nothing is added to the delivery hot path: it reads the updated_at every writer of
 * notification_deliveries already sets, through the existing (status, updated_at) index
 * (`status = ANY(all statuses) AND updated_at > low`: one short range scan per status), and the
 * id primary keys of sms_message_events / email_message_events for timeline entries that do
 * not change the delivery row (a Twilio "queued" callback, an SMTP deferral…).
 *
 * Commit order is not timestamp order (a transaction stamps now() at its start and commits
 * later), so the lower bound `low` of each read is not the newest value seen but the newest
 * value seen `overlapMs` ago: every tick re-reads the last few seconds and a map of what was
 * already sent (id → updated_at) drops the repeats. A change whose transaction stayed open
 * longer than overlapMs can be missed live (the page shows it on reload). The same holds for
 * the event tables by id.
 *
 * Each change is serialised once and written to every stream. Event ids are the row's
 * updated_at in ms: a client reconnecting with Last-Event-ID gets the deliveries changed since
 * (minus the overlap) from one catch-up query, or a `reset` when that is too far back or too
 * many, after which it reloads its view. Clients keep the newest version per delivery, so a
 * change sent twice (catch-up and broadcast) is harmless.
 */

export interface LiveConnection {
  write(chunk: string): void;
  end(): void;
}

export interface DeliveryFeedOptions {
  prisma: PrismaClient;
  log: Logger;
  metrics: Registry;
  /** Poll period while streams are open (default 1 s). */
  pollMs?: number;
  /** How far back each read reaches behind the newest value seen (default 5 s). */
  overlapMs?: number;
  /** Open streams allowed on this process (default 50); more are refused with 503. */
  maxStreams?: number;
  heartbeatMs?: number;
  /** Rows read per tick (default 1,000); more means the console is told to reload (`reset`). */
  maxPerTick?: number;
  /** Oldest resume point served by a catch-up (default 15 min). */
  maxResumeAgeMs?: number;
}

export const sse = (event: string, data: unknown, id?: string): string => `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

const STATUSES = Object.values(DeliveryStatus);
const INCLUDE = { event: true, user: true, smsMessages: true, emailMessages: true } as const;

interface Changed { id: string; at: Date }
interface EventRow { id: bigint; delivery_id: string; channel: string }
/** A bound observed at some time: the newest value seen by the tick that ran then. */
interface Mark { observedAt: number; updatedAt: Date; smsEventId: bigint; emailEventId: bigint }

export class DeliveryFeed {
  private readonly streams = new Set<LiveConnection>();
  private readonly sent = new Map<string, number>();
  private readonly seenEvents = new Set<string>();
  private marks: Mark[] = [];
  private timer: NodeJS.Timeout | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  /** Bumped on every start and stop: a tick of an earlier run (still reading when the last stream left and a new one came) ends there. */
  private generation = 0;
  private closed = false;
  private readonly open: Gauge;
  private readonly written: Counter<'kind'>;
  private readonly ticks: Counter;

  constructor(private readonly o: DeliveryFeedOptions) {
    this.open = new Gauge({ name: 'hub_console_streams', help: 'Open console live streams (GET /v1/deliveries/live) on this gateway', registers: [o.metrics] });
    this.written = new Counter({ name: 'hub_console_stream_events_total', help: 'Events fanned out to console streams, by kind (each counted once, however many streams)', labelNames: ['kind'] as const, registers: [o.metrics] });
    this.ticks = new Counter({ name: 'hub_console_feed_polls_total', help: 'Reads of the console live feed (one per poll period while a stream is open)', registers: [o.metrics] });
  }

  get connections(): number {
    return this.streams.size;
  }

  get full(): boolean {
    return this.streams.size >= (this.o.maxStreams ?? 50);
  }

  /**
   * Adds a stream; with `resumeAfterMs` (its Last-Event-ID) it first gets the deliveries
   * changed since. Returns the function that removes it.
   */
  subscribe(conn: LiveConnection, resumeAfterMs: number | null): () => void {
    this.streams.add(conn);
    this.open.set(this.streams.size);
    if (this.streams.size === 1) this.startPolling();
    if (resumeAfterMs !== null) void this.catchUp(conn, resumeAfterMs);
    return () => {
      if (!this.streams.delete(conn)) return;
      this.open.set(this.streams.size);
      if (this.streams.size === 0) this.stopPolling();
    };
  }

  private async catchUp(conn: LiveConnection, after: number): Promise<void> {
    try {
      const [{ now }] = await this.o.prisma.$queryRaw<[{ now: Date }]>`SELECT statement_timestamp() AS now`;
      if (now.getTime() - after > (this.o.maxResumeAgeMs ?? 15 * 60_000)) return conn.write(sse('reset', { reason: 'resume point too old' }));
      const max = this.o.maxPerTick ?? 1_000;
      const changed = await this.changedSince(new Date(after - (this.o.overlapMs ?? 5_000)), max);
      if (changed.length >= max) return conn.write(sse('reset', { reason: 'too many changes since the resume point' }));
      for (const view of await this.views(changed.map((c) => c.id))) conn.write(sse('delivery', view, String(Date.parse(view.updatedAt))));
    } catch (err) {
      this.o.log.warn({ err: describeError(err) }, 'console stream catch-up failed; the client is told to reload');
      conn.write(sse('reset', { reason: 'catch-up failed' }));
    }
  }

  private startPolling(): void {
    if (this.closed) return;
    this.marks = [];
    this.sent.clear();
    this.seenEvents.clear();
    const gen = ++this.generation;
    const tick = async () => {
      this.timer = null;
      if (this.streams.size === 0 || this.closed || gen !== this.generation) return;
      // Never two reads at once: wait for one an earlier run may still have in flight.
      await this.running;
      const run = this.poll().catch((err: unknown) => {
        this.o.log.warn({ err: describeError(err) }, 'console live feed read failed; retried next period');
      });
      this.running = run;
      await run;
      if (this.running === run) this.running = null;
      if (this.streams.size > 0 && !this.closed && gen === this.generation) this.timer = setTimeout(() => void tick(), this.o.pollMs ?? 1_000);
    };
    void tick();
    this.heartbeat = setInterval(() => this.broadcast(': keep-alive\n\n'), this.o.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  private stopPolling(): void {
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.timer = null;
    this.heartbeat = null;
  }

  /** The bound of this tick's reads: the newest values the tick of overlapMs ago saw. */
  private async low(): Promise<Mark> {
    const overlap = this.o.overlapMs ?? 5_000;
    if (this.marks.length === 0) {
      // First tick: from the database's now() minus the overlap; the event tables from their current ends.
      const [row] = await this.o.prisma.$queryRaw<[{ now: Date; sms: bigint | null; email: bigint | null }]>`
        SELECT statement_timestamp() - make_interval(secs => ${overlap / 1000}) AS now,
               (SELECT max(id) FROM sms_message_events) AS sms, (SELECT max(id) FROM email_message_events) AS email`;
      const mark = { observedAt: Date.now(), updatedAt: row.now, smsEventId: row.sms ?? 0n, emailEventId: row.email ?? 0n };
      this.marks.push(mark);
      return mark;
    }
    const cutoff = Date.now() - overlap;
    while (this.marks.length > 1 && this.marks[1]!.observedAt <= cutoff) this.marks.shift();
    return this.marks[0]!;
  }

  private changedSince(low: Date, limit: number): Promise<Changed[]> {
    return this.o.prisma.$queryRaw<Changed[]>`
      SELECT id::text AS id, updated_at AS at FROM notification_deliveries
       WHERE status = ANY(${STATUSES}::delivery_status[]) AND updated_at > ${low}
       ORDER BY updated_at, id LIMIT ${limit}`;
  }

  private async views(ids: string[]) {
    if (ids.length === 0) return [];
    const rows: DeliveryRow[] = await this.o.prisma.notificationDelivery.findMany({ where: { id: { in: ids } }, include: INCLUDE, orderBy: [{ updatedAt: 'asc' }, { id: 'asc' }] });
    return rows.map(deliveryView);
  }

  private async poll(): Promise<void> {
    this.ticks.inc();
    const low = await this.low();
    const max = this.o.maxPerTick ?? 1_000;
    const [changed, events] = await Promise.all([
      this.changedSince(low.updatedAt, max),
      this.o.prisma.$queryRaw<EventRow[]>`
        (SELECT e.id, m.notification_delivery_id::text AS delivery_id, 'sms' AS channel FROM sms_message_events e JOIN sms_messages m ON m.id = e.sms_message_id
          WHERE e.id > ${low.smsEventId} AND m.notification_delivery_id IS NOT NULL ORDER BY e.id LIMIT ${max})
        UNION ALL
        (SELECT e.id, m.notification_delivery_id::text, 'email' FROM email_message_events e JOIN email_messages m ON m.id = e.email_message_id
          WHERE e.id > ${low.emailEventId} AND m.notification_delivery_id IS NOT NULL ORDER BY e.id LIMIT ${max})`,
    ]);
    const mark: Mark = { ...(this.marks[this.marks.length - 1] ?? low), observedAt: Date.now() };
    for (const c of changed) if (c.at > mark.updatedAt) mark.updatedAt = c.at;
    for (const e of events) {
      if (e.channel === 'sms' && e.id > mark.smsEventId) mark.smsEventId = e.id;
      if (e.channel === 'email' && e.id > mark.emailEventId) mark.emailEventId = e.id;
    }
    this.marks.push(mark);
    const smsEvents = events.filter((e) => e.channel === 'sms').length;
    if (changed.length >= max || smsEvents >= max || events.length - smsEvents >= max) {
      // More changes than a tick reads: the consoles reload their view; reading resumes from here.
      this.broadcast(sse('reset', { reason: 'too many changes at once' }));
      this.written.inc({ kind: 'reset' });
      this.marks = [{ ...mark, observedAt: 0 }];
      return;
    }
    const fresh = changed.filter((c) => this.sent.get(c.id) !== c.at.getTime());
    for (const view of await this.views(fresh.map((c) => c.id))) {
      const at = Date.parse(view.updatedAt);
      if (this.sent.get(view.id) === at) continue;
      this.sent.set(view.id, at);
      this.broadcast(sse('delivery', view, String(at)));
      this.written.inc({ kind: 'delivery' });
    }
    for (const e of events) {
      const key = `${e.channel}:${e.id}`;
      if (this.seenEvents.has(key)) continue;
      this.seenEvents.add(key);
      this.broadcast(sse('timeline', { deliveryId: e.delivery_id, channel: e.channel }));
      this.written.inc({ kind: 'timeline' });
    }
    // What the next reads cannot return again is forgotten.
    const next = this.marks[0]!;
    for (const [id, at] of this.sent) if (at <= next.updatedAt.getTime()) this.sent.delete(id);
    for (const key of this.seenEvents) {
      const [channel, id] = key.split(':') as [string, string];
      if (BigInt(id) <= (channel === 'sms' ? next.smsEventId : next.emailEventId)) this.seenEvents.delete(key);
    }
  }

  private broadcast(chunk: string): void {
    for (const s of this.streams) s.write(chunk);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopPolling();
    await this.running;
    for (const s of this.streams) s.end();
    this.streams.clear();
    this.open.set(0);
  }
}
