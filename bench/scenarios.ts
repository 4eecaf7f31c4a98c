import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import twilio from 'twilio';
import { createPrisma } from '@hub/db';
import { createApiKey } from '@hub/gateway';
import type { Infra, LogProblems } from './infra.ts';
import { consumerLag, cpuDiff, cpuSnapshot, latencyStats, openDeliveries, percentiles, postgresPids, round, sampleRss, seedEmailTemplate, seedEmailUsers, seedUsers, waitUntil, type CpuGroups, type LatencyStats, type Percentiles } from './measure.ts';

const log = (msg: string) => console.log(`[bench] ${msg}`);
const MAIN_TOPICS = ['notify.events.v1', 'notify.deliveries.sms.v1', 'notify.sms.status.v1'];

export function eventJson(id: string, targetUserId: string | undefined, type = 'task.reminder'): string {
  return JSON.stringify({ id, type, ...(targetUserId ? { targetUserId } : {}), payload: { task_name: 'Bench task', due_time: '5pm' }, occurredAt: new Date().toISOString() });
}

async function lag(infra: Infra): Promise<Record<string, number>> {
  return consumerLag(infra.admin, ['router', 'sms-adapter', 'status-ingest.status'].map((g) => `${infra.prefix}.${g}`), MAIN_TOPICS.map(infra.topic));
}

/**
 * The processes whose CPU the bench accounts: Kafka, this database's PostgreSQL processes,
 * each service, the email sandbox's worker thread, and the rest of this process (the
 * publisher, the pollers and the in-process Twilio sandbox, which share its main thread).
 */
function cpuGroups(infra: Infra): CpuGroups {
  const servicePids = Object.fromEntries(infra.services.map((s) => [s.name, s.proc.pid!]));
  return {
    kafka: () => (infra.brokerPid ? [infra.brokerPid] : []),
    // The private server: all of it (it serves nothing else). A shared one: this database's backends and the server's own processes.
    postgres: () => (infra.postgres.postmasterPid ? [{ tree: infra.postgres.postmasterPid }] : postgresPids(infra.db)),
    ...Object.fromEntries(Object.entries(servicePids).map(([k, v]) => [k, () => [v]])),
    'email-sandbox': () => [{ pid: process.pid, tid: infra.emailSandbox.tid }],
    'bench+twilio-sandbox': () => [process.pid, { pid: process.pid, tid: infra.emailSandbox.tid, minus: true }],
  };
}

/** CPU seconds per group from now until stop(), and ms per delivered message. */
async function cpuMeter(infra: Infra) {
  const groups = cpuGroups(infra);
  const before = await cpuSnapshot(groups);
  const t0 = Date.now();
  return {
    async stop(delivered: number) {
      const cpuSeconds = cpuDiff(before, await cpuSnapshot(groups));
      const cpuMsPerMessage = Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, round((1000 * v) / Math.max(1, delivered), 2)]));
      return { cpuSeconds, cpuMsPerMessage, cpuWallSeconds: round((Date.now() - t0) / 1000) };
    },
  };
}

/** The hub's share of the CPU per message: the services, Kafka and PostgreSQL (not the bench, not the sandboxes). */
export const HUB_CPU_GROUPS = ['gateway', 'router', 'sms-adapter', 'email-adapter', 'status-ingest', 'scheduler', 'kafka', 'postgres'];
const hubMs = (perMessage: Record<string, number>) => round(HUB_CPU_GROUPS.reduce((a, k) => a + (perMessage[k] ?? 0), 0), 2);

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
export async function steady(infra: Infra, rates: number[], seconds: number, drainTimeoutS: number, tagPrefix = 'st'): Promise<SteadyResult> {
  for (const rate of rates) await seed(infra, 'task.reminder', rate * seconds, `${tagPrefix}${rate}`);
  const servicePids = Object.fromEntries(infra.services.map((s) => [s.name, s.proc.pid!]));
  const groups = cpuGroups(infra);
  const rss = sampleRss(servicePids);
  const cpu0 = await cpuSnapshot(groups);
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
    const tag = `${tagPrefix}${rate}`;
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
    log(`  accept ${stats.acceptPerSec}/s p99 ${stats.acceptMs.p99} ms; sent callback (${stats.sentCallbackSource}) p99 ${stats.sentCallbackMs?.p99} ms; delivered ${stats.deliveredPerSec}/s; lag ${JSON.stringify(lagAtEnd)}; drained ${drained}`);
  }
  const cpu1 = await cpuSnapshot(groups);
  const wallSeconds = (Date.now() - wall0) / 1000;
  const cpuSeconds = cpuDiff(cpu0, cpu1);
  const totalCpu = Object.values(cpuSeconds).reduce((a, b) => a + b, 0);
  const cpuShare = Object.fromEntries(Object.entries(cpuSeconds).map(([k, v]) => [k, round((100 * v) / Math.max(0.001, totalCpu))]));
  return { phases, skippedRates, rssMb: rss.stop(), cpuSeconds, cpuShare, wallSeconds: round(wallSeconds) };
}

