import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os, { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { startKafka, freePort, type KafkaBroker } from '@hub/kafka-local';
import { dropDatabase, migrate } from '@hub/db';
import { createTwilioSandbox, type TwilioSandbox } from '@hub/twilio-sandbox';
import { startPostgres } from '@hub/testkit';
import { startEmailSandboxThread, type EmailSandboxThread } from './email-sandbox.ts';

export const root = path.resolve(import.meta.dirname, '..');
export const SERVICES = ['gateway', 'router', 'sms-adapter', 'status-ingest', 'scheduler', 'email-adapter'] as const;
export type ServiceName = (typeof SERVICES)[number];

export interface ServiceProc {
  name: ServiceName;
  proc: ChildProcess;
  output(): string;
  /** Log lines at warn (40) or above since the start, and the first few of them. */
  problems(): LogProblems;
  stop(): Promise<void>;
}

export interface LogProblems { warn: number; error: number; samples: string[] }

export interface Infra {
  brokers: string[];
  brokerPid: number | undefined;
  prefix: string;
  dbName: string;
  databaseUrl: string;
  adminUrl: string;
  db: pg.Pool;
  /** The bench's own PostgreSQL server, or the shared one of BENCH_DATABASE_URL. */
  postgres: PostgresInfo;
  kafka: Kafka;
  admin: Admin;
  producer: Producer;
  sandbox: TwilioSandbox;
  /** @hub/email-sandbox on a worker thread of this process. */
  emailSandbox: EmailSandboxThread;
  /** The email-adapter's SMTP_POOL_MAX_CONNECTIONS (10 unless BENCH_SERVICE_ENV sets it). */
  smtpPoolMaxConnections: number;
  gatewayUrl: string;
  statusIngestUrl: string;
  services: ServiceProc[];
  topic(name: string): string;
  stop(): Promise<void>;
}

export interface PostgresInfo {
  server: 'private' | 'shared';
  /** The private server's postmaster: its CPU and its children's (live and exited) are PostgreSQL's. */
  postmasterPid: number | null;
  /** What the bench asked for (private server) and what the server runs with (both modes). */
  requested: Record<string, string | number>;
  settings: Record<string, string>;
}

const log = (msg: string) => console.log(`[bench] ${msg}`);

/** The settings recorded in the result (pg_settings names). */
const RECORDED_SETTINGS = ['server_version', 'autovacuum', 'synchronous_commit', 'fsync', 'full_page_writes', 'wal_level', 'shared_buffers', 'work_mem', 'max_wal_size', 'checkpoint_timeout', 'max_connections', 'track_commit_timestamp', 'autovacuum_naptime', 'autovacuum_vacuum_scale_factor'];

/**
 * Production-like settings for the bench's private server: what PostgreSQL ships with for
 * durability and vacuum (fsync, synchronous_commit, autovacuum on), shared_buffers sized so the
 * run's data fits (about 4 kB of heap and index per message across its tables, with 50 %
 * headroom; at least 128 MB, at most a quarter of the memory, the usual ceiling), and commit
 * timestamps on so the "sent" callback's apply time can be read back (a few bytes per commit).
 */
function privateSettings(expectedMessages: number): Record<string, string | number> {
  const mb = Math.min(Math.floor(os.totalmem() / 2 ** 20 / 4), Math.max(128, Math.ceil((expectedMessages * 4 * 1.5) / 1024 / 64) * 64));
  return {
    fsync: 'on',
    synchronous_commit: 'on',
    full_page_writes: 'on',
    autovacuum: 'on',
    shared_buffers: `${mb}MB`,
    max_wal_size: '2GB',
    track_commit_timestamp: 'on',
    max_connections: 200,
  };
}

/** The postmaster of the server this pool talks to (the parent of its backends). */
async function postmasterOf(db: pg.Pool): Promise<number | null> {
  const { rows } = await db.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  try {
    const stat = readFileSync(`/proc/${rows[0]!.pid}/stat`, 'utf8');
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) || null;
  } catch {
    return null;
  }
}

function urlWithDb(base: string, db: string): string {
  const u = new URL(base);
  u.pathname = `/${db}`;
  return u.toString();
}

/** How the services run: `js`, bundles from scripts/build-service.mjs (as the Docker image); `tsx`, TypeScript compiled at load. */
export type ServiceRuntime = 'js' | 'tsx';

