import type { ProfileSummary } from './profile.ts';
import type { BroadcastResult, BurstResult, EmailResult, HttpResult, ScheduledResult, SteadyResult } from './scenarios.ts';

export interface ReportInput {
  date: string;
  git: { sha: string; dirty: boolean };
  machine: { cores: number; cpu: string; memoryGb: number; node: string; kafka: string; postgres: string; platform: string; loadAvgAtStart: number[]; loadAvgAtEnd: number[] };
  config: Record<string, unknown>;
  /** Which PostgreSQL server the run used and its settings (the private one is the bench's own). */
  postgres?: { server: 'private' | 'shared'; requested: Record<string, string | number>; settings: Record<string, string>; databaseMbAtEnd: number };
  scheduled: ScheduledResult;
  steady: SteadyResult;
  burst: BurstResult;
  email: EmailResult;
  broadcast: BroadcastResult;
  webhook: HttpResult;
  gateway: HttpResult;
  limits: { kafka: { perSec: number; messages: number; bytes: number; seconds: number }; db: { perSec: number; messages: number; seconds: number; batch: number; workers: number } };
  fractions: Record<string, number>;
  /** BENCH_CPU_PROFILE's services, summarised (absent without profiles). */
  profiles?: ProfileSummary[];
  totalSeconds: number;
}

export interface Target { target: string; measured: string; met: boolean | null; boundBy?: string }

const HUB_SERVICES = ['gateway', 'router', 'sms-adapter', 'email-adapter', 'status-ingest', 'scheduler'];

/** What bounds the pipeline, from this run's CPU split and, when the run profiled services, their profiles. */
function pipelineBound(r: Omit<ReportInput, 'totalSeconds'>): string {
  const used = (100 * Object.values(r.steady.cpuSeconds).reduce((a, b) => a + b, 0)) / Math.max(0.001, r.steady.wallSeconds * r.machine.cores);
  const events = r.steady.phases.reduce((a, p) => a + p.published, 0);
  const perEvent = (name: string) => (events > 0 ? ((1000 * (r.steady.cpuSeconds[name] ?? 0)) / events).toFixed(1) : '?');
  const top = Object.entries(r.steady.cpuShare).sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, v]) => `${k} ${v} % of that`).join(', ');
  const hubMs = HUB_SERVICES.reduce((a, n) => a + Number(perEvent(n) === '?' ? 0 : perEvent(n)), 0).toFixed(1);
  const burst = Object.entries(r.burst.cpuMsPerMessage).sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k} ${v}`).join(', ');
  const busy = r.machine.loadAvgAtStart[0]! > r.machine.cores * 0.75;
  return [
    `CPU: during scenario 1 the processes measured used ${used.toFixed(0)} % of the ${r.machine.cores} cores (${top})${used >= 85 ? ' — the machine is saturated, so the pipeline rate is CPU per event × events/s' : ''}${busy ? `; the load average was ${r.machine.loadAvgAtStart[0]} at the start, so other work held the rest of the cores` : ''}.`,
    `Per event the hub's own processes spent ${hubMs} ms of CPU in scenario 1 (sms-adapter ${perEvent('sms-adapter')} ms, status-ingest ${perEvent('status-ingest')} ms, router ${perEvent('router')} ms), PostgreSQL ${perEvent('postgres')} ms and Kafka ${perEvent('kafka')} ms; per delivered SMS in the burst (ms, largest first): ${burst}.`,
    r.profiles && r.profiles.length > 0
      ? `CPU profiles of this run (main thread, self time, idle excluded): ${r.profiles.map((p) => `${p.service} (${p.busySeconds} s sampled): ${p.byOrigin.map((o) => `${o.name} ${o.percent} %`).join(', ')}; top functions ${p.byFunction.slice(0, 5).map((f) => `${f.name} ${f.percent} %`).join(', ')}`).join('. ')}.`
      : 'No CPU profile in this run (BENCH_CPU_PROFILE=sms-adapter,status-ingest adds one to this section).',
  ].join(' ');
}

