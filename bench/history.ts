import { createPrisma } from '@hub/db';
import { sweepRetention, DEFAULT_RETENTION, type RetentionResult } from '../services/scheduler/src/retention.ts';
import type { Infra } from './infra.ts';
import { steady, type SteadyResult } from './scenarios.ts';

/**
 * History scenario (issue 16, item 10): does the hot path degrade on a database that already
 * holds millions of deliveries, and does the retention sweep slow it while it deletes them?
 *
 * 1. seeds BENCH_HISTORY_ROWS delivered SMS deliveries (10 per event, 10,000 users),
 *    created evenly over the last 180 days — so about half are older than the 90-day window;
 * 2. a steady phase at BENCH_HISTORY_RATE on that database;
 * 3. the same phase again while a retention sweep (the scheduler's, default windows and
 *    batches) deletes everything older than 90 days.
 * Compared with the plain steady phases of the same run (an almost empty database).
 */
export interface HistoryResult {
  rows: number;
  events: number;
  seedSeconds: number;
  deliveriesTableMb: number;
  plain: SteadyResult;
  withSweep: SteadyResult;
  swept: RetentionResult;
  sweepSeconds: number;
  /** Rows the sweep still had to delete when the phase ended (it goes on until done). */
  sweepFinishedDuringPhase: boolean;
}

const log = (msg: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);

export async function seedHistory(infra: Infra, rows: number): Promise<{ rows: number; events: number; seconds: number }> {
  const t0 = Date.now();
  const perEvent = 10;
  const users = 10_000;
  const events = Math.ceil(rows / perEvent);
  await infra.db.query(`
    INSERT INTO users (id, external_id, created_at, updated_at)
    SELECT gen_random_uuid(), 'hist-u-' || g, now() - interval '200 days', now() - interval '200 days'
    FROM generate_series(1, ${users}) g ON CONFLICT (external_id) DO NOTHING`);
  // chunks of 100,000 events (1,000,000 deliveries): each its own statement and commit
  const chunk = 100_000;
  for (let from = 1; from <= events; from += chunk) {
    const to = Math.min(events, from + chunk - 1);
    await infra.db.query(`
      WITH ev AS (
        -- published_at set: an event stored but never published is published by the scheduler
        -- (the gateway's outbox) — a first run without it re-broadcast the whole history
        INSERT INTO notification_events (id, event_type, target_user_id, payload, occurred_at, created_at, published_at, routed_at, routed_deliveries)
        SELECT 'hist-e-' || lpad(g::text, 10, '0'), 'task.reminder', 'hist-u-' || (g % ${users} + 1), '{}'::jsonb, t, t, t, t, ${perEvent}
        FROM (SELECT g, now() - (g::double precision / ${events}) * interval '180 days' AS t FROM generate_series(${from}, ${to}) g) s
        RETURNING id, created_at
      ), evg AS (
        SELECT id, created_at, substring(id from 8)::bigint AS g FROM ev
      ), u AS (
        SELECT id, row_number() OVER (ORDER BY external_id) - 1 AS n FROM users WHERE external_id LIKE 'hist-u-%'
      )
      INSERT INTO notification_deliveries (id, event_id, user_id, channel, status, attempts, created_at, updated_at, sent_at, delivered_at)
      -- ids in insertion order (a made-up time-ordered uuid, like UUIDv7): the seeding appends to
      -- the primary-key index instead of writing random pages of it; the
      -- hot path's own rows keep gen_random_uuid()
      SELECT ('ffff' || lpad(to_hex(ev.g * ${perEvent} + k), 28, '0'))::uuid, ev.id, u.id, 'sms', 'delivered', 1, ev.created_at, ev.created_at + interval '3 seconds', ev.created_at + interval '1 second', ev.created_at + interval '3 seconds'
      FROM evg ev
      CROSS JOIN generate_series(0, ${perEvent - 1}) k
      JOIN u ON u.n = (abs(hashtext(ev.id)::bigint) + k * 997) % ${users}
      ON CONFLICT DO NOTHING`);
    log(`  history: ${Math.min(rows, to * perEvent).toLocaleString('en-US')} of ${rows.toLocaleString('en-US')} deliveries (${Math.round((Date.now() - t0) / 1000)} s)`);
  }
  await infra.db.query('VACUUM ANALYZE notification_events, notification_deliveries');
  return { rows, events, seconds: Math.round((Date.now() - t0) / 100) / 10 };
}

export async function history(infra: Infra, rows: number, rate: number, seconds: number, drainTimeoutS: number): Promise<HistoryResult> {
  log(`history: seeding ${rows.toLocaleString('en-US')} delivered SMS deliveries over 180 days`);
  const seeded = await seedHistory(infra, rows);
  const size = await infra.db.query<{ mb: string }>(`SELECT round(pg_total_relation_size('notification_deliveries') / 1048576.0) AS mb`);
  log(`history: steady ${rate}/s on it, no sweep`);
  const plain = await steady(infra, [rate], seconds, drainTimeoutS, 'hp');
  log(`history: steady ${rate}/s while the retention sweep deletes what is older than 90 days`);
  const prisma = createPrisma(infra.databaseUrl, { poolMax: 2 });
  const t0 = Date.now();
  let sweepEnd = 0;
  const sweep = sweepRetention(prisma, DEFAULT_RETENTION, new Date(), {}).then((r) => {
    sweepEnd = Date.now();
    return r;
  });
  const withSweep = await steady(infra, [rate], seconds, drainTimeoutS, 'hs');
  const phaseEnd = Date.now();
  const swept = await sweep;
  await prisma.$disconnect();
  return {
    rows: seeded.rows, events: seeded.events, seedSeconds: seeded.seconds, deliveriesTableMb: Number(size.rows[0]?.mb ?? 0),
    plain, withSweep, swept, sweepSeconds: Math.round((sweepEnd - t0) / 100) / 10, sweepFinishedDuringPhase: sweepEnd <= phaseEnd,
  };
}
