import type { PrismaClient } from '@hub/db';
import { describeError } from '@hub/bus';
import type { Logger } from '@hub/logger';

/**
 * Retention: rows older than their table's window are deleted in small batches (one short
 * statement each, `FOR UPDATE SKIP LOCKED`, a pause in between), so a sweep never holds a
 * long lock, never blocks the hot path's writers on the same rows, and two schedulers
 * sweeping at once just share the work. Only rows nothing can change any more go: final
 * messages and deliveries, events with no delivery left and no job still due, finished jobs.
 *
 * Windows are days; 0 keeps the table forever. Opt-out histories (sms_opt_out_events,
 * channel_opt_out_events) are consent evidence and never swept.
 */
export interface RetentionPolicy {
  /** SMS and email messages in a final status, with their status history. */
  messagesDays: number;
  /** Final SMS and email deliveries; then events with no delivery left (the idempotency window of event ids). */
  deliveriesDays: number;
  /** In-app items (a user's inbox) and their delivery rows. */
  inappDays: number;
  /** Tracked short links (a link older than this answers 404). */
  clicksDays: number;
  /** Scheduled jobs that are done, cancelled or failed. */
  jobsDays: number;
  /** The admin audit trail. */
  auditDays: number;
}

export const DEFAULT_RETENTION: RetentionPolicy = {
  messagesDays: 90,
  deliveriesDays: 90,
  inappDays: 180,
  clicksDays: 180,
  jobsDays: 30,
  auditDays: 365,
};

export interface RetentionOptions {
  /** Rows per statement (default 1,000). */
  batchSize?: number;
  /** Pause between two statements (default 20 ms). */
  pauseMs?: number;
  /** Stops between batches when it returns true (shutdown). */
  stopped?: () => boolean;
}

export type RetentionResult = Record<RetentionTable, number>;
export type RetentionTable =
  | 'sms_messages' | 'email_messages' | 'notification_deliveries' | 'inapp_deliveries'
  | 'notification_events' | 'sms_click_tracking' | 'scheduled_jobs' | 'admin_audit_events';

const DAY_MS = 86_400_000;

interface Step {
  table: RetentionTable;
  days: (p: RetentionPolicy) => number;
  /** Deletes at most `limit` rows older than `cutoff`; returns how many. */
  run: (prisma: PrismaClient, cutoff: Date, limit: number) => Promise<number>;
}

/** Final deliveries of the in-app channel, or of every other channel (their windows differ). */
function finalDeliveries(inapp: boolean): Step['run'] {
  return (prisma, cutoff, limit) => prisma.$executeRaw`
    DELETE FROM notification_deliveries WHERE id IN (
      SELECT id FROM notification_deliveries
      WHERE status IN ('sent', 'delivered', 'failed', 'skipped', 'cancelled') AND updated_at < ${cutoff} AND (channel = 'inapp') = ${inapp}
      LIMIT ${limit} FOR UPDATE SKIP LOCKED)`;
}

