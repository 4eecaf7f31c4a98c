import type { KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyServerOptions } from 'fastify';
import { SandboxError } from './errors.ts';
import { FaultBook } from './faults.ts';
import { routes } from './http/routes.ts';
import { Lifecycle } from './lifecycle.ts';
import { bareMessageId } from './parse.ts';
import { EventSigner } from './signing.ts';
import { createSmtpServer, type SmtpCounters } from './smtp.ts';
import { MailStore } from './store.ts';
import type { Fault, SandboxEventKind, StoredMail } from './types.ts';
import { oneClickUnsubscribe, type UnsubscribeResult } from './unsubscribe.ts';
import { WebhookPoster } from './webhooks.ts';

export interface EmailSandboxOptions {
  /** Default 127.0.0.1 (both servers). */
  host?: string | undefined;
  /** 0 (default): a free port. */
  smtpPort?: number | undefined;
  /** 0 (default): a free port. */
  httpPort?: number | undefined;
  /** Fastify's logger option; default false. */
  logger?: FastifyServerOptions['logger'] | undefined;
  /** Where SendGrid-format event webhooks are POSTed (or later: setWebhookUrl). */
  webhookUrl?: string | undefined;
  /** Default true: after a message is accepted, post 'processed' then its outcome. */
  autoEvents?: boolean | undefined;
  /** Spacing of the automatic events (default 50 ms): processed at 1×, the outcome at 2×, a spamreport at 3×. */
  eventDelayMs?: number | undefined;
  /** ECDSA P-256 signing key; default: one generated at construction. */
  privateKey?: KeyObject | undefined;
  /** Store bound, oldest evicted (default 10 000). */
  maxMessages?: number | undefined;
  /** Enables STARTTLS with this certificate (off by default). */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  /** Reply delay under the slow_data fault (default 10 000 ms). */
  slowDataMs?: number | undefined;
  /** Waits before webhook retries (default [200, 1000, 5000]; then given up). */
  webhookRetryDelaysMs?: readonly number[] | undefined;
}

export interface SandboxStats {
  /** Messages stored (drop_after_data included). */
  accepted: number;
  /** RCPT and DATA refusals (fault replies, oversized, unparsable). */
  refused: number;
  /** Connections destroyed on purpose (drop_before_data, drop_after_data). */
  dropped: number;
  /** Webhook POSTs answered 2xx (one POST may carry several events). */
  webhooksPosted: number;
  /** Webhook POSTs given up after the retries. */
  webhookFailures: number;
  /** Messages evicted by maxMessages. */
  evicted: number;
}

export interface EmailSandbox {
  start(): Promise<void>;
  close(): Promise<void>;
  /** After start(). */
  readonly smtpPort: number;
  readonly smtpHost: string;
  /** HTTP base of the web UI and the control API (after start()). */
  readonly url: string;
  /** Base64 DER SubjectPublicKeyInfo: SendGrid's "Verification Key". */
  readonly publicKey: string;
  setWebhookUrl(url: string | null): void;
  /** Oldest first, newest last (snapshots). */
  messages(): StoredMail[];
  message(queueId: string): StoredMail | undefined;
  /** By Message-ID header, angle brackets optional. */
  find(messageIdHeader: string): StoredMail[];
  /** The first stored message (oldest first) matching; rechecked on each new message or event. Default 5 s. */
  waitFor(predicate: (m: StoredMail) => boolean, timeoutMs?: number): Promise<StoredMail>;
  /** Forgets the messages; stops their pending automatic events. */
  clear(): void;
  setFault(match: string, fault: Fault, opts?: { times?: number }): void;
  /** Clears the per-address faults and the relay-wide refusal. */
  clearFaults(): void;
  /** Every transaction refused at MAIL FROM with 421 (relay unavailable) or 530 (credentials), until null. */
  refuseTransactions(code: 421 | 530 | null): void;
  /**
   * Posts one signed event for the newest stored message with that Message-ID, to its first
   * envelope recipient unless `extra.email` says otherwise. Resolves once a receiver took it;
   * rejects with a SandboxError (message_not_found, no_webhook_url, webhook_failed, closed).
   */
  postEvent(messageIdHeader: string, event: SandboxEventKind, extra?: Record<string, unknown>): Promise<void>;
  /** The RFC 8058 one-click POST a mailbox provider makes for this message. */
  oneClickUnsubscribe(queueId: string): Promise<UnsubscribeResult>;
  /** Resolves when no webhook POST is queued or in flight. */
  drain(): Promise<void>;
  stats(): SandboxStats;
}

const reachable = (host: string) => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host);