/**
 * Bundles every service as the Docker image does (scripts/build-service.mjs --all) into
 * bench/dist/, inside the repository so the bundles load their third-party packages from its
 * node_modules. Returns the directory.
 */
function buildServices(): string {
  const out = path.join(root, 'bench/dist');
  rmSync(out, { recursive: true, force: true });
  const t = Date.now();
  execFileSync(process.execPath, [path.join(root, 'scripts/build-service.mjs'), '--all', out], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  log(`built the services with esbuild in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return out;
}

/** Runs one service as a real process: its bundle (`js`) or `node --import tsx` on its source, as test/support/processes.ts does. */
function spawnService(name: ServiceName, env: Record<string, string>, dist: string | null): ServiceProc {
  // BENCH_CPU_PROFILE=sms-adapter,router writes V8 CPU profiles of those services to bench/profiles/<service>/.
  const profiled = (process.env.BENCH_CPU_PROFILE ?? '').split(',').includes(name);
  // One file per thread (under tsx its loader runs in a worker); the main thread's is the largest.
  const profileArgs = profiled ? ['--cpu-prof', `--cpu-prof-dir=${path.join(root, 'bench/profiles', name)}`] : [];
  const program = dist ? [path.join(dist, `${name}.mjs`)] : ['--import', 'tsx', path.join(root, 'services', name, 'src/main.ts')];
  const proc = spawn(process.execPath, [...profileArgs, ...program], { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
  let output = '';
  const problems: LogProblems = { warn: 0, error: 0, samples: [] };
  let partial = '';
  const keep = (d: Buffer) => {
    const text = d.toString();
    output = (output + text).slice(-20_000);
    // pino JSON lines (LOG_PRETTY=0): count warn (40) and error/fatal (50, 60); anything else on stderr counts as an error.
    const lines = (partial + text).split('\n');
    partial = lines.pop() ?? '';
    for (const line of lines) {
      const level = Number(/"level":(\d+)/.exec(line)?.[1] ?? (line.trim() && !line.startsWith('{') ? 50 : 0));
      if (level < 40) continue;
      if (level >= 50) problems.error++;
      else problems.warn++;
      if (problems.samples.length < 8) problems.samples.push(line.slice(0, 600));
    }
  };
  proc.stdout?.on('data', keep);
  proc.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async () => {
    if (proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill('SIGTERM');
    const done = await Promise.race([exited.then(() => true), sleep(10_000).then(() => false)]);
    if (!done) {
      proc.kill('SIGKILL');
      await exited;
    }
  };
  return { name, proc, output: () => output, problems: () => ({ ...problems, samples: [...problems.samples] }), stop };
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const res = await fetch(url);
    return res.ok;
  } catch {
    return false;
  }
}

export async function startInfra(options: { partitions: number; smsRate: number; emailMaxMessages: number; emailEventDelayMs: number; expectedMessages: number; runtime: ServiceRuntime }): Promise<Infra> {
  const cleanups: (() => Promise<unknown>)[] = [];
  const stop = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => console.error('[bench] cleanup:', e));
  };
  process.once('SIGINT', () => void stop().then(() => process.exit(130)));
  try {
    // Kafka
    let brokers: string[];
    let broker: KafkaBroker | null = null;
    if (process.env.KAFKA_BROKERS) {
      brokers = process.env.KAFKA_BROKERS.split(',').map((b) => b.trim()).filter(Boolean);
      log(`using KAFKA_BROKERS=${brokers.join(',')}`);
    } else {
      const dataDir = mkdtempSync(path.join(tmpdir(), 'hub-bench-kafka-'));
      log('starting Kafka broker…');
      broker = await startKafka({ dataDir });
      brokers = broker.brokers;
      const b = broker;
      cleanups.push(async () => {
        log('stopping Kafka');
        await b.stop();
        rmSync(dataDir, { recursive: true, force: true });
      });
    }
    let brokerPid = broker?.pid;
    if (brokerPid === undefined) {
      try {
        brokerPid = Number(execFileSync('pgrep', ['-f', 'kafka.Kafka'], { encoding: 'utf8' }).trim().split('\n')[0]) || undefined;
      } catch {
        brokerPid = undefined;
      }
    }

    // Database: a private server with production-like settings (initdb/pg_ctl, stopped at the
    // end), or a fresh database on BENCH_DATABASE_URL's server (e.g. the machine's shared one).
    const shared = process.env.BENCH_DATABASE_URL;
    const requested = shared ? {} : privateSettings(options.expectedMessages);
    let baseUrl: string;
    if (shared) {
      baseUrl = shared;
      log(`using the PostgreSQL server of BENCH_DATABASE_URL`);
    } else {
      log(`starting a private PostgreSQL server (${Object.entries(requested).map(([k, v]) => `${k}=${v}`).join(' ')})…`);
      const server = await startPostgres({ settings: requested });
      cleanups.push(async () => {
        log('stopping PostgreSQL');
        await server.stop();
      });
      baseUrl = server.url;
    }
    const adminUrl = urlWithDb(baseUrl, 'postgres');
    const dbName = `hub_bench_${Date.now()}`;
    const databaseUrl = urlWithDb(baseUrl, dbName);
    log(`migrating database ${dbName}…`);
    if (shared) {
      cleanups.push(async () => {
        log(`dropping database ${dbName}`);
        await dropDatabase(adminUrl, dbName);
      });
    }
    await migrate({ databaseUrl, migrationsDir: path.join(root, 'prisma/migrations'), log: () => undefined });
    const db = new pg.Pool({ connectionString: databaseUrl, max: 6 });
    cleanups.push(() => db.end());
    const { rows: settingRows } = await db.query<{ name: string; value: string }>('SELECT name, current_setting(name) AS value FROM pg_settings WHERE name = ANY($1) ORDER BY name', [RECORDED_SETTINGS]);
    const postgres: PostgresInfo = { server: shared ? 'shared' : 'private', postmasterPid: shared ? null : await postmasterOf(db), requested, settings: Object.fromEntries(settingRows.map((r) => [r.name, r.value])) };

    // Topics and bench Kafka clients
    const prefix = `b${Date.now().toString(36)}`;
    const topic = (name: string) => `${prefix}.${name}`;
    const { Bus, ensureHubTopics } = await import('@hub/bus');
    const { createLogger } = await import('@hub/logger');
    const bus = new Bus({ clientId: `${prefix}-bench`, brokers, topicPrefix: prefix, logger: createLogger({ service: 'bench', level: 'warn', pretty: false }) });
    const names = ['notify.events.v1', 'notify.deliveries.sms.v1', 'notify.sms.status.v1', 'notify.sms.inbound.v1', 'notify.schedule.v1', 'notify.deliveries.email.v1', 'notify.email.status.v1'] as const;
    await ensureHubTopics(bus, { partitions: Object.fromEntries(names.map((n) => [n, options.partitions])) });
    if (bus.topic('notify.events.v1') !== topic('notify.events.v1')) throw new Error(`unexpected topic naming ${bus.topic('notify.events.v1')}`);
    await bus.close();
    const kafka = new Kafka({ clientId: `${prefix}-bench`, brokers, logLevel: logLevel.NOTHING });
    const admin = kafka.admin();
    await admin.connect();
    cleanups.push(() => admin.disconnect());
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    cleanups.push(() => producer.disconnect());

    // Twilio sandbox (in this process; no delay, no rate limit)
    const sandbox = createTwilioSandbox({ logger: false });
    await sandbox.start();
    sandbox.setScenario('*', { delayMs: 0 });
    sandbox.setFaults({ rateLimitPerSecond: 0, latencyMs: 0 });
    cleanups.push(() => sandbox.close());

    // Services' addresses (the email sandbox posts its events to status-ingest)
    const gatewayPort = await freePort();
    const statusPort = await freePort();
    const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
    const statusIngestUrl = `http://127.0.0.1:${statusPort}`;

    // Email sandbox (in this process, on a worker thread of its own; no faults, events eventDelayMs apart)
    const emailSandbox = await startEmailSandboxThread({ webhookUrl: `${statusIngestUrl}/webhooks/sendgrid/events`, eventDelayMs: options.emailEventDelayMs, maxMessages: options.emailMaxMessages });
    cleanups.push(() => emailSandbox.close());
    // The gateway verifies the unsubscribe links the email-adapter signs (required with NODE_ENV=production).
    const linkSecret = randomBytes(24).toString('hex');
    const inboxSecret = randomBytes(24).toString('hex');

    // Services
    const envFor = (service: ServiceName): Record<string, string> => ({
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      NODE_ENV: 'production',
      KAFKA_BROKERS: brokers.join(','),
      KAFKA_TOPIC_PREFIX: prefix,
      KAFKA_CLIENT_ID: `${prefix}-${service}`,
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      DATABASE_URL: databaseUrl,
      DATABASE_POOL_MAX: process.env.BENCH_DB_POOL ?? '10',
      LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'warn',
      LOG_PRETTY: '0',
      TWILIO_ACCOUNT_SID: sandbox.accountSid,
      TWILIO_AUTH_TOKEN: sandbox.authToken,
      TWILIO_BASE_URL: sandbox.url,
      TWILIO_FROM_NUMBER: '+15005550006',
      STATUS_CALLBACK_BASE_URL: statusIngestUrl,
      STATUS_INGEST_PUBLIC_URL: statusIngestUrl,
      PUBLIC_BASE_URL: gatewayUrl,
      SMS_RATE_PER_SECOND: String(options.smsRate),
      SMS_ALLOWED_COUNTRIES: 'US,CA,GB',
      SMS_OPT_OUT_FOOTER: 'never',
      GATEWAY_RATE_LIMIT_PER_MINUTE: '100000000',
      GATEWAY_MAX_BATCH: '5000',
      HUB_LINK_SECRET: linkSecret,
      // Required with NODE_ENV=production (end-user inbox tokens); the bench signs none.
      INBOX_TOKEN_KEYS: `bench=${inboxSecret}`,
      // As npm start: every service gets the SMTP settings (the gateway's health checks the SMTP server too).
      SMTP_HOST: emailSandbox.smtpHost,
      SMTP_PORT: String(emailSandbox.smtpPort),
      SMTP_STARTTLS: 'never',
      SMTP_RATE_PER_SECOND: '0',
      SMTP_POOL_MAX_CONNECTIONS: '10',
      EMAIL_FROM: 'Notification Hub Bench <bench@hub.example.test>',
      ...(service === 'status-ingest' ? { SENDGRID_WEBHOOK_PUBLIC_KEY: emailSandbox.publicKey } : {}),
      ...(service === 'gateway' ? { PORT: String(gatewayPort), HOST: '127.0.0.1' } : {}),
      ...(service === 'status-ingest' ? { PORT: String(statusPort), HOST: '127.0.0.1' } : {}),
      // BENCH_SERVICE_ENV="SMS_PARTITIONS_CONCURRENCY=6,DATABASE_POOL_MAX=20": settings to compare.
      ...Object.fromEntries((process.env.BENCH_SERVICE_ENV ?? '').split(',').filter((kv) => kv.includes('=')).map((kv) => [kv.slice(0, kv.indexOf('=')).trim(), kv.slice(kv.indexOf('=') + 1).trim()])),
    });
    const dist = options.runtime === 'js' ? buildServices() : null;
    log(`starting services (prefix ${prefix}, ${options.runtime === 'js' ? 'compiled JavaScript' : 'tsx'})…`);
    const services = SERVICES.map((s) => spawnService(s, envFor(s), dist));
    const smtpPoolMaxConnections = Number(envFor('email-adapter').SMTP_POOL_MAX_CONNECTIONS);
    cleanups.push(async () => {
      log('stopping services');
      await Promise.all(services.map((s) => s.stop()));
    });

    // Ready: HTTP health and consumer groups stable.
    const groups = ['router', 'sms-adapter', 'status-ingest.status', 'email-adapter', 'email-adapter.status'].map((g) => `${prefix}.${g}`);
    const deadline = Date.now() + 120_000;
    for (;;) {
      for (const s of services) {
        if (s.proc.exitCode !== null) throw new Error(`service ${s.name} exited (${s.proc.exitCode}):\n${s.output()}`);
      }
      const http = (await httpOk(`${gatewayUrl}/health`)) && (await httpOk(`${statusIngestUrl}/health`));
      const described = await admin.describeGroups(groups).catch(() => null);
      const stable = described?.groups.every((g) => g.state === 'Stable' && g.members.length > 0) ?? false;
      if (http && stable) break;
      if (Date.now() > deadline) throw new Error(`services not ready after 120 s (http ${http}, groups ${JSON.stringify(described?.groups.map((g) => [g.groupId, g.state]))})\n${services.map((s) => `--- ${s.name}\n${s.output()}`).join('\n')}`);
      await sleep(500);
    }
    log('services ready');

    return { brokers, brokerPid, prefix, dbName, databaseUrl, adminUrl, db, postgres, kafka, admin, producer, sandbox, emailSandbox, smtpPoolMaxConnections, gatewayUrl, statusIngestUrl, services, topic, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