export function targetsFor(r: Omit<ReportInput, 'totalSeconds'>): Target[] {
  // Sustained: a steady phase, the burst's mean or the broadcast's; the burst's busiest second is shown beside it.
  const best = Math.max(...r.steady.phases.map((p) => p.acceptPerSec), r.burst.meanPerSec, r.broadcast.acceptPerSec);
  const at1000 = r.steady.phases.find((p) => p.rate >= 1000);
  const extrap = r.broadcast.acceptPerSec > 0 ? 100_000 / r.broadcast.acceptPerSec : Infinity;
  const frac = r.fractions.steadyBestAcceptOfDb ?? 0;
  const t: Target[] = [
    { target: 'sustained ≥ 2,000 events/s event → provider accept', measured: `${best}/s sustained (best of steady phases, burst mean, broadcast); busiest second of the burst ${r.burst.peakAcceptPerSec}/s`, met: best >= 2000 },
    at1000
      ? { target: 'p99 event → accept ≤ 250 ms at 1,000/s', measured: `${at1000.acceptMs.p99} ms at ${at1000.rate}/s`, met: at1000.acceptMs.p99 <= 250 }
      : { target: 'p99 event → accept ≤ 250 ms at 1,000/s', measured: `not run at 1,000/s (hub saturates far below); p99 ${r.steady.phases.at(-1)?.acceptMs.p99} ms at ${r.steady.phases.at(-1)?.rate}/s`, met: false },
    { target: '100,000-subscriber broadcast accepted in ≤ 60 s', measured: `${r.broadcast.subscribers} in ${r.broadcast.acceptedSeconds} s → 100k ≈ ${Math.round(extrap)} s (extrapolated)`, met: extrap <= 60 },
    { target: 'webhook ingest ≥ 5,000/s', measured: `${r.webhook.requestsPerSec} req/s, p99 ${r.webhook.p99Ms} ms`, met: r.webhook.requestsPerSec >= 5000 },
    { target: 'scheduler: a job fires ≤ 1 s after its due time on an idle hub (issue 3)', measured: `due → published p50 ${r.scheduled.dueToPublishedMs.p50} ms, max ${r.scheduled.dueToPublishedMs.max} ms over ${r.scheduled.events} jobs; ${r.scheduled.early} early`, met: r.scheduled.dueToPublishedMs.max <= 1000 && r.scheduled.early === 0 },
    { target: 'pipeline ≥ 50 % of the database limit', measured: `${(frac * 100).toFixed(1)} % (${best}/s of ${r.limits.db.perSec}/s)`, met: frac >= 0.5 },
    ...issue14Targets(r, best, extrap),
  ];
  for (const x of t) {
    if (x.met) continue;
    x.boundBy = x.target.startsWith('gateway')
      ? `The gateway: ${r.gateway.requestsPerSec} req/s, p99 ${r.gateway.p99Ms} ms with ${r.config.httpConnections ?? '?'} connections; not profiled by this run (BENCH_CPU_PROFILE=gateway would show it).`
      : x.target.startsWith('webhook')
      ? `One status-ingest process (one core at most) doing per request: Fastify parsing, the Twilio signature (HMAC-SHA1), the replay check (one PostgreSQL query: was this status already recorded?) and a Kafka produce (concurrent requests share one produce request); it shares the ${r.machine.cores} cores with the broker, the database and the load generator. More status-ingest instances behind a load balancer would lift it.`
      : pipelineBound(r);
  }
  return t;
}

