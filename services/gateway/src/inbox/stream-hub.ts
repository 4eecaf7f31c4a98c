import { describeError } from '@hub/bus';
import { listenToChannel, type ChannelListener, type PrismaClient } from '@hub/db';
import type { Logger } from '@hub/logger';
import { Counter, Gauge, type Registry } from 'prom-client';
import { counts, INBOX_CHANGE_CHANNEL, itemsAfter, lastSeq, type ItemView } from './queries.ts';

/**
 * Fans inbox changes out to the Server-Sent-Event streams of one gateway process: ONE
 * PostgreSQL LISTEN connection per process (pg_notify from the inapp-adapter's and the
 * inbox API's transactions, delivered at commit), and a database read only when a user with
 * an open stream has a change — shared by all of that user's streams, never a poll per
 * connection. Several gateway processes each LISTEN; any of them may hold a user's streams.
 *
 * Per user, work is serialised (one promise chain): a stream's start (its resume point) and
 * every catch-up after a notification run in order, so each stream gets every item after
 * its resume point exactly once, in sequence order — also across a lost LISTEN connection
 * (on reconnect every user with streams is caught up from where each stream stands).
 */

export interface StreamConnection {
  /** Writes raw SSE text; returns false once the socket is gone. */
  write(chunk: string): void;
  end(): void;
}

interface Stream {
  conn: StreamConnection;
  /** Sequence of the last item this stream has been sent (null until its start ran). */
  lastSent: bigint | null;
}

interface UserStreams {
  streams: Set<Stream>;
  chain: Promise<void>;
  syncQueued: boolean;
}

export interface StreamHubOptions {
  prisma: PrismaClient;
  log: Logger;
  metrics: Registry;
  /** Where to LISTEN; absent (tests of the REST API alone): streams get only their catch-up. */
  databaseUrl?: string;
  heartbeatMs?: number;
  /** Items sent per catch-up query (the stream keeps reading until caught up). */
  batch?: number;
}

export function sseEvent(event: string, data: unknown, id?: string): string {
  return `${id !== undefined ? `id: ${id}\n` : ''}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export class InboxStreamHub {
  private users = new Map<string, UserStreams>();
  private listener: ChannelListener | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  private readonly open: Gauge;
  private readonly sent: Counter<'kind'>;
  private closed = false;

  constructor(private readonly o: StreamHubOptions) {
    this.open = new Gauge({ name: 'hub_inbox_streams', help: 'Open inbox streams (Server-Sent Events) on this gateway', registers: [o.metrics] });
    this.sent = new Counter({ name: 'hub_inbox_stream_events_total', help: 'Events written to inbox streams, by kind', labelNames: ['kind'] as const, registers: [o.metrics] });
  }

  start(): void {
    if (this.o.databaseUrl) {
      this.listener = listenToChannel(this.o.databaseUrl, INBOX_CHANGE_CHANNEL, {
        onNotify: (payload) => this.onNotify(payload),
        // Notifications sent while the connection was down are lost: catch every stream up.
        onConnected: () => { for (const userId of this.users.keys()) this.queueSync(userId); },
        onError: (err) => this.o.log.warn({ err: describeError(err) }, 'inbox LISTEN connection lost; streams catch up when it is back'),
        retryMs: 1_000,
      });
    }
    this.heartbeat = setInterval(() => {
      for (const u of this.users.values()) for (const s of u.streams) s.conn.write(': keep-alive\n\n');
    }, this.o.heartbeatMs ?? 15_000);
    this.heartbeat.unref();
  }

  get connections(): number {
    let n = 0;
    for (const u of this.users.values()) n += u.streams.size;
    return n;
  }

  /**
   * Adds a stream of `userId` that has seen every item up to `resumeAfter` (Last-Event-ID),
   * or, with null, starts at the newest item. Returns the function that removes it.
   */
  subscribe(userId: string, conn: StreamConnection, resumeAfter: bigint | null): () => void {
    const stream: Stream = { conn, lastSent: null };
    let user = this.users.get(userId);
    if (!user) {
      user = { streams: new Set(), chain: Promise.resolve(), syncQueued: false };
      this.users.set(userId, user);
    }
    user.streams.add(stream);
    this.open.inc();
    // Registered before its start point is read: an item committed meanwhile is either
    // below that point (not due to this stream) or announced after it (caught up next).
    this.enqueue(userId, async () => {
      stream.lastSent = resumeAfter ?? (await lastSeq(this.o.prisma, userId));
      conn.write(sseEvent('counts', await counts(this.o.prisma, userId)));
      this.sent.inc({ kind: 'counts' });
    });
    this.queueSync(userId);
    return () => {
      const u = this.users.get(userId);
      if (!u || !u.streams.delete(stream)) return;
      this.open.dec();
      if (u.streams.size === 0) this.users.delete(userId);
    };
  }

  private onNotify(payload: string): void {
    let msg: { k?: string; u?: string; a?: string; n?: number };
    try {
      msg = JSON.parse(payload) as typeof msg;
    } catch {
      return;
    }
    if (typeof msg.u !== 'string' || !this.users.has(msg.u)) return;
    if (msg.k === 'item') this.queueSync(msg.u);
    else if (msg.k === 'state') {
      const userId = msg.u;
      const state = { action: msg.a, changed: msg.n };
      this.enqueue(userId, async () => {
        const c = await counts(this.o.prisma, userId);
        for (const s of this.users.get(userId)?.streams ?? []) {
          s.conn.write(sseEvent('state', state));
          s.conn.write(sseEvent('counts', c));
        }
        this.sent.inc({ kind: 'state' });
      });
    }
  }

  private enqueue(userId: string, task: () => Promise<void>): void {
    const user = this.users.get(userId);
    if (!user) return;
    user.chain = user.chain.then(task).catch((err: unknown) => {
      this.o.log.warn({ err: describeError(err), userId }, 'inbox stream update failed; the next change or reconnect catches up');
    });
  }

  /** One catch-up for all of the user's streams (coalesced: at most one queued at a time). */
  private queueSync(userId: string): void {
    const user = this.users.get(userId);
    if (!user || user.syncQueued) return;
    user.syncQueued = true;
    this.enqueue(userId, async () => {
      user.syncQueued = false;
      await this.sync(userId);
    });
  }

  private async sync(userId: string): Promise<void> {
    const batch = this.o.batch ?? 200;
    let sentAny = false;
    for (;;) {
      const streams = [...(this.users.get(userId)?.streams ?? [])].filter((s) => s.lastSent !== null);
      if (streams.length === 0 || this.closed) return;
      const from = streams.reduce((min, s) => (s.lastSent! < min ? s.lastSent! : min), streams[0]!.lastSent!);
      const items: ItemView[] = await itemsAfter(this.o.prisma, userId, from, batch);
      for (const item of items) {
        const seq = BigInt(item.seq);
        for (const s of streams) {
          if (s.lastSent !== null && seq > s.lastSent) {
            s.conn.write(sseEvent('item', item, item.seq));
            s.lastSent = seq;
          }
        }
        this.sent.inc({ kind: 'item' });
        sentAny = true;
      }
      if (items.length < batch) break;
    }
    if (sentAny) {
      const c = await counts(this.o.prisma, userId);
      for (const s of this.users.get(userId)?.streams ?? []) s.conn.write(sseEvent('counts', c));
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    await this.listener?.stop();
    for (const u of this.users.values()) for (const s of u.streams) s.conn.end();
    this.users.clear();
  }
}
