/**
 * `npm start`: the whole hub on this machine.
 *  - Kafka: a single-node KRaft broker assembled from Maven Central (cached in .cache/),
 *    unless KAFKA_BROKERS points at one;
 *  - PostgreSQL from DATABASE_URL (default: the local server), created and migrated;
 *  - the Twilio sandbox when TWILIO_ACCOUNT_SID is not set;
 *  - the email sandbox (SMTP + a web inbox + SendGrid-format webhooks) when SMTP_HOST is not set;
 *  - the seven services as child processes (the in-app inbox: its example page is printed).
 * Ctrl-C stops everything it started.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { Bus, ensureHubTopics } from '@hub/bus';
import { createPrisma, migrate } from '@hub/db';
import { startKafka, type KafkaBroker } from '@hub/kafka-local';
import { createLogger } from '@hub/logger';
import { createTwilioSandbox, type TwilioSandbox } from '@hub/twilio-sandbox';
import { createEmailSandbox, type EmailSandbox } from '@hub/email-sandbox';
import { signInboxToken } from '@hub/gateway';
import { devSecret, ensureDevApiKey, seedDemo } from './dev-seed.ts';

const root = path.resolve(import.meta.dirname, '..');
const log = createLogger({ service: 'start', pretty: true });
const env: Record<string, string> = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
const databaseUrl = env.DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/notification_hub';
const gatewayPort = Number(env.GATEWAY_PORT ?? 3000);
const statusPort = Number(env.STATUS_INGEST_PORT ?? 3002);
/** GET /metrics of the services without an HTTP API of their own. */
const metricsPorts = {
  router: Number(env.ROUTER_METRICS_PORT ?? 3003), 'sms-adapter': Number(env.SMS_ADAPTER_METRICS_PORT ?? 3004), scheduler: Number(env.SCHEDULER_METRICS_PORT ?? 3005),
  'email-adapter': Number(env.EMAIL_ADAPTER_METRICS_PORT ?? 3006), 'inapp-adapter': Number(env.INAPP_ADAPTER_METRICS_PORT ?? 3007),
};
const children: { name: string; proc: ChildProcess }[] = [];
let broker: KafkaBroker | null = null;
let sandbox: TwilioSandbox | null = null;
let emailSandbox: EmailSandbox | null = null;
let stopping = false;

async function stopAll(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    log.info('stopping the hub');
    await Promise.all(
      children.map(({ proc }) => new Promise<void>((resolve) => {
        if (proc.exitCode !== null || proc.signalCode !== null) return resolve();
        const timer = setTimeout(() => proc.kill('SIGKILL'), 15_000);
        proc.once('exit', () => { clearTimeout(timer); resolve(); });
        proc.kill('SIGTERM');
      })),
    );
    await sandbox?.close().catch(() => undefined);
    await emailSandbox?.close().catch(() => undefined);
    await broker?.stop().catch(() => undefined);
    log.info('stopped');
  }
  process.exit(code);
}
process.on('SIGINT', () => void stopAll(0));
process.on('SIGTERM', () => void stopAll(0));