/** Issue 14's targets (judged, never asserted). */
function issue14Targets(r: Omit<ReportInput, 'totalSeconds'>, best: number, broadcast100kSeconds: number): Target[] {
  const at200 = r.steady.phases.find((p) => p.rate >= 200);
  const sandboxMs = r.burst.cpuMsPerMessage['bench+twilio-sandbox'];
  const rss = Object.entries(r.steady.rssMb).sort((a, b) => b[1].maxMb - a[1].maxMb);
  return [
    { target: 'issue 14: CPU per delivered SMS ≤ 3 ms (services + Kafka + PostgreSQL)', measured: `${r.burst.hubCpuMsPerMessage} ms in the burst of ${r.burst.events}`, met: r.burst.hubCpuMsPerMessage <= 3 },
    { target: 'issue 14: sustained ≥ 400 events/s event → provider accept', measured: `${best}/s`, met: best >= 400 },
    at200
      ? { target: 'issue 14: p99 event → accept ≤ 500 ms at 200 events/s', measured: `${at200.acceptMs.p99} ms at ${at200.rate}/s (accepted ${at200.acceptPerSec}/s)`, met: at200.acceptMs.p99 <= 500 && at200.acceptPerSec >= 0.95 * at200.rate }
      : { target: 'issue 14: p99 event → accept ≤ 500 ms at 200 events/s', measured: `not run at 200/s (rates ${r.steady.phases.map((p) => p.rate).join(', ')}${r.steady.skippedRates.length ? `; skipped ${r.steady.skippedRates.join(', ')}` : ''})`, met: null },
    { target: 'issue 14: burst of 50,000 all final at ≥ 400/s mean', measured: `${r.burst.events} in ${r.burst.finalSeconds ?? 'timeout'} s → ${r.burst.meanPerSec}/s`, met: r.burst.events >= 50_000 ? r.burst.meanPerSec >= 400 : r.burst.meanPerSec >= 400 ? null : false },
    { target: 'issue 14: 100,000-subscriber broadcast accepted in ≤ 250 s', measured: `${r.broadcast.subscribers} in ${r.broadcast.acceptedSeconds} s → 100k ≈ ${Math.round(broadcast100kSeconds)} s (extrapolated)`, met: broadcast100kSeconds <= 250 },
    { target: "issue 14: the sandbox's own cost ≤ 1 ms per message", measured: `bench+twilio-sandbox ${sandboxMs ?? '?'} ms per SMS in the burst (an upper bound: the publisher and the bench's pollers share that process)`, met: sandboxMs !== undefined && sandboxMs <= 1 ? true : null },
    { target: 'issue 14: webhook ingest ≥ 4,000 signed callbacks/s on one status-ingest', measured: `${r.webhook.requestsPerSec} req/s, p99 ${r.webhook.p99Ms} ms`, met: r.webhook.requestsPerSec >= 4000 },
    { target: 'gateway POST /v1/events ≥ 2,000 req/s, p99 ≤ 50 ms (issue 14)', measured: `${r.gateway.requestsPerSec} req/s, p99 ${r.gateway.p99Ms} ms`, met: r.gateway.requestsPerSec >= 2000 && r.gateway.p99Ms <= 50 },
    { target: 'issue 14: each service under 150 MB resident', measured: `largest in scenario 1: ${rss.slice(0, 3).map(([k, v]) => `${k} ${v.maxMb} MB`).join(', ')}`, met: (rss[0]?.[1].maxMb ?? 0) < 150 },
  ];
}

const CPU_ORDER = ['email-adapter', 'sms-adapter', 'router', 'status-ingest', 'scheduler', 'gateway', 'kafka', 'postgres', 'email-sandbox', 'bench+twilio-sandbox'];
const cpuLine = (m: Record<string, number>) => CPU_ORDER.filter((k) => k in m).map((k) => `${k} ${m[k]}`).join(', ');
const statusLine = (st: Record<string, number>) => Object.entries(st).map(([k, v]) => `${v} ${k}`).join(', ') || 'none';
const pct = (p: { mean: number; p50: number; p95: number; p99: number }) => `${p.mean} / ${p.p50} / ${p.p95} / ${p.p99}`;