// Order matters: messages before their deliveries (a delivery's delete would otherwise
// null the message's link row by row), deliveries before events (an event goes only once
// it has no delivery left).
const STEPS: Step[] = [
  {
    table: 'sms_messages', days: (p) => p.messagesDays,
    run: (prisma, cutoff, limit) => prisma.$executeRaw`
      DELETE FROM sms_messages WHERE id IN (
        SELECT id FROM sms_messages
        WHERE status IN ('sent', 'delivered', 'failed', 'undelivered', 'cancelled') AND updated_at < ${cutoff}
        LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
  },
  {
    table: 'email_messages', days: (p) => p.messagesDays,
    run: (prisma, cutoff, limit) => prisma.$executeRaw`
      DELETE FROM email_messages WHERE id IN (
        SELECT id FROM email_messages
        WHERE status IN ('sent', 'delivered', 'bounced', 'failed', 'cancelled') AND updated_at < ${cutoff}
        LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
  },
  { table: 'notification_deliveries', days: (p) => p.deliveriesDays, run: finalDeliveries(false) },
  // the item goes with its delivery row (ON DELETE CASCADE)
  { table: 'inapp_deliveries', days: (p) => p.inappDays, run: finalDeliveries(true) },
  {
    table: 'notification_events', days: (p) => p.deliveriesDays,
    run: (prisma, cutoff, limit) => prisma.$executeRaw`
      DELETE FROM notification_events WHERE id IN (
        SELECT e.id FROM notification_events e
        WHERE e.created_at < ${cutoff} AND (e.scheduled_for IS NULL OR e.scheduled_for < ${cutoff})
          AND NOT EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.event_id = e.id)
          AND NOT EXISTS (SELECT 1 FROM scheduled_jobs j WHERE j.ref_id = e.id AND j.status IN ('pending', 'claimed'))
        LIMIT ${limit} FOR UPDATE OF e SKIP LOCKED)`,
  },
  {
    table: 'sms_click_tracking', days: (p) => p.clicksDays,
    run: (prisma, cutoff, limit) => prisma.$executeRaw`
      DELETE FROM sms_click_tracking WHERE id IN (
        SELECT id FROM sms_click_tracking WHERE created_at < ${cutoff} LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
  },
  {
    table: 'scheduled_jobs', days: (p) => p.jobsDays,
    run: (prisma, cutoff, limit) => prisma.$executeRaw`
      DELETE FROM scheduled_jobs WHERE id IN (
        SELECT id FROM scheduled_jobs
        WHERE status IN ('done', 'cancelled', 'failed') AND due_at < ${cutoff} AND updated_at < ${cutoff}
        LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
  },
  {
    table: 'admin_audit_events', days: (p) => p.auditDays,
    run: (prisma, cutoff, limit) => prisma.$executeRaw`
      DELETE FROM admin_audit_events WHERE id IN (
        SELECT id FROM admin_audit_events WHERE at < ${cutoff} LIMIT ${limit} FOR UPDATE SKIP LOCKED)`,
  },
];

/** One sweep of every table: deletes, batch by batch, until nothing older than its window is left. */
export async function sweepRetention(prisma: PrismaClient, policy: RetentionPolicy, now: Date, options: RetentionOptions = {}): Promise<RetentionResult> {
  const batchSize = options.batchSize ?? 1_000;
  const pauseMs = options.pauseMs ?? 20;
  const result = Object.fromEntries(STEPS.map((s) => [s.table, 0])) as RetentionResult;
  for (const step of STEPS) {
    const days = step.days(policy);
    if (days <= 0) continue;
    const cutoff = new Date(now.getTime() - days * DAY_MS);
    for (;;) {
      if (options.stopped?.()) return result;
      const deleted = await step.run(prisma, cutoff, batchSize);
      result[step.table] += deleted;
      if (deleted < batchSize) break;
      if (pauseMs > 0) await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
  return result;
}

export interface RetentionLoop {
  stop(): Promise<void>;
}

/** Sweeps every `intervalMs` (the first one a minute after start); a failed sweep is logged and tried at the next. */
export function startRetention(deps: {
  prisma: PrismaClient;
  log: Logger;
  policy: RetentionPolicy;
  intervalMs: number;
  now: () => Date;
  options?: RetentionOptions;
  firstDelayMs?: number;
}): RetentionLoop {
  let running = true;
  let timer: NodeJS.Timeout | undefined;
  let current: Promise<void> = Promise.resolve();
  const run = () => {
    if (!running) return;
    current = (async () => {
      const t0 = Date.now();
      try {
        const result = await sweepRetention(deps.prisma, deps.policy, deps.now(), { ...deps.options, stopped: () => !running });
        const total = Object.values(result).reduce((a, b) => a + b, 0);
        if (total > 0) deps.log.info({ deleted: result, ms: Date.now() - t0 }, 'retention sweep deleted rows older than their window');
      } catch (err) {
        deps.log.warn({ err: describeError(err) }, 'retention sweep failed; next one at the next interval');
      }
    })();
    void current.finally(() => {
      if (running) {
        timer = setTimeout(run, deps.intervalMs);
        timer.unref();
      }
    });
  };
  timer = setTimeout(run, deps.firstDelayMs ?? 60_000);
  timer.unref();
  return {
    stop: async () => {
      running = false;
      if (timer) clearTimeout(timer);
      await current;
    },
  };
}