try {
  log.info({ databaseUrl: databaseUrl.replace(/\/\/[^@]*@/, '//…@') }, 'migrating the database');
  await migrate({ databaseUrl, migrationsDir: path.join(root, 'prisma/migrations'), log: (m: string) => log.info(m) });

  let brokers: string | undefined = env.KAFKA_BROKERS;
  if (!brokers) {
    log.info('starting a local Kafka broker (the first run downloads it from Maven Central)');
    broker = await startKafka({ dataDir: path.join(root, '.cache/kafka-data'), port: Number(env.KAFKA_PORT ?? 9092) });
    brokers = broker.brokers.join(',');
  }
  const bus = new Bus({ clientId: 'hub-start', brokers: brokers.split(','), topicPrefix: env.KAFKA_TOPIC_PREFIX ?? '', logger: log });
  const created = await ensureHubTopics(bus, { replicationFactor: Number(env.KAFKA_REPLICATION_FACTOR ?? 1) });
  await bus.close();
  if (created.length > 0) log.info({ created }, 'topics created');

  const twilio: Record<string, string> = {};
  if (!env.TWILIO_ACCOUNT_SID) {
    sandbox = createTwilioSandbox({ port: Number(env.SANDBOX_PORT ?? 4010) });
    await sandbox.start();
    Object.assign(twilio, {
      TWILIO_ACCOUNT_SID: sandbox.accountSid,
      TWILIO_AUTH_TOKEN: sandbox.authToken,
      TWILIO_BASE_URL: sandbox.url,
      TWILIO_FROM_NUMBER: '+15005550006',
    });
    log.info({ url: sandbox.url }, 'no TWILIO_ACCOUNT_SID: using the local Twilio sandbox');
  }

  const statusUrl = env.STATUS_INGEST_PUBLIC_URL ?? `http://127.0.0.1:${statusPort}`;
  const email: Record<string, string> = {};
  if (!env.SMTP_HOST) {
    emailSandbox = createEmailSandbox({
      smtpPort: Number(env.EMAIL_SANDBOX_SMTP_PORT ?? 2525),
      httpPort: Number(env.EMAIL_SANDBOX_HTTP_PORT ?? 8025),
      webhookUrl: `${statusUrl}/webhooks/sendgrid/events`,
      eventDelayMs: 500,
    });
    await emailSandbox.start();
    Object.assign(email, {
      SMTP_HOST: emailSandbox.smtpHost,
      SMTP_PORT: String(emailSandbox.smtpPort),
      SMTP_STARTTLS: 'never',
      SENDGRID_WEBHOOK_PUBLIC_KEY: emailSandbox.publicKey,
    });
    log.info({ smtp: `${emailSandbox.smtpHost}:${emailSandbox.smtpPort}`, inbox: emailSandbox.url }, 'no SMTP_HOST: using the local email sandbox');
  }

  const prisma = createPrisma(databaseUrl, { poolMax: 2 });
  const apiKey = await ensureDevApiKey(prisma, path.join(root, '.cache/dev-api-key'));
  await seedDemo(prisma);
  await prisma.$disconnect();

  const inboxKeys = env.INBOX_TOKEN_KEYS ?? `dev=${devSecret(path.join(root, '.cache/dev-inbox-secret'))}`;
  const [inboxKid, ...inboxSecret] = inboxKeys.split(',')[0]!.split('=');
  const inboxToken = signInboxToken({ kid: inboxKid!.trim(), secret: inboxSecret.join('=').trim() }, 'demo-user');
  const common = {
    ...env,
    ...twilio,
    ...email,
    // The gateway verifies the unsubscribe links the email-adapter signs: one secret for both.
    HUB_LINK_SECRET: env.HUB_LINK_SECRET ?? devSecret(path.join(root, '.cache/dev-link-secret')),
    // The key your backend would sign end-user inbox tokens with (docs/inbox.md).
    INBOX_TOKEN_KEYS: inboxKeys,
    KAFKA_BROKERS: brokers,
    DATABASE_URL: databaseUrl,
    LOG_PRETTY: env.LOG_PRETTY ?? (process.stdout.isTTY ? '1' : '0'),
    STATUS_INGEST_PUBLIC_URL: statusUrl,
    STATUS_CALLBACK_BASE_URL: env.STATUS_CALLBACK_BASE_URL ?? statusUrl,
    PUBLIC_BASE_URL: env.PUBLIC_BASE_URL ?? `http://127.0.0.1:${gatewayPort}`,
  };
  const services: [string, Record<string, string>][] = [
    ['status-ingest', { PORT: String(statusPort) }],
    ['scheduler', { METRICS_PORT: String(metricsPorts.scheduler) }],
    ['sms-adapter', { METRICS_PORT: String(metricsPorts['sms-adapter']) }],
    ['email-adapter', { METRICS_PORT: String(metricsPorts['email-adapter']) }],
    ['inapp-adapter', { METRICS_PORT: String(metricsPorts['inapp-adapter']) }],
    ['router', { METRICS_PORT: String(metricsPorts.router) }],
    ['gateway', { PORT: String(gatewayPort) }],
  ];
  for (const [name, extra] of services) {
    const proc = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'services', name, 'src/main.ts')], {
      cwd: root,
      env: { ...common, ...extra },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    proc.once('exit', (code, signal) => {
      if (!stopping) {
        log.error({ service: name, code, signal }, 'a service exited; stopping the hub');
        void stopAll(1);
      }
    });
    children.push({ name, proc });
  }

  const gatewayUrl = `http://127.0.0.1:${gatewayPort}`;
  const deadline = Date.now() + 90_000;
  for (;;) {
    const ok = await fetch(`${gatewayUrl}/health/live`).then((r) => r.ok, () => false);
    if (ok) break;
    if (Date.now() > deadline) throw new Error('the gateway did not come up within 90 s');
    await new Promise((r) => setTimeout(r, 500));
  }
  const example = `curl -s -X POST ${gatewayUrl}/v1/events \\
  -H 'authorization: Bearer ${apiKey}' -H 'content-type: application/json' \\
  -d '{"id":"demo-'$(date +%s)'","type":"task.reminder","targetUserId":"demo-user","payload":{"task_name":"Try the hub","due_time":"5pm"}}'`;
  console.log(`
Notification hub is running.
  gateway        ${gatewayUrl}   (OpenAPI: ${gatewayUrl}/docs)
  console        ${gatewayUrl}/console   (log in with the API key below)
  inbox          ${gatewayUrl}/inbox-example?token=${encodeURIComponent(inboxToken)}   (demo-user's in-app inbox, live)
  status-ingest  ${statusUrl}
  metrics        ${gatewayUrl}/metrics, ${statusUrl}/metrics, ${Object.entries(metricsPorts).map(([n, p]) => `${n} :${p}`).join(', ')}
  kafka          ${brokers}
  twilio         ${sandbox ? `sandbox at ${sandbox.url}` : 'real Twilio (TWILIO_ACCOUNT_SID set)'}
  email          ${emailSandbox ? `sandbox SMTP ${emailSandbox.smtpHost}:${emailSandbox.smtpPort}; sent mail: ${emailSandbox.url}` : `SMTP ${env.SMTP_HOST}:${env.SMTP_PORT ?? 2525}`}
  API key        ${apiKey}   (admin + events; saved in .cache/dev-api-key)

Publish an event for the demo user (SMS +15005550006 and demo-user@example.com, both verified,
subscribed to task.reminder on sms, email and in-app; keep the inbox page above open to see it arrive):

${example}

Then watch the deliveries (channels sms, email and inapp) reach "delivered":
  curl -s ${gatewayUrl}/v1/deliveries?userId=demo-user -H 'authorization: Bearer ${apiKey}'
${emailSandbox ? `and read the email as sent: ${emailSandbox.url}
` : ''}

Ctrl-C stops everything.
`);
} catch (err) {
  log.error({ err }, 'start failed');
  await stopAll(1);
}