export function createEmailSandbox(options: EmailSandboxOptions = {}): EmailSandbox {
  const host = options.host ?? '127.0.0.1';
  const signer = new EventSigner(options.privateKey);
  const store = new MailStore(options.maxMessages ?? 10_000);
  const faults = new FaultBook();
  const counters: SmtpCounters = { accepted: 0, refused: 0, dropped: 0 };
  let refusal: 421 | 530 | null = null;
  let webhookUrl: string | null = options.webhookUrl ?? null;
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 1024 * 1024 });
  const poster = new WebhookPoster({
    signer,
    url: () => webhookUrl,
    retryDelaysMs: options.webhookRetryDelaysMs,
    onGiveUp: (info) => app.log.warn(info, 'event webhook given up'),
  });
  const lifecycle = new Lifecycle(store, poster, options.eventDelayMs ?? 50);
  const autoEvents = options.autoEvents ?? true;
  const { server: smtp, timers: smtpTimers } = createSmtpServer({
    faults,
    counters,
    slowDataMs: options.slowDataMs ?? 10_000,
    refuseTransactions: () => refusal,
    tls: options.tls,
    onError: (err) => app.log.warn({ err }, 'smtp error'),
    accept(mail, later) {
      store.add(mail);
      if (autoEvents) lifecycle.start(mail, later);
    },
  });
  let smtpPort: number | null = null;
  let url: string | null = null;

  const postEventFor = async (queueId: string, kind: SandboxEventKind, extra: Record<string, unknown> = {}) => {
    const mail = store.get(queueId);
    if (!mail) throw new SandboxError('message_not_found', `no stored message ${queueId}`);
    if (webhookUrl === null) throw new SandboxError('no_webhook_url', 'no webhook URL set (option webhookUrl or setWebhookUrl)');
    const recipient = typeof extra.email === 'string' ? extra.email : (mail.envelopeTo[0] ?? '');
    const outcome = await lifecycle.emit(mail, kind, recipient, extra);
    if (outcome === 'failed') throw new SandboxError('webhook_failed', `the webhook did not take the ${kind} event (given up after retries)`);
    if (outcome === 'closed') throw new SandboxError('closed', 'the sandbox closed before the event was posted');
    if (outcome === 'no_url') throw new SandboxError('no_webhook_url', 'no webhook URL set (option webhookUrl or setWebhookUrl)');
  };

  const sandbox: EmailSandbox = {
    async start() {
      await new Promise<void>((resolve, reject) => {
        smtp.server.once('error', reject);
        smtp.listen(options.smtpPort ?? 0, host, () => {
          smtp.server.off('error', reject);
          resolve();
        });
      });
      smtpPort = (smtp.server.address() as AddressInfo).port;
      await app.listen({ port: options.httpPort ?? 0, host });
      url = `http://${reachable(host)}:${(app.server.address() as AddressInfo).port}`;
    },
    async close() {
      lifecycle.cancelAll();
      for (const t of smtpTimers) clearTimeout(t);
      poster.close();
      const closed = new Promise<void>((resolve) => smtp.close(() => resolve()));
      for (const c of smtp.connections) c.send(421, '4.3.2 Service shutting down');
      await Promise.all([closed, app.close()]);
    },
    get smtpPort() {
      if (smtpPort === null) throw new Error('the email sandbox is not started');
      return smtpPort;
    },
    smtpHost: reachable(host),
    get url() {
      if (url === null) throw new Error('the email sandbox is not started');
      return url;
    },
    publicKey: signer.publicKey,
    setWebhookUrl(next) {
      webhookUrl = next;
    },
    messages: () => store.all(),
    message: (queueId) => store.snapshot(queueId),
    find: (id) => store.find(id),
    waitFor: (predicate, timeoutMs = 5_000) => store.waitFor(predicate, timeoutMs),
    clear() {
      lifecycle.cancelAll();
      store.clear();
    },
    setFault: (match, fault, opts) => faults.set(match, fault, opts?.times),
    clearFaults: () => {
      faults.clear();
      refusal = null;
    },
    refuseTransactions: (code) => {
      refusal = code;
    },
    async postEvent(messageIdHeader, event, extra) {
      const newest = store.find(bareMessageId(messageIdHeader)).at(-1);
      if (!newest) throw new SandboxError('message_not_found', `no stored message with Message-ID <${bareMessageId(messageIdHeader)}>`);
      await postEventFor(newest.queueId, event, extra);
    },
    async oneClickUnsubscribe(queueId) {
      const mail = store.get(queueId);
      if (!mail) throw new SandboxError('message_not_found', `no stored message ${queueId}`);
      return oneClickUnsubscribe(mail);
    },
    drain: () => poster.whenIdle(),
    stats: () => ({
      ...counters,
      webhooksPosted: poster.stats.posted,
      webhookFailures: poster.stats.failures,
      evicted: store.evicted,
    }),
  };
  void app.register(async (api) => routes(api, sandbox, postEventFor));
  return sandbox;
}
