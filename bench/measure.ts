import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import type pg from 'pg';
import type { Admin } from 'kafkajs';

const TICKS = 100; // USER_HZ on Linux

/** utime+stime of a process (all its threads) in seconds, or of one thread with `{ pid, tid }` (null if gone). */
export function cpuSeconds(id: number | { pid: number; tid: number }): number | null {
  try {
    // /proc/<tid>/stat of a non-leader thread reports the whole process: a thread's own is under task/.
    const stat = readFileSync(typeof id === 'number' ? `/proc/${id}/stat` : `/proc/${id.pid}/task/${id.tid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return null;
  }
}

/**
 * CPU seconds of a process tree that its root reaps (a PostgreSQL postmaster): the root's own,
 * its exited children's (cutime + cstime, counted once the root has waited for them) and its
 * live children's. Between two readings the difference is what the whole tree used, including
 * backends and autovacuum workers that started and ended in between.
 */
export function cpuTreeSeconds(pid: number): number | null {
  try {
    const fields = (p: number) => {
      const stat = readFileSync(`/proc/${p}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2).split(' ').map(Number);
    };
    const f = fields(pid);
    let total = f[11]! + f[12]! + f[13]! + f[14]!;
    const children = readdirSync(`/proc/${pid}/task`).flatMap((tid) => readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(' ').filter(Boolean).map(Number));
    for (const child of children) {
      try {
        const c = fields(child);
        total += c[11]! + c[12]!;
      } catch {
        // exited since the listing: its time is in the root's cutime once reaped
      }
    }
    return total / TICKS;
  } catch {
    return null;
  }
}

