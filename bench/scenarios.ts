import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import twilio from 'twilio';
import { createPrisma } from '@hub/db';
import { createApiKey } from '@hub/gateway';
import type { Infra } from './infra.ts';
import { consumerLag, cpuDiff, cpuSnapshot, latencyStats, openDeliveries, pgrep, round, sampleRss, seedUsers, waitUntil, type LatencyStats } from './measure.ts';

const log = (msg: string) => console.log(`[bench] ${msg}`);
const MAIN_TOPICS = ['notify.events.v1', 'notify.deliveries.sms.v1', 'notify.sms.status.v1'];

export function eventJson(id: string, targetUserId: string | undefined, type = 'task.reminder'): string {
  return JSON.stringify({ id, type, ...(targetUserId ? { targetUserId } : {}), payload: { task_name: 'Bench task', due_time: '5pm' }, occurredAt: new Date().toISOString() });
}

async function lag(infra: Infra): Promise<Record<string, number>> {
  return consumerLag(infra.admin, ['router', 'sms-adapter', 'status-ingest.status'].map((g) => `${infra.prefix}.${g}`), MAIN_TOPICS.map(infra.topic));
}

let phoneOffset = 0;
async function seed(infra: Infra, type: string, n: number, tag: string) {
  await seedUsers(infra.db, type, n, tag, phoneOffset);
  phoneOffset += n;
}
export const nextPhoneOffset = () => phoneOffset;

export interface SteadyPhase extends LatencyStats {
  rate: number;
  seconds: number;
  published: number;
  lagAtEnd: Record<string, number>;
  drainedSeconds: number | null;
}

export interface SteadyResult {
  phases: SteadyPhase[];
  /** Higher rates not run because a lower one already saturated the hub (accepted < 80 % of offered). */
  skippedRates: number[];
  rssMb: Record<string, { maxMb: number; meanMb: number }>;
  cpuSeconds: Record<string, number>;
  cpuShare: Record<string, number>;
  wallSeconds: number;
}

/** Scenario 1: distinct verified users, events published to Kafka at fixed rates. */
export async function steady(infra: Infra, rates: number[], seconds: number, drainTimeoutS: number): Promise<SteadyResult> {
  for (const rate of rates) await seed(infra, 'task.reminder', rate * seconds, `st${rate}`);
  const servicePids = Object.fromEntries(infra.services.map((s) => [s.name, s.proc.pid!]));
  const groups: Record<string, () => number[]> = {
    kafka: () => (infra.brokerPid ? [infra.brokerPid] : []),
    postgres: () => pgrep('postgres'),
    ...Object.fromEntries(Object.entries(servicePids).map(([k, v]) => [k, () => [v]])),
    'bench+sandbox': () => [process.pid],
  };
  const rss = sampleRss(servicePids);
  const cpu0 = cpuSnapshot(groups);
  const wall0 = Date.now();
  const phases: SteadyPhase[] = [];
  const skippedRates: number[] = [];
  for (const rate of rates) {
    const saturated = phases.find((p) => p.acceptPerSec < 0.8 * p.rate);
    if (saturated) {
      log(`steady ${rate}/s skipped: ${saturated.rate}/s already saturated the hub (${saturated.acceptPerSec}/s accepted)`);
      skippedRates.push(rate);
      continue;
    }
    const tag = `st${rate}`;
    log(`steady ${rate}/s for ${seconds} s`);
    const start = new Date();
    const total = rate * seconds;
    const tickMs = 100;
    let sent = 0;
    const t0 = Date.now();
    while (sent < total) {
      const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate) + Math.ceil(rate / 10));
      if (due > sent) {
        const messages = [];
        for (; sent < due; sent++) messages.push({ key: `${tag}-${sent + 1}`, value: eventJson(`${tag}-ev-${sent + 1}`, `${tag}-${sent + 1}`) });
        await infra.producer.send({ topic: infra.topic('notify.events.v1'), messages });
      }
      await sleep(tickMs);
    }
    const lagAtEnd = await lag(infra);
    const drainStart = Date.now();
    const drained = await waitUntil(async () => {
      const o = await openDeliveries(infra.db, `${tag}-ev-`);
      return o.events >= total && o.total >= total && o.open === 0;
    }, drainTimeoutS * 1000, 1000);
    const stats = await latencyStats(infra.db, `${tag}-ev-`, start);
    phases.push({ rate, seconds, published: total, lagAtEnd, drainedSeconds: drained ? round((Date.now() - drainStart) / 1000) : null, ...stats });
    log(`  accept ${stats.acceptPerSec}/s p99 ${stats.acceptMs.p99} ms; delivered ${stats.deliveredPerSec}/s; lag ${JSON.stringify(lagAtEnd)}; drained ${drained}`);
  }
  const cpu1 = cpuSnapshot(groups);
  const wallSeconds = (Date.now() - wall0) / 1000;
  const cpuSeconds = cpuDiff(cpu0, cpu1);
  const totalCpu = Object.values(cpuSeconds).reduce((a, b) => a + b, 0);
  const cpuShare = Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, round((100 * v) / Math.max(0.001, totalCpu))]));
  return { phases, skippedRates, rssMb: rss.stop(), cpuSeconds, cpuShare, wallSeconds: round(wallSeconds) };
}