/** "Email (SMTP sandbox)": the email scenario beside the SMS burst of the same run. */
function emailSection(L: string[], r: ReportInput): void {
  const e = r.email;
  const b = r.burst;
  L.push('## Email (SMTP sandbox)', '');
  L.push(`${e.events} users subscribed to \`${e.eventType}\` on the email channel only, one targeted event each, published in ${e.publishSeconds} s (as the burst). The email-adapter sends over SMTP to @hub/email-sandbox (in the bench process, on a worker thread of its own) with SMTP_RATE_PER_SECOND=0 and a pool of ${e.smtpPoolMaxConnections} connections; template ${e.template}. The sandbox posts signed SendGrid events (processed, then delivered, ${e.eventDelayMs} ms apart) to status-ingest's POST /webhooks/sendgrid/events, which publishes them to notify.email.status.v1 for the email-adapter's status consumer. Every delivery final after ${e.finalSeconds ?? 'timeout'} s.`, '');
  L.push(row(['', 'SMS burst', 'email']), row(['---', '---:', '---:']));
  L.push(row(['events', b.events, e.events]));
  L.push(row(['published in (s)', b.publishSeconds, e.publishSeconds]));
  L.push(row(['every delivery final after (s)', b.finalSeconds ?? 'timeout', e.finalSeconds ?? 'timeout']));
  L.push(row(['mean events/s (N ÷ time to final)', b.meanPerSec, e.meanPerSec]));
  L.push(row(['accepted/s (accepted ÷ last accept − start)', b.stats.acceptPerSec, e.stats.acceptPerSec]));
  L.push(row(['busiest second of accepts', b.peakAcceptPerSec, e.peakAcceptPerSec]));
  L.push(row(['event → provider accept, mean / p50 / p95 / p99 ms', pct(b.stats.acceptMs), pct(e.stats.acceptMs)]));
  L.push(row([`event → Twilio's "sent" callback ${sentCallbackWord(b.stats)}, mean / p50 / p95 / p99 ms`, b.stats.sentCallbackMs ? pct(b.stats.sentCallbackMs) : '–', '–']));
  L.push(row(['event → stored by the sandbox, mean / p50 / p95 / p99 ms', '–', `${pct(e.sandboxReceivedMs)} (${e.sandboxReceivedMs.matched} matched)`]));
  L.push(row(['event → delivered, mean / p50 / p95 / p99 ms', pct(b.stats.deliveredMs), pct(e.stats.deliveredMs)]));
  L.push(row(['event → the delivered event\'s own timestamp (whole seconds), mean / p50 / p95 / p99 ms', '–', pct(e.deliveredProviderTimestampMs)]));
  L.push(row(['deliveries', statusLine(b.statuses), statusLine(e.statuses)]));
  for (const k of CPU_ORDER) {
    if (!(k in e.cpuMsPerMessage) && !(k in b.cpuMsPerMessage)) continue;
    L.push(row([`CPU ms per delivered message: ${k}`, b.cpuMsPerMessage[k], e.cpuMsPerMessage[k]]));
  }
  L.push(row(['CPU ms per delivered message: hub (services + Kafka + PostgreSQL)', b.hubCpuMsPerMessage, e.hubCpuMsPerMessage]));
  L.push(row(['CPU measured over (s)', b.cpuWallSeconds, e.cpuWallSeconds]), '');
  L.push('Provider accept: SMS sms_messages.sent_at (Twilio sandbox answered the create call); email email_messages.sent_at (the SMTP server\'s 250 after DATA, recorded by the adapter). Delivered: SMS sms_messages.delivered_at (its status callback applied); email the moment the delivery row became delivered (its updated_at: the sandbox\'s delivered event applied by the email-adapter; the row\'s delivered_at holds the event\'s own timestamp, whole seconds as SendGrid sends it, shown on its own line). CPU from /proc (utime + stime) per process; the email sandbox is its worker thread alone, `bench+twilio-sandbox` the rest of the bench process (the publisher, the pollers and the in-process Twilio sandbox); postgres as described under the configuration above (the private server\'s whole process tree, or this database\'s backends and the shared server\'s own processes). Every service runs during both scenarios, so an idle one shows its idle cost.', '');
  const sb = e.sandbox;
  const c = e.checks;
  L.push(`Checks: every delivery final ${c.allFinal ? 'yes' : '**no**'}; all delivered ${c.allDelivered ? 'yes' : '**no**'}; the sandbox received ${sb.messages} messages for ${sb.recipients} distinct recipients (expected ${e.events}: ${c.sandboxReceivedExactlyN ? 'exactly N' : '**not exactly N**'}), duplicates ${sb.duplicates}${sb.duplicates ? ` (**${sb.recipientsWithDuplicates} recipients got more than one**)` : ''}; messages with more than one attempt ${e.retried}; SMTP refusals ${sb.refused}, dropped connections ${sb.dropped}, evicted ${sb.evicted}; sandbox events emitted ${Object.entries(sb.events).map(([k, v]) => `${k} ${v}`).join(', ') || 'none'}, webhook POSTs taken ${sb.webhooksPosted}, given up ${sb.webhookFailures}. Consumer lag at the end (router / email-adapter / email-adapter.status): ${e.lagAtEnd.router} / ${e.lagAtEnd['email-adapter']} / ${e.lagAtEnd['email-adapter.status']}.`, '');
  L.push('Resident memory during the email scenario (MB, max / mean): ' + Object.entries(e.rssMb).map(([k, v]) => `${k} ${v.maxMb} / ${v.meanMb}`).join('; '), '');
  const problems = Object.entries(e.logProblems).filter(([, p]) => p.warn + p.error > 0);
  if (problems.length === 0) L.push('No warn or error log lines from any service during the email scenario.', '');
  else {
    L.push('Warn / error log lines during the email scenario:', '');
    for (const [name, p] of problems) {
      L.push(`- ${name}: ${p.warn} warn, ${p.error} error${p.samples.length ? '; first:' : ''}`);
      for (const sample of p.samples.slice(0, 3)) L.push(`  - \`${sample.replace(/`/g, "'").slice(0, 400)}\``);
    }
    L.push('');
  }
}