export interface BurstResult {
  events: number;
  publishSeconds: number;
  finalSeconds: number | null;
  meanPerSec: number;
  peakAcceptPerSec: number;
  stats: LatencyStats;
  /** Deliveries by final status (all must be delivered). */
  statuses: Record<string, number>;
  /** From the first publish until every delivery was final. */
  cpuSeconds: Record<string, number>;
  cpuMsPerMessage: Record<string, number>;
  /** Services + Kafka + PostgreSQL, ms per delivered SMS. */
  hubCpuMsPerMessage: number;
  cpuWallSeconds: number;
}

/** Scenario 2: N events as fast as possible; time until every delivery is final. */
export async function burst(infra: Infra, n: number, timeoutS: number): Promise<BurstResult> {
  await seed(infra, 'task.reminder', n, 'bu');
  log(`burst of ${n} events`);
  const cpu = await cpuMeter(infra);
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
  const statuses = await deliveryStatuses(infra, 'bu-ev-');
  const cpuResult = await cpu.stop(statuses.delivered ?? 0);
  const { rows } = await infra.db.query(
    `SELECT coalesce(max(c), 0)::int AS peak FROM (SELECT count(*) AS c FROM sms_messages s JOIN notification_deliveries d ON d.id = s.notification_delivery_id
      WHERE d.event_id LIKE 'bu-ev-%' AND s.sent_at IS NOT NULL GROUP BY date_trunc('second', s.sent_at)) x`,
  );
  const stats = await latencyStats(infra.db, 'bu-ev-', start);
  const r = { events: n, publishSeconds: round(publishSeconds, 2), finalSeconds: finalSeconds === null ? null : round(finalSeconds), meanPerSec: finalSeconds ? round(n / finalSeconds) : stats.deliveredPerSec, peakAcceptPerSec: (rows[0] as { peak: number }).peak, stats, statuses, ...cpuResult, hubCpuMsPerMessage: hubMs(cpuResult.cpuMsPerMessage) };
  log(`  final in ${r.finalSeconds} s (${r.meanPerSec}/s), peak accept ${r.peakAcceptPerSec}/s; CPU ms per SMS ${JSON.stringify(r.cpuMsPerMessage)}`);
  return r;
}

/** Deliveries of events with this id prefix by status. */
async function deliveryStatuses(infra: Infra, idPrefix: string): Promise<Record<string, number>> {
  const { rows } = await infra.db.query<{ status: string; n: number }>(`SELECT status::text, count(*)::int AS n FROM notification_deliveries WHERE event_id LIKE $1 || '%' GROUP BY 1 ORDER BY 1`, [idPrefix]);
  return Object.fromEntries(rows.map((r) => [r.status, r.n]));
}

export interface EmailResult {
  events: number;
  eventType: string;
  /** The email template the messages were rendered from (MJML, text part derived). */
  template: string;
  /** The sandbox's spacing of processed and delivered after the 250. */
  eventDelayMs: number;
  smtpPoolMaxConnections: number;
  publishSeconds: number;
  finalSeconds: number | null;
  /** N ÷ seconds until every delivery was final. */
  meanPerSec: number;
  /** The busiest second of email_messages.sent_at. */
  peakAcceptPerSec: number;
  /**
   * acceptMs: event occurred_at → email_messages.sent_at (the SMTP server's 250, recorded by
   * the adapter); deliveredMs: → the delivery row delivered (the sandbox's delivered event,
   * through status-ingest's webhook and the adapter's status consumer). acceptPerSec as in SMS.
   */
  stats: LatencyStats;
  /** Event → the sandbox stored the message (its receivedAt), for the messages matched to a delivery. */
  sandboxReceivedMs: Percentiles & { matched: number };
  /** Event → the delivery's delivered_at, which is the provider event's own timestamp (SendGrid: whole seconds, so up to 1 s early). */
  deliveredProviderTimestampMs: Percentiles;
  statuses: Record<string, number>;
  /** email_messages with more than one attempt (a retry or a resend). */
  retried: number;
  /** What the sandbox received for the scenario's recipients. */
  sandbox: { messages: number; recipients: number; duplicates: number; recipientsWithDuplicates: number; events: Record<string, number>; refused: number; dropped: number; webhooksPosted: number; webhookFailures: number; evicted: number };
  checks: { allFinal: boolean; allDelivered: boolean; sandboxReceivedExactlyN: boolean; noDuplicates: boolean };
  cpuSeconds: Record<string, number>;
  cpuMsPerMessage: Record<string, number>;
  /** Services + Kafka + PostgreSQL, ms per delivered email (the sandbox and the bench apart). */
  hubCpuMsPerMessage: number;
  cpuWallSeconds: number;
  rssMb: Record<string, { maxMb: number; meanMb: number }>;
  lagAtEnd: Record<string, number>;
  /** Warn/error log lines the email path's services wrote during the scenario. */
  logProblems: Record<string, LogProblems>;
}