export interface BurstResult { events: number; publishSeconds: number; finalSeconds: number | null; meanPerSec: number; peakAcceptPerSec: number; stats: LatencyStats }

/** Scenario 2: N events as fast as possible; time until every delivery is final. */
export async function burst(infra: Infra, n: number, timeoutS: number): Promise<BurstResult> {
  await seed(infra, 'task.reminder', n, 'bu');
  log(`burst of ${n} events`);
  const start = new Date();
  for (let i = 0; i < n; i += 1000) {
    const messages = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) messages.push({ key: `bu-${j + 1}`, value: eventJson(`bu-ev-${j + 1}`, `bu-${j + 1}`) });
    await infra.producer.send({ topic: infra.topic('notify.events.v1'), messages });
  }
  const publishSeconds = (Date.now() - start.getTime()) / 1000;
  const done = await waitUntil(async () => {
    const o = await openDeliveries(infra.db, 'bu-ev-');
    return o.total >= n && o.open === 0;
  }, timeoutS * 1000, 1000);
  const finalSeconds = done ? (Date.now() - start.getTime()) / 1000 : null;
  const { rows } = await infra.db.query(
    `SELECT coalesce(max(c), 0)::int AS peak FROM (SELECT count(*) AS c FROM sms_messages s JOIN notification_deliveries d ON d.id = s.notification_delivery_id
      WHERE d.event_id LIKE 'bu-ev-%' AND s.sent_at IS NOT NULL GROUP BY date_trunc('second', s.sent_at)) x`,
  );
  const stats = await latencyStats(infra.db, 'bu-ev-', start);
  const r = { events: n, publishSeconds: round(publishSeconds, 2), finalSeconds: finalSeconds === null ? null : round(finalSeconds), meanPerSec: finalSeconds ? round(n / finalSeconds) : stats.deliveredPerSec, peakAcceptPerSec: (rows[0] as { peak: number }).peak, stats };
  log(`  final in ${r.finalSeconds} s (${r.meanPerSec}/s), peak accept ${r.peakAcceptPerSec}/s`);
  return r;
}

export interface BroadcastResult { subscribers: number; rowsSeconds: number | null; acceptedSeconds: number | null; finalSeconds: number | null; acceptPerSec: number }