/** How the "sent" callback time was taken (LatencyStats.sentCallbackSource). */
const sentCallbackWord = (s: { sentCallbackSource: 'applied' | 'received' | null }) => (s.sentCallbackSource === 'received' ? 'received' : 'applied');
const SENT_CALLBACK_NOTE: Record<'applied' | 'received', string> = {
  applied: 'the commit time of the status-ingest transaction that applied it (its sms_message_events row, via track_commit_timestamp)',
  received: "sms_messages.provider_sent_at, when status-ingest's webhook received it (this server records no commit timestamps, so the apply time itself is not available)",
};

const row = (cells: (string | number | null | undefined)[]) => `| ${cells.map((c) => (c === null || c === undefined ? '–' : String(c))).join(' | ')} |`;

export function renderMarkdown(r: ReportInput & { targets: Target[] }): string {
  const L: string[] = [];
  L.push(`# Benchmark ${r.date.slice(0, 10)} (${r.git.sha}${r.git.dirty ? ', dirty tree' : ''})`, '');
  L.push(`Machine: ${r.machine.cores} cores (${r.machine.cpu}), ${r.machine.memoryGb} GB, ${r.machine.platform}; Node ${r.machine.node}; Kafka ${r.machine.kafka}; ${r.machine.postgres.split(' on ')[0]}. Total run ${r.totalSeconds} s. Load average (1/5/15 min) at start ${r.machine.loadAvgAtStart.join(' / ')}, at end ${r.machine.loadAvgAtEnd.join(' / ')}${r.machine.loadAvgAtStart[0]! > r.machine.cores * 0.75 ? ' — **the machine was busy with other work when the run started: figures are pessimistic**' : ' (the end figure is the benchmark\'s own load)'}.`, '');
  L.push(`Config: \`${JSON.stringify(r.config)}\``, '');
  if (r.postgres) {
    const pgs = r.postgres;
    L.push(`PostgreSQL: ${pgs.server === 'private' ? "the bench's own server (initdb + pg_ctl, stopped at the end; its CPU is the postmaster's tree: every backend, autovacuum worker and background process)" : "a database on BENCH_DATABASE_URL's shared server (its CPU: this database's backends and the server's own processes)"}; settings ${Object.entries(pgs.settings).map(([k, v]) => `${k}=${v}`).join(', ')}; database ${pgs.databaseMbAtEnd} MB at the end.`, '');
  }
  L.push('## Limits (same broker, same database, same run)', '');
  L.push(row(['limit', 'rate', 'detail']), row(['---', '---:', '---']));
  L.push(row(['Kafka raw produce → consume', `${r.limits.kafka.perSec} msg/s`, `${r.limits.kafka.messages} × ${r.limits.kafka.bytes} B JSON, acks=all, kafkajs`]));
  L.push(row(['PostgreSQL batched message lifecycle', `${r.limits.db.perSec} msg/s`, `${r.limits.db.messages} messages; per batch of ${r.limits.db.batch}: INSERT sms_messages FROM unnest, UPDATE deliveries sent, 3 sms_message_events, UPDATE both delivered; ${r.limits.db.workers} workers`]), '');
  L.push('## 0. Scheduler latency (idle hub)', '');
  const sc = r.scheduled;
  L.push(`${sc.events} events scheduled 4–9 s ahead (due times spread over 5 s). Due → job published: min ${sc.dueToPublishedMs.min} / p50 ${sc.dueToPublishedMs.p50} / p95 ${sc.dueToPublishedMs.p95} / max ${sc.dueToPublishedMs.max} ms; due → SMS accepted by the provider: min ${sc.dueToAcceptMs.min} / p50 ${sc.dueToAcceptMs.p50} / p95 ${sc.dueToAcceptMs.p95} / max ${sc.dueToAcceptMs.max} ms; published early: ${sc.early}. The scheduler runs with its defaults (SCHEDULER_POLL_MS 250) unless BENCH_SERVICE_ENV says otherwise.`, '');
  L.push('## 1. Steady stream (Kafka → provider accept → delivered)', '');
  const cbWord = sentCallbackWord(r.steady.phases[0] ?? r.burst.stats);
  L.push(row(['rate/s', 'published', 'accept/s', 'event → provider accept p50/p95/p99 ms', `event → "sent" callback ${cbWord} p50/p95/p99 ms`, 'delivered/s', 'delivered p50/p95/p99 ms', 'lag at end (router/adapter/status)', 'drained after', '% of DB limit']), row(['---:', '---:', '---:', '---', '---', '---:', '---', '---', '---:', '---:']));
  for (const p of r.steady.phases) {
    L.push(row([p.rate, p.published, p.acceptPerSec, `${p.acceptMs.p50} / ${p.acceptMs.p95} / ${p.acceptMs.p99}`, p.sentCallbackMs ? `${p.sentCallbackMs.p50} / ${p.sentCallbackMs.p95} / ${p.sentCallbackMs.p99}` : '–', p.deliveredPerSec, `${p.deliveredMs.p50} / ${p.deliveredMs.p95} / ${p.deliveredMs.p99}`, `${p.lagAtEnd.router} / ${p.lagAtEnd['sms-adapter']} / ${p.lagAtEnd['status-ingest']}`, p.drainedSeconds === null ? 'not drained' : `${p.drainedSeconds} s`, `${((100 * p.acceptPerSec) / r.limits.db.perSec).toFixed(1)} %`]));
  }
  if (r.steady.skippedRates.length) L.push('', `Not run: ${r.steady.skippedRates.join(', ')}/s — a lower rate already saturated the hub (accepted < 80 % of the offered rate), so a higher one would only measure a longer queue.`);
  L.push('', `Accept/s = accepted messages ÷ (last accept − phase start); latencies from notification_events.occurred_at (percentile_cont in SQL) to: provider accept = sms_messages.sent_at (the adapter records the create call's answer; status-ingest keeps it); "sent" callback = ${SENT_CALLBACK_NOTE[cbWord]}; delivered = sms_messages.delivered_at (the delivered callback applied).`, '');
  L.push('Resident memory during scenario 1 (MB, max / mean): ' + Object.entries(r.steady.rssMb).map(([k, v]) => `${k} ${v.maxMb} / ${v.meanMb}`).join('; '), '');
  L.push(`CPU split during scenario 1 (${r.steady.wallSeconds} s wall, ${r.machine.cores} cores = ${(r.steady.wallSeconds * r.machine.cores).toFixed(0)} CPU-s available): ` + Object.entries(r.steady.cpuSeconds).map(([k, v]) => `${k} ${v} s (${r.steady.cpuShare[k]} %)`).join('; '), '');
  L.push('## 2. Burst', '');
  L.push(`${r.burst.events} events published in ${r.burst.publishSeconds} s; every delivery final after ${r.burst.finalSeconds ?? 'timeout'} s → mean ${r.burst.meanPerSec}/s, peak accept ${r.burst.peakAcceptPerSec}/s (${((100 * r.burst.meanPerSec) / r.limits.db.perSec).toFixed(1)} % of DB limit); event → provider accept p99 ${r.burst.stats.acceptMs.p99} ms, → "sent" callback ${sentCallbackWord(r.burst.stats)} p99 ${r.burst.stats.sentCallbackMs?.p99 ?? '–'} ms.`, '');
  L.push(`CPU per delivered SMS (ms, from the first publish until every delivery was final, ${r.burst.cpuWallSeconds} s): ${cpuLine(r.burst.cpuMsPerMessage)}; the hub (services + Kafka + PostgreSQL) ${r.burst.hubCpuMsPerMessage} ms. Deliveries: ${statusLine(r.burst.statuses)}.`, '');
  emailSection(L, r);
  L.push('## 3. Broadcast', '');
  L.push(`One event to ${r.broadcast.subscribers} subscribers: every delivery row written after ${r.broadcast.rowsSeconds ?? 'timeout'} s, every SMS accepted by the sandbox after ${r.broadcast.acceptedSeconds ?? 'timeout'} s (${r.broadcast.acceptPerSec}/s, ${((100 * r.broadcast.acceptPerSec) / r.limits.db.perSec).toFixed(1)} % of DB limit), all final after ${r.broadcast.finalSeconds ?? 'timeout'} s.`, '');
  L.push('## 4–5. HTTP ingest (autocannon)', '');
  L.push(row(['endpoint', 'req/s', 'p50 ms', 'p99 ms', 'requests', 'non-2xx', 'errors', 'note']), row(['---', '---:', '---:', '---:', '---:', '---:', '---:', '---']));
  L.push(row(['status-ingest POST /webhooks/twilio/status (signed)', r.webhook.requestsPerSec, r.webhook.p50Ms, r.webhook.p99Ms, r.webhook.total, r.webhook.non2xx, r.webhook.errors, `status lag after: ${r.webhook.lagAfter?.['status-ingest']}, drained in ${r.webhook.drainSeconds ?? '>60'} s; ${((100 * r.webhook.requestsPerSec) / r.limits.kafka.perSec).toFixed(1)} % of Kafka limit${r.webhook.cpuMsPerRequest ? `; CPU ms per callback (until drained): ${Object.entries(r.webhook.cpuMsPerRequest).map(([k, v]) => `${k} ${v}`).join(', ')}` : ''}`]));
  L.push(row(['gateway POST /v1/events', r.gateway.requestsPerSec, r.gateway.p50Ms, r.gateway.p99Ms, r.gateway.total, r.gateway.non2xx, r.gateway.errors, `${((100 * r.gateway.requestsPerSec) / r.limits.kafka.perSec).toFixed(1)} % of Kafka limit`]), '');
  L.push('## Targets (issues 6 and 14; "–": not judged by this run\'s sizes)', '');
  L.push(row(['target', 'measured', 'met']), row(['---', '---', '---']));
  for (const t of r.targets) L.push(row([t.target, t.measured, t.met === null ? '–' : t.met ? 'yes' : 'no']));
  const bounds = [...new Set(r.targets.filter((t) => !t.met && t.boundBy).map((t) => t.boundBy!))];
  if (bounds.length) {
    L.push('', '### What bounds the missed targets', '');
    for (const b of bounds) L.push(`- ${b}`);
  }
  L.push('');
  return L.join('\n');
}