/**
 * Email: N users subscribed on the email channel only, N targeted events published as fast
 * as the burst's; time until the SMTP sandbox accepted each and until its delivered event
 * made each delivery final; CPU per delivered email; the sandbox must hold exactly N messages.
 */
export async function email(infra: Infra, n: number, timeoutS: number, smtpPoolMaxConnections: number): Promise<EmailResult> {
  const tag = 'em';
  const eventType = 'task.reminder';
  await seedEmailTemplate(infra.db, 'task_reminder');
  await seedEmailUsers(infra.db, eventType, n, tag);
  const emailPids = Object.fromEntries(infra.services.filter((s) => ['email-adapter', 'router', 'status-ingest'].includes(s.name)).map((s) => [s.name, s.proc.pid!]));
  const problemsBefore = Object.fromEntries(infra.services.map((s) => [s.name, s.problems()]));
  log(`email: ${n} events (email channel only)`);
  const rss = sampleRss(emailPids);
  const cpu = await cpuMeter(infra);
  const start = new Date();
  for (let i = 0; i < n; i += 1000) {
    const messages = [];
    for (let j = i; j < Math.min(n, i + 1000); j++) messages.push({ key: `${tag}-${j + 1}`, value: eventJson(`${tag}-ev-${j + 1}`, `${tag}-${j + 1}`, eventType) });
    await infra.producer.send({ topic: infra.topic('notify.events.v1'), messages });
  }
  const publishSeconds = (Date.now() - start.getTime()) / 1000;
  let lastLog = Date.now();
  const done = await waitUntil(async () => {
    const o = await openDeliveries(infra.db, `${tag}-ev-`);
    if (Date.now() - lastLog > 15_000) {
      lastLog = Date.now();
      log(`  … ${o.total} deliveries, ${o.open} open after ${round((Date.now() - start.getTime()) / 1000)} s`);
    }
    return o.total >= n && o.open === 0;
  }, timeoutS * 1000, 500);
  const finalSeconds = done ? (Date.now() - start.getTime()) / 1000 : null;
  const statuses = await deliveryStatuses(infra, `${tag}-ev-`);
  const cpuResult = await cpu.stop(statuses.delivered ?? 0);
  const rssMb = rss.stop();
  // One group at a time: consumerLag names 'email-adapter.status' 'email-adapter' (it drops '.status').
  const emailTopics = ['notify.events.v1', 'notify.deliveries.email.v1', 'notify.email.status.v1'].map(infra.topic);
  const lagAtEnd: Record<string, number> = {};
  for (const g of ['router', 'email-adapter', 'email-adapter.status']) lagAtEnd[g] = Object.values(await consumerLag(infra.admin, [`${infra.prefix}.${g}`], emailTopics))[0] ?? 0;
  const stats = await latencyStats(infra.db, `${tag}-ev-`, start, 'email');
  const { rows: peakRows } = await infra.db.query<{ peak: number; retried: number }>(
    `SELECT coalesce(max(c), 0)::int AS peak, (SELECT count(*)::int FROM email_messages m JOIN notification_deliveries d ON d.id = m.notification_delivery_id WHERE d.event_id LIKE $1 || '%' AND m.attempt_count > 1) AS retried
       FROM (SELECT count(*) AS c FROM email_messages m JOIN notification_deliveries d ON d.id = m.notification_delivery_id
              WHERE d.event_id LIKE $1 || '%' AND m.sent_at IS NOT NULL GROUP BY date_trunc('second', m.sent_at)) x`,
    [`${tag}-ev-`],
  );
  const summary = await infra.emailSandbox.summary('@example.test');
  // Event → stored by the sandbox: its Message-ID is the message's current header (<id>.<attempt>@domain).
  const { rows: recv } = await infra.db.query<{ ms: number }>(
    `SELECT extract(epoch FROM r.received_at - e.occurred_at) * 1000 AS ms
       FROM unnest($1::text[], $2::timestamptz[]) AS r(message_id, received_at)
       JOIN email_messages m ON m.message_id_header = r.message_id
       JOIN notification_deliveries d ON d.id = m.notification_delivery_id
       JOIN notification_events e ON e.id = d.event_id
      WHERE e.id LIKE $3 || '%'`,
    [summary.received.map((r) => r.messageId), summary.received.map((r) => r.receivedAt), `${tag}-ev-`],
  );
  const received = recv.map((r) => Number(r.ms));
  const { rows: provider } = await infra.db.query<{ ms: number }>(
    `SELECT extract(epoch FROM d.delivered_at - e.occurred_at) * 1000 AS ms FROM notification_deliveries d JOIN notification_events e ON e.id = d.event_id
      WHERE e.id LIKE $1 || '%' AND d.status = 'delivered'`,
    [`${tag}-ev-`],
  );
  const logProblems = Object.fromEntries(
    infra.services.map((s) => {
      const now = s.problems();
      const before = problemsBefore[s.name]!;
      return [s.name, { warn: now.warn - before.warn, error: now.error - before.error, samples: now.samples.slice(before.samples.length) }];
    }),
  );
  const { stats: sb } = summary;
  const r: EmailResult = {
    events: n,
    eventType,
    template: 'task_reminder (MJML, no text template: the text part is derived from the HTML)',
    eventDelayMs: infra.emailSandbox.eventDelayMs,
    smtpPoolMaxConnections,
    publishSeconds: round(publishSeconds, 2),
    finalSeconds: finalSeconds === null ? null : round(finalSeconds),
    meanPerSec: finalSeconds ? round(n / finalSeconds) : stats.deliveredPerSec,
    peakAcceptPerSec: peakRows[0]?.peak ?? 0,
    stats,
    sandboxReceivedMs: { ...percentiles(received), matched: received.length },
    deliveredProviderTimestampMs: percentiles(provider.map((x) => Number(x.ms))),
    statuses,
    retried: peakRows[0]?.retried ?? 0,
    sandbox: { messages: summary.messages, recipients: summary.recipients, duplicates: summary.duplicates, recipientsWithDuplicates: summary.recipientsWithDuplicates, events: summary.events, refused: sb.refused, dropped: sb.dropped, webhooksPosted: sb.webhooksPosted, webhookFailures: sb.webhookFailures, evicted: sb.evicted },
    checks: { allFinal: done, allDelivered: (statuses.delivered ?? 0) === n, sandboxReceivedExactlyN: summary.messages === n && summary.recipients === n && sb.evicted === 0, noDuplicates: summary.duplicates === 0 },
    ...cpuResult,
    hubCpuMsPerMessage: hubMs(cpuResult.cpuMsPerMessage),
    rssMb,
    lagAtEnd,
    logProblems,
  };
  log(`  final in ${r.finalSeconds} s (${r.meanPerSec}/s), accept ${stats.acceptPerSec}/s (peak ${r.peakAcceptPerSec}/s); accept p50/p95/p99 ${stats.acceptMs.p50}/${stats.acceptMs.p95}/${stats.acceptMs.p99} ms, delivered ${stats.deliveredMs.p50}/${stats.deliveredMs.p95}/${stats.deliveredMs.p99} ms`);
  log(`  statuses ${JSON.stringify(statuses)}; sandbox ${summary.messages} messages to ${summary.recipients} recipients, ${summary.duplicates} duplicates; checks ${JSON.stringify(r.checks)}`);
  log(`  CPU ms per email ${JSON.stringify(r.cpuMsPerMessage)}; log problems ${JSON.stringify(Object.fromEntries(Object.entries(logProblems).map(([k, v]) => [k, `${v.warn}w/${v.error}e`])))}`);
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

export interface HttpResult {
  requestsPerSec: number; p50Ms: number; p99Ms: number; total: number; non2xx: number; errors: number; lagAfter?: Record<string, number>; drainSeconds?: number | null;
  /** Webhook: CPU ms per callback of status-ingest and PostgreSQL, from the first request until the status topic was drained. */
  cpuMsPerRequest?: Record<string, number>;
}

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
  const cpu = await cpuMeter(infra);
  const res = await autocannon({ url: infra.statusIngestUrl, connections, duration: seconds, requests });
  const lagAfter = await lag(infra);
  const t = Date.now();
  const drained = await waitUntil(async () => ((await lag(infra))['status-ingest'] ?? 0) === 0, drainTimeoutS * 1000, 1000);
  const total = res.requests.total ?? res['2xx'];
  const { cpuMsPerMessage } = await cpu.stop(total);
  const cpuMsPerRequest = Object.fromEntries(['status-ingest', 'postgres', 'kafka'].map((k) => [k, round(cpuMsPerMessage[k] ?? 0, 3)]));
  const r = { requestsPerSec: round(res.requests.average, 0), p50Ms: res.latency.p50, p99Ms: res.latency.p99, total, non2xx: res.non2xx, errors: res.errors, lagAfter, drainSeconds: drained ? round((Date.now() - t) / 1000) : null, cpuMsPerRequest };
  log(`  ${r.requestsPerSec} req/s p99 ${r.p99Ms} ms, status lag after ${lagAfter['status-ingest']} (drained in ${r.drainSeconds} s); CPU ms per callback ${JSON.stringify(cpuMsPerRequest)}`);
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