/** Scenario 3: one event to N subscribers. */
export async function broadcast(infra: Infra, n: number, timeoutS: number): Promise<BroadcastResult> {
  await seed(infra, 'digest.weekly', n, 'bc');
  log(`broadcast to ${n} subscribers`);
  const sendsBefore = infra.sandbox.sends().length;
  const start = Date.now();
  await infra.producer.send({ topic: infra.topic('notify.events.v1'), messages: [{ key: 'bc-ev-1', value: eventJson('bc-ev-1', undefined, 'digest.weekly') }] });
  let rowsAt: number | null = null;
  let acceptedAt: number | null = null;
  let finalAt: number | null = null;
  await waitUntil(async () => {
    if (rowsAt === null) {
      const o = await openDeliveries(infra.db, 'bc-ev-1');
      if (o.total >= n) rowsAt = Date.now();
    }
    if (acceptedAt === null && infra.sandbox.sends().length - sendsBefore >= n) acceptedAt = Date.now();
    if (rowsAt !== null && acceptedAt !== null) {
      const o = await openDeliveries(infra.db, 'bc-ev-1');
      if (o.open === 0) finalAt = Date.now();
    }
    return finalAt !== null;
  }, timeoutS * 1000, 250);
  const secs = (t: number | null) => (t === null ? null : round((t - start) / 1000));
  const accepted = infra.sandbox.sends().length - sendsBefore;
  const r = { subscribers: n, rowsSeconds: secs(rowsAt), acceptedSeconds: secs(acceptedAt), finalSeconds: secs(finalAt), acceptPerSec: round(accepted / ((((acceptedAt ?? Date.now()) as number) - start) / 1000)) };
  log(`  rows ${r.rowsSeconds} s, accepted ${r.acceptedSeconds} s (${r.acceptPerSec}/s), final ${r.finalSeconds} s`);
  return r;
}

export interface HttpResult { requestsPerSec: number; p50Ms: number; p99Ms: number; total: number; non2xx: number; errors: number; lagAfter?: Record<string, number>; drainSeconds?: number | null }

/** Scenario 4: signed status callbacks posted to status-ingest. */
export async function webhook(infra: Infra, seconds: number, connections: number, drainTimeoutS: number): Promise<HttpResult> {
  const { rows } = await infra.db.query<{ id: string; sid: string; phone: string }>(
    `SELECT id, twilio_sid AS sid, phone_number AS phone FROM sms_messages WHERE twilio_sid IS NOT NULL AND status = 'delivered' LIMIT 300`,
  );
  if (rows.length === 0) throw new Error('no delivered sms_messages to post callbacks for');
  const requests = rows.map((m) => {
    const path = `/webhooks/twilio/status?mid=${m.id}`;
    const params: Record<string, string> = { AccountSid: infra.sandbox.accountSid, ApiVersion: '2010-04-01', From: '+15005550006', To: m.phone, MessageSid: m.sid, SmsSid: m.sid, MessageStatus: 'delivered', SmsStatus: 'delivered' };
    const signature = twilio.getExpectedTwilioSignature(infra.sandbox.authToken, `${infra.statusIngestUrl}${path}`, params);
    return { method: 'POST', path, headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature }, body: new URLSearchParams(params).toString() };
  });
  log(`webhook ingest: ${seconds} s, ${connections} connections`);
  const res = await autocannon({ url: infra.statusIngestUrl, connections, duration: seconds, requests });
  const lagAfter = await lag(infra);
  const t = Date.now();
  const drained = await waitUntil(async () => ((await lag(infra))['status-ingest'] ?? 0) === 0, drainTimeoutS * 1000, 1000);
  const r = { requestsPerSec: round(res.requests.average, 0), p50Ms: res.latency.p50, p99Ms: res.latency.p99, total: res.requests.total ?? res['2xx'], non2xx: res.non2xx, errors: res.errors, lagAfter, drainSeconds: drained ? round((Date.now() - t) / 1000) : null };
  log(`  ${r.requestsPerSec} req/s p99 ${r.p99Ms} ms, status lag after ${lagAfter['status-ingest']} (drained in ${r.drainSeconds} s)`);
  return r;
}

/** Scenario 5: POST /v1/events with an API key, a unique id per request. */
export async function gateway(infra: Infra, seconds: number, connections: number): Promise<HttpResult> {
  const prisma = createPrisma(infra.databaseUrl, { poolMax: 2 });
  const { key } = await createApiKey(prisma, 'bench', ['events:write']);
  await prisma.$disconnect();
  let counter = 0;
  log(`gateway ingest: ${seconds} s, ${connections} connections`);
  const res = await autocannon({
    url: infra.gatewayUrl,
    connections,
    duration: seconds,
    requests: [
      {
        method: 'POST',
        path: '/v1/events',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: JSON.stringify({ id: `gw-ev-${++counter}`, type: 'task.reminder', targetUserId: `gw-user-${counter % 1000}`, payload: { task_name: 'Bench task', due_time: '5pm' } }) }),
      },
    ],
  });
  const r = { requestsPerSec: round(res.requests.average, 0), p50Ms: res.latency.p50, p99Ms: res.latency.p99, total: res.requests.total ?? res['2xx'], non2xx: res.non2xx, errors: res.errors };
  log(`  ${r.requestsPerSec} req/s p99 ${r.p99Ms} ms (non-2xx ${r.non2xx})`);
  return r;
}

