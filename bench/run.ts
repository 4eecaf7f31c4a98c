/**
 * npm run bench — the hub's throughput and latency next to the limits of its own Kafka and
 * PostgreSQL, measured in the same run. Sizes come from the environment (see bench/README.md).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KAFKA_VERSION } from '@hub/kafka-local';
import { startInfra, root, type ServiceRuntime } from './infra.ts';
import { dbLimit, kafkaLimit } from './limits.ts';
import { broadcast, burst, email, eventJson, gateway, nextPhoneOffset, quiesce, scheduled, steady, webhook } from './scenarios.ts';
import { round } from './measure.ts';
import { renderMarkdown, targetsFor } from './report.ts';
import { clearProfiles, summariseProfile } from './profile.ts';

const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const config = {
  scheduled: num('BENCH_SCHEDULED', 200),
  rates: (process.env.BENCH_RATES ?? '250,500,1000,2000').split(',').map(Number),
  steadySeconds: num('BENCH_STEADY_SECONDS', 30),
  drainTimeoutS: num('BENCH_DRAIN_TIMEOUT_S', 120),
  burst: num('BENCH_BURST', 50_000),
  broadcast: num('BENCH_BROADCAST', 50_000),
  email: num('BENCH_EMAIL', 5_000),
  emailEventDelayMs: num('BENCH_EMAIL_EVENT_DELAY_MS', 20),
  httpSeconds: num('BENCH_HTTP_SECONDS', 10),
  httpConnections: num('BENCH_HTTP_CONNECTIONS', 20),
  kafkaLimitMessages: num('BENCH_KAFKA_LIMIT_MESSAGES', 100_000),
  dbLimitRows: num('BENCH_DB_LIMIT_ROWS', 20_000),
  dbLimitBatch: num('BENCH_DB_LIMIT_BATCH', 500),
  partitions: num('BENCH_PARTITIONS', 6),
  scenarioTimeoutS: num('BENCH_SCENARIO_TIMEOUT_S', 360),
  runtime: (process.env.BENCH_RUNTIME ?? 'js') as ServiceRuntime,
};
if (config.runtime !== 'js' && config.runtime !== 'tsx') throw new Error(`BENCH_RUNTIME must be js or tsx, not ${String(config.runtime)}`);

const git = (...args: string[]) => {
  try {
    return execFileSync('git', args, { cwd: root, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown';
  }
};

const t0 = Date.now();
const loadAtStart = os.loadavg().map((l) => round(l, 2));
console.log(`[bench] config ${JSON.stringify(config)}`);
// Messages the run writes (sizes the private PostgreSQL server's shared_buffers).
const expectedMessages = config.scheduled + config.rates.reduce((a, r) => a + r * config.steadySeconds, 0) + config.burst + config.email + config.broadcast + config.dbLimitRows;
const profiled = (process.env.BENCH_CPU_PROFILE ?? '').split(',').map((s) => s.trim()).filter(Boolean);
for (const s of profiled) clearProfiles(root, s);
const infra = await startInfra({ partitions: config.partitions, smsRate: 10_000, emailMaxMessages: config.email + 10_000, emailEventDelayMs: config.emailEventDelayMs, expectedMessages, runtime: config.runtime });
let exitCode = 0;
try {
  const pgVersion = ((await infra.db.query('SELECT version()')).rows[0] as { version: string }).version;
  // First, while the hub is idle (issue 3: a job fires within 1 s of its due time on an idle system).
  const scheduledResult = await scheduled(infra, config.scheduled, 60);
  const steadyResult = await steady(infra, config.rates, config.steadySeconds, config.drainTimeoutS);
  const burstResult = await burst(infra, config.burst, config.scenarioTimeoutS);
  // Email next to the SMS burst, on an idle pipeline (its CPU is then the email path's alone).
  await quiesce(infra, config.scenarioTimeoutS);
  const emailResult = await email(infra, config.email, Math.max(config.scenarioTimeoutS, Math.ceil(config.email / 20)), infra.smtpPoolMaxConnections);
  // A broadcast takes about subscribers / 150 s here: give it that, at least the scenario timeout.
  const broadcastResult = await broadcast(infra, config.broadcast, Math.max(config.scenarioTimeoutS, Math.ceil(config.broadcast / 120)));
  // The HTTP scenarios measure the ingest alone: first let every earlier delivery become final.
  await quiesce(infra, config.scenarioTimeoutS);
  const webhookResult = await webhook(infra, config.httpSeconds, config.httpConnections, 60);
  console.log('[bench] limits: raw Kafka produce → consume');
  const kafka = await kafkaLimit(infra.kafka, infra.topic('bench.raw'), config.partitions, config.kafkaLimitMessages, eventJson('st1000-ev-__ID__', 'st1000-12345'));
  console.log(`[bench]   ${kafka.perSec} msg/s`);
  console.log('[bench] limits: database, batched per-message write pattern');
  const db = await dbLimit(infra.db, config.dbLimitRows, config.dbLimitBatch, 2, nextPhoneOffset() + 10);
  console.log(`[bench]   ${db.perSec} messages/s`);
  const gatewayResult = await gateway(infra, config.httpSeconds, config.httpConnections);
  // A V8 profile is written when its process exits: stop the profiled services, then read them.
  for (const s of infra.services.filter((x) => profiled.includes(x.name))) await s.stop();
  const profiles = profiled.map((s) => summariseProfile(root, s)).filter((p) => p !== null);
  const { rows: sizeRows } = await infra.db.query<{ mb: number }>('SELECT pg_database_size(current_database()) / 1048576.0 AS mb');
  const postgres = { server: infra.postgres.server, requested: infra.postgres.requested, settings: infra.postgres.settings, databaseMbAtEnd: round(Number(sizeRows[0]?.mb ?? 0)) };

  // Sustained rates only (the burst's busiest second is reported on its own).
  const bestAccept = Math.max(...steadyResult.phases.map((p) => p.acceptPerSec), burstResult.meanPerSec, broadcastResult.acceptPerSec);
  const fractions = {
    steadyBestAcceptOfDb: round(bestAccept / db.perSec, 3),
    burstMeanOfDb: round(burstResult.meanPerSec / db.perSec, 3),
    broadcastAcceptOfDb: round(broadcastResult.acceptPerSec / db.perSec, 3),
    steadyBestAcceptOfKafka: round(bestAccept / kafka.perSec, 4),
    webhookOfKafka: round(webhookResult.requestsPerSec / kafka.perSec, 3),
    gatewayOfKafka: round(gatewayResult.requestsPerSec / kafka.perSec, 3),
  };
  const date = new Date().toISOString();
  const sha = process.env.BENCH_GIT_SHA ?? git('rev-parse', '--short', 'HEAD');
  const dirty = process.env.BENCH_GIT_SHA ? false : git('status', '--porcelain').length > 0;
  const result = {
    date,
    git: { sha, dirty },
    machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGb: round(os.totalmem() / 2 ** 30), node: process.version, kafka: KAFKA_VERSION, postgres: pgVersion, platform: `${os.platform()} ${os.release()}`, loadAvgAtStart: loadAtStart, loadAvgAtEnd: os.loadavg().map((l) => round(l, 2)) },
    config,
    postgres,
    scheduled: scheduledResult,
    steady: steadyResult,
    burst: burstResult,
    email: emailResult,
    broadcast: broadcastResult,
    webhook: webhookResult,
    gateway: gatewayResult,
    limits: { kafka, db },
    fractions,
    profiles,
    targets: [] as ReturnType<typeof targetsFor>,
    totalSeconds: 0,
  };
  result.targets = targetsFor(result);
  result.totalSeconds = round((Date.now() - t0) / 1000);
  const md = renderMarkdown(result);
  console.log(`\n${md}`);
  const dir = process.env.BENCH_RESULTS_DIR ?? path.join(root, 'bench/results');
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${date.slice(0, 10)}-${sha}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(`${base}.md`, md);
  console.log(`[bench] wrote ${path.relative(root, base)}.json and .md`);
} catch (err) {
  console.error('[bench] failed:', err);
  for (const s of infra.services) console.error(`--- ${s.name} (last output)\n${s.output().slice(-3000)}`);
  exitCode = 1;
} finally {
  await infra.stop();
}
process.exit(exitCode);