export function pgrep(pattern: string): number[] {
  try {
    return execFileSync('pgrep', [pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

export function rssKb(pid: number): number | null {
  try {
    const out = execFileSync('ps', ['-o', 'rss=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    return out ? Number(out) : null;
  } catch {
    return null;
  }
}

/**
 * Pids per group, re-read at each snapshot (PostgreSQL starts a backend per connection). A
 * `{ pid, tid }` is one thread of a process; `minus: true` subtracts it (the bench process
 * minus its email-sandbox worker thread).
 */
export type CpuSource = number | { pid: number; tid: number; minus?: boolean } | { tree: number };
export type CpuGroups = Record<string, () => CpuSource[] | Promise<CpuSource[]>>;
export type CpuSnapshot = Record<string, Map<string, number>>;

export async function cpuSnapshot(groups: CpuGroups): Promise<CpuSnapshot> {
  const out: CpuSnapshot = {};
  for (const [name, sources] of Object.entries(groups)) {
    out[name] = new Map(
      (await sources()).map((src) =>
        typeof src === 'number' ? [String(src), cpuSeconds(src) ?? 0] : 'tree' in src ? [`tree:${src.tree}`, cpuTreeSeconds(src.tree) ?? 0] : [`${src.minus ? '-' : ''}${src.pid}/${src.tid}`, (src.minus ? -1 : 1) * (cpuSeconds(src) ?? 0)],
      ),
    );
  }
  return out;
}

/**
 * The PostgreSQL processes doing this database's work: its backends and the server's own
 * processes (checkpointer, WAL writer…; datname is null), not the backends of other
 * databases on the same server (tests run there in parallel).
 */
export async function postgresPids(db: pg.Pool): Promise<number[]> {
  const { rows } = await db.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() OR datname IS NULL`);
  const pids = rows.map((r) => r.pid);
  // The postmaster (the parent of every backend) accepts the connections.
  const parent = ppid(pids[0]);
  return parent ? [...new Set([...pids, parent])] : pids;
}

function ppid(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || null;
  } catch {
    return null;
  }
}

/** CPU seconds per group between two snapshots (processes born in between count from 0; ones that died are lost). */
export function cpuDiff(before: CpuSnapshot, after: CpuSnapshot): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([name, m]) => [name, round([...m].reduce((s, [pid, t]) => s + t - (before[name]?.get(pid) ?? 0), 0), 1)]));
}

/** Samples RSS of each named pid every intervalMs until stop() is called. */
export function sampleRss(pids: Record<string, number>, intervalMs = 2_000): { stop(): Record<string, { maxMb: number; meanMb: number }> } {
  const samples: Record<string, number[]> = Object.fromEntries(Object.keys(pids).map((k) => [k, []]));
  const take = () => {
    for (const [name, pid] of Object.entries(pids)) {
      const kb = rssKb(pid);
      if (kb !== null) samples[name]!.push(kb / 1024);
    }
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      take();
      return Object.fromEntries(Object.entries(samples).map(([k, v]) => [k, { maxMb: round(Math.max(0, ...v)), meanMb: round(v.reduce((a, b) => a + b, 0) / Math.max(1, v.length)) }]));
    },
  };
}

export const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

/** Messages not yet committed by each group, over every topic it has committed offsets for. */
export async function consumerLag(admin: Admin, groupIds: string[], topics: string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const ends = new Map<string, Map<number, number>>();
  for (const t of topics) ends.set(t, new Map((await admin.fetchTopicOffsets(t)).map((p) => [p.partition, Number(p.high)])));
  for (const groupId of groupIds) {
    let lag = 0;
    const committed = await admin.fetchOffsets({ groupId, topics });
    for (const t of committed) {
      const parts = t.partitions.filter((p) => Number(p.offset) >= 0);
      if (parts.length === 0) continue; // the group does not consume this topic
      for (const p of t.partitions) {
        const high = ends.get(t.topic)?.get(p.partition) ?? 0;
        lag += Math.max(0, high - Math.max(0, Number(p.offset)));
      }
    }
    out[groupId.slice(groupId.indexOf('.') + 1).replace('.status', '')] = lag;
  }
  return out;
}

/** Seeds `count` verified users subscribed to eventType (one statement per table, as seedSubscribers). */
export async function seedUsers(db: pg.Pool, eventType: string, count: number, tag: string, offset: number): Promise<void> {
  await db.query(`INSERT INTO users (external_id) SELECT $1 || '-' || g FROM generate_series(1, $2::int) g`, [tag, count]);
  await db.query(
    `INSERT INTO user_sms_preferences (user_id, phone_number, phone_verified, phone_verified_at, daily_sms_limit)
     SELECT u.id, '+1212' || lpad((1000000 + $2::int + row_number() OVER (ORDER BY u.external_id))::text, 7, '0'), true, now(), 1000
       FROM users u WHERE u.external_id LIKE $1 || '-%'`,
    [tag, offset],
  );
  await db.query(
    `INSERT INTO notification_subscriptions (user_id, event_type, channels)
     SELECT u.id, $2, ARRAY['sms'] FROM users u WHERE u.external_id LIKE $1 || '-%'`,
    [tag, eventType],
  );
}

/**
 * Seeds `count` users with a verified email address (`<tag>-<n>@example.test`, never one of
 * the sandbox's magic local parts) subscribed to eventType on the email channel only.
 */
export async function seedEmailUsers(db: pg.Pool, eventType: string, count: number, tag: string): Promise<void> {
  await db.query(`INSERT INTO users (external_id) SELECT $1 || '-' || g FROM generate_series(1, $2::int) g`, [tag, count]);
  await db.query(
    `INSERT INTO user_email_preferences (user_id, email_address, email_key, email_verified, email_verified_at, verified_by)
     SELECT u.id, u.external_id || '@example.test', lower(u.external_id || '@example.test'), true, now(), 'admin'
       FROM users u WHERE u.external_id LIKE $1 || '-%'`,
    [tag],
  );
  await db.query(
    `INSERT INTO notification_subscriptions (user_id, event_type, channels)
     SELECT u.id, $2, ARRAY['email'] FROM users u WHERE u.external_id LIKE $1 || '-%'`,
    [tag, eventType],
  );
}

/** An active MJML email template (what a real deployment has; without one the adapter sends its fallback layout). */
export async function seedEmailTemplate(db: pg.Pool, key: string): Promise<void> {
  const body = `<mjml><mj-head><mj-title>Reminder</mj-title></mj-head><mj-body background-color="#f4f4f4">
  <mj-section background-color="#ffffff"><mj-column>
    <mj-text font-size="20px" font-weight="bold">Reminder: {{task_name}}</mj-text>
    <mj-text>Your task <strong>{{task_name}}</strong> is due at {{due_time}}.</mj-text>
    <mj-button href="https://example.test/tasks">Open your tasks</mj-button>
    <mj-divider border-width="1px" border-color="#dddddd" />
    <mj-text font-size="12px" color="#888888">You get this email because you subscribed to task reminders.</mj-text>
  </mj-column></mj-section></mj-body></mjml>`;
  await db.query(
    `INSERT INTO email_templates (template_key, name, subject, body, format, required_vars, updated_at)
     VALUES ($1, 'Bench reminder', 'Reminder: {{task_name}} at {{due_time}}', $2, 'mjml', '["task_name"]', now())
     ON CONFLICT (template_key) DO NOTHING`,
    [key, body],
  );
}

export interface Percentiles { mean: number; p50: number; p95: number; p99: number }

export interface LatencyStats {
  events: number;
  accepted: number;
  delivered: number;
  acceptPerSec: number;
  deliveredPerSec: number;
  /** Event → the provider accepted the message (SMS: sms_messages.sent_at, set by the adapter from the create call's answer). */
  acceptMs: Percentiles;
  /**
   * SMS: event → Twilio's "sent" callback (see sentCallbackSource); null for email. Apart
   * from acceptMs since sent_at keeps the acceptance time (provider_sent_at holds the callback's).
   */
  sentCallbackMs: Percentiles | null;
  /**
   * `applied`: the commit time of the transaction that recorded the callback (its
   * sms_message_events row, insert-only; needs track_commit_timestamp, which the bench's
   * private server turns on); `received`: sms_messages.provider_sent_at, when status-ingest's
   * webhook received it (a server without commit timestamps).
   */
  sentCallbackSource: 'applied' | 'received' | null;
  deliveredMs: Percentiles;
}

const commitTimestamps = new WeakMap<pg.Pool, Promise<boolean>>();
/** Whether the server records commit timestamps (track_commit_timestamp). */
function hasCommitTimestamps(db: pg.Pool): Promise<boolean> {
  let p = commitTimestamps.get(db);
  if (!p) {
    p = db.query<{ track_commit_timestamp: string }>('SHOW track_commit_timestamp').then((r) => r.rows[0]?.track_commit_timestamp === 'on');
    commitTimestamps.set(db, p);
  }
  return p;
}

/**
 * Event → provider accept, → "sent" callback (SMS) and → delivered for events whose id starts
 * with idPrefix. SMS: sms_messages.sent_at (the acceptance; status-ingest keeps it), the sent
 * callback (sentCallbackSource), delivered_at (the delivered callback applied). Email:
 * email_messages.sent_at (the SMTP server's 250 recorded) and the moment the delivery row
 * became delivered (its updated_at: the final write; its delivered_at is the provider event's
 * timestamp, whole seconds in SendGrid's format).
 */
export async function latencyStats(db: pg.Pool, idPrefix: string, windowStart: Date, channel: 'sms' | 'email' = 'sms'): Promise<LatencyStats> {
  const sms = channel === 'sms';
  const applied = sms && (await hasCommitTimestamps(db));
  const join = sms ? 'LEFT JOIN sms_messages s ON s.notification_delivery_id = d.id' : 'LEFT JOIN email_messages s ON s.notification_delivery_id = d.id';
  const accepted = sms ? 's.sent_at' : 'coalesce(s.sent_at, s.send_started_at)';
  const delivered = sms ? 's.delivered_at' : `CASE WHEN d.status = 'delivered' THEN d.updated_at END`;
  const sentCallback = !sms
    ? 'NULL::timestamptz'
    : applied
      ? `(SELECT min(pg_xact_commit_timestamp(ev.xmin)) FROM sms_message_events ev WHERE ev.sms_message_id = s.id AND ev.source = 'callback' AND ev.twilio_status = 'sent')`
      : 's.provider_sent_at';
  const { rows } = await db.query(
    `WITH m AS (
       SELECT e.occurred_at, ${accepted} AS accepted_at, ${sentCallback} AS sent_cb_at, ${delivered} AS delivered_at
         FROM notification_events e
         JOIN notification_deliveries d ON d.event_id = e.id
         ${join}
        WHERE e.id LIKE $1 || '%')
     SELECT count(*)::int AS events,
            count(accepted_at)::int AS accepted,
            count(sent_cb_at)::int AS sent_cb,
            count(delivered_at)::int AS delivered,
            extract(epoch FROM max(accepted_at) - $2::timestamptz) AS accept_span,
            extract(epoch FROM max(delivered_at) - $2::timestamptz) AS delivered_span,
            avg(extract(epoch FROM accepted_at - occurred_at) * 1000)::float8 AS accept_mean,
            avg(extract(epoch FROM sent_cb_at - occurred_at) * 1000)::float8 AS sent_cb_mean,
            avg(extract(epoch FROM delivered_at - occurred_at) * 1000)::float8 AS delivered_mean,
            percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM accepted_at - occurred_at) * 1000) AS accept_p,
            percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM sent_cb_at - occurred_at) * 1000) AS sent_cb_p,
            percentile_cont(ARRAY[0.5, 0.95, 0.99]) WITHIN GROUP (ORDER BY extract(epoch FROM delivered_at - occurred_at) * 1000) AS delivered_p
       FROM m`,
    [idPrefix, windowStart],
  );
  type Row = { events: number; accepted: number; sent_cb: number; delivered: number; accept_span: string | null; delivered_span: string | null; accept_mean: number | null; sent_cb_mean: number | null; delivered_mean: number | null; accept_p: number[] | null; sent_cb_p: number[] | null; delivered_p: number[] | null };
  const r = rows[0] as Row;
  const p = (mean: number | null, a: number[] | null) => ({ mean: round(mean ?? NaN, 0), p50: round(a?.[0] ?? NaN, 0), p95: round(a?.[1] ?? NaN, 0), p99: round(a?.[2] ?? NaN, 0) });
  return {
    events: r.events,
    accepted: r.accepted,
    delivered: r.delivered,
    acceptPerSec: round(r.accepted / Math.max(0.001, Number(r.accept_span ?? 0))),
    deliveredPerSec: round(r.delivered / Math.max(0.001, Number(r.delivered_span ?? 0))),
    acceptMs: p(r.accept_mean, r.accept_p),
    sentCallbackMs: sms ? p(r.sent_cb_mean, r.sent_cb_p) : null,
    sentCallbackSource: sms ? (applied ? 'applied' : 'received') : null,
    deliveredMs: p(r.delivered_mean, r.delivered_p),
  };
}

/** Mean and percentiles of a list of milliseconds (nearest rank, as percentile_disc). */
export function percentiles(values: number[]): Percentiles {
  const v = [...values].sort((a, b) => a - b);
  const at = (q: number) => (v.length === 0 ? NaN : v[Math.min(v.length - 1, Math.max(0, Math.ceil(q * v.length) - 1))]!);
  return { mean: round(v.reduce((a, b) => a + b, 0) / Math.max(1, v.length), 0), p50: round(at(0.5), 0), p95: round(at(0.95), 0), p99: round(at(0.99), 0) };
}

/** Polls fn until it returns true or timeout; returns whether it finished. */
export async function waitUntil(fn: () => Promise<boolean>, timeoutMs: number, intervalMs = 500): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await fn()) return true;
    if (Date.now() > deadline) return false;
    await sleep(intervalMs);
  }
}

export const FINAL = `('delivered','failed','skipped','cancelled')`;

/** Deliveries of events with this id prefix that are not final yet, and how many exist. */
export async function openDeliveries(db: pg.Pool, idPrefix: string): Promise<{ total: number; open: number; events: number }> {
  const { rows } = await db.query(
    `SELECT (SELECT count(*)::int FROM notification_events WHERE id LIKE $1 || '%') AS events,
            count(*)::int AS total, count(*) FILTER (WHERE status NOT IN ${FINAL})::int AS open
       FROM notification_deliveries WHERE event_id LIKE $1 || '%'`,
    [idPrefix],
  );
  return rows[0] as { total: number; open: number; events: number };
}