export interface ScheduledResult {
  events: number;
  /** scheduled_jobs: completed_at − due_at (the job published to its topic). */
  dueToPublishedMs: { min: number; p50: number; p95: number; max: number };
  /** sms_messages.sent_at − notification_events.scheduled_for (the provider accepted the SMS). */
  dueToAcceptMs: { min: number; p50: number; p95: number; max: number };
  /** Jobs published before their due time (must be 0). */
  early: number;
}

/**
 * Scheduler latency on an otherwise idle hub: events scheduled a few seconds ahead, their due
 * times spread over 5 s; how long after its due time each job fires and each SMS is accepted.
 */
export async function scheduled(infra: Infra, n: number, timeoutS: number): Promise<ScheduledResult> {
  await seed(infra, 'task.reminder', n, 'sc');
  log(`scheduled: ${n} events due over 5 s`);
  const first = Date.now() + 4_000;
  const messages = Array.from({ length: n }, (_, i) => {
    const e = JSON.parse(eventJson(`sc-ev-${i + 1}`, `sc-${i + 1}`)) as Record<string, unknown>;
    e.scheduledFor = new Date(first + Math.floor((i * 5_000) / n)).toISOString();
    return { key: `sc-${i + 1}`, value: JSON.stringify(e) };
  });
  await infra.producer.send({ topic: infra.topic('notify.events.v1'), messages });
  await waitUntil(async () => {
    const o = await openDeliveries(infra.db, 'sc-ev-');
    return o.total >= n && o.open === 0;
  }, timeoutS * 1000, 500);
  const stats = async (sql: string) => {
    const { rows } = await infra.db.query(sql);
    const r = rows[0] as { min: number | null; p: number[] | null; max: number | null; early?: number };
    return { min: round(r.min ?? NaN, 0), p50: round(r.p?.[0] ?? NaN, 0), p95: round(r.p?.[1] ?? NaN, 0), max: round(r.max ?? NaN, 0), early: r.early ?? 0 };
  };
  const jobs = await stats(`
    SELECT min(x) AS min, max(x) AS max, percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY x) AS p, count(*) FILTER (WHERE x < 0)::int AS early
      FROM (SELECT extract(epoch FROM completed_at - due_at) * 1000 AS x FROM scheduled_jobs WHERE kind = 'event_due' AND ref_id LIKE 'sc-ev-%' AND completed_at IS NOT NULL) j`);
  const sends = await stats(`
    SELECT min(x) AS min, max(x) AS max, percentile_cont(ARRAY[0.5, 0.95]) WITHIN GROUP (ORDER BY x) AS p
      FROM (SELECT extract(epoch FROM s.sent_at - e.scheduled_for) * 1000 AS x
              FROM notification_events e JOIN notification_deliveries d ON d.event_id = e.id JOIN sms_messages s ON s.notification_delivery_id = d.id
             WHERE e.id LIKE 'sc-ev-%' AND s.sent_at IS NOT NULL) m`);
  const { early, ...dueToPublishedMs } = jobs;
  const { early: _unused, ...dueToAcceptMs } = sends;
  const r = { events: n, dueToPublishedMs, dueToAcceptMs, early };
  log(`  due → published p50 ${dueToPublishedMs.p50} ms, max ${dueToPublishedMs.max} ms; due → accepted p50 ${dueToAcceptMs.p50} ms, max ${dueToAcceptMs.max} ms; early ${early}`);
  return r;
}

/** Waits until no delivery of any scenario is still open (the pipeline is idle again). */
export async function quiesce(infra: Infra, timeoutS: number): Promise<void> {
  const t = Date.now();
  const idle = await waitUntil(async () => (await openDeliveries(infra.db, '')).open === 0, timeoutS * 1000, 1000);
  log(idle ? `pipeline idle after ${round((Date.now() - t) / 1000)} s` : `pipeline still busy after ${timeoutS} s; going on`);
}
