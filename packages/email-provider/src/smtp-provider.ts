import type { SecureVersion } from 'node:tls';
import type { Readable } from 'node:stream';
import nodemailer, { type SendMailOptions, type SMTPPoolOptions } from 'nodemailer';
import { classifySmtpError, type SendStage } from './classify.ts';
import type { EmailProvider, EmailProviderHooks, EmailProviderOp, EmailSendResult, OutgoingEmail } from './port.ts';
import { parseQueueId } from './queue-id.ts';
import { assertSendable } from './validate.ts';

export const STARTTLS_POLICIES = ['required', 'opportunistic', 'never'] as const;
export type StartTlsPolicy = (typeof STARTTLS_POLICIES)[number];

export interface SmtpOptions {
  host: string;
  port: number;
  /** Implicit TLS from the first byte (port 465). When false, STARTTLS follows `startTls`. */
  secure: boolean;
  /** required: refuse a relay that does not offer STARTTLS; opportunistic: upgrade when offered; never: stay in clear text. */
  startTls: StartTlsPolicy;
  tls?: {
    rejectUnauthorized?: boolean | undefined;
    /** SNI and certificate name, when `host` is an IP or an alias. */
    servername?: string | undefined;
    minVersion?: SecureVersion | undefined;
    /** PEM contents (not a path) of the CA(s) to trust instead of Node's bundle. */
    ca?: string | Buffer | undefined;
  } | undefined;
  auth?: { user: string; pass: string } | undefined;
  /** Pooled connections kept open (default 5). */
  maxConnections?: number | undefined;
  /** Messages sent over one connection before it is replaced (default 100). */
  maxMessages?: number | undefined;
  /**
   * The per-sender rate limit: at most this many messages per second leave this provider
   * (nodemailer's pooled rateLimit over a rateDelta of 1 s, counted across all of the pool's
   * connections; a message over the limit waits in the pool's queue, it does not fail). Per
   * process: N processes with one provider each send up to N × this. 0 or unset: unlimited.
   */
  ratePerSecond?: number | undefined;
  /** Connection, greeting, DNS and socket-inactivity timeout (default 15 000 ms). */
  timeoutMs?: number | undefined;
}

/** nodemailer's pool options for these settings. */
export function smtpTransportOptions(options: SmtpOptions): SMTPPoolOptions & { pool: true } {
  const timeout = options.timeoutMs ?? 15_000;
  const tls = options.tls ?? {};
  const transport: SMTPPoolOptions & { pool: true } = {
    pool: true,
    host: options.host,
    port: options.port,
    secure: options.secure,
    requireTLS: !options.secure && options.startTls === 'required',
    ignoreTLS: !options.secure && options.startTls === 'never',
    tls: {
      rejectUnauthorized: tls.rejectUnauthorized ?? true,
      minVersion: tls.minVersion ?? 'TLSv1.2',
      ...(tls.servername ? { servername: tls.servername } : {}),
      ...(tls.ca ? { ca: tls.ca } : {}),
    },
    maxConnections: options.maxConnections ?? 5,
    maxMessages: options.maxMessages ?? 100,
    connectionTimeout: timeout,
    greetingTimeout: timeout,
    socketTimeout: timeout,
    dnsTimeout: timeout,
    // the message is built from strings only: never let a field read a file or a URL
    disableFileAccess: true,
    disableUrlAccess: true,
  };
  if (options.ratePerSecond) {
    transport.rateDelta = 1_000;
    transport.rateLimit = options.ratePerSecond;
  }
  if (options.auth) transport.auth = { user: options.auth.user, pass: options.auth.pass };
  return transport;
}

/** Where the stream plugin finds a send's stage tracker on nodemailer's copy of the mail options. */
const STAGE_KEY = 'hubSendStage';

class StageTracker implements SendStage {
  readonly #streams: Readable[] = [];
  track(stream: Readable): void {
    this.#streams.push(stream);
  }
  /** nodemailer pipes the message stream into the socket only after DATA got its 354. */
  get bodyStarted(): boolean {
    return this.#streams.some((s) => s.readableDidRead);
  }
}

/** The EmailProvider port on nodemailer's pooled SMTP transport. */
export function createSmtpProvider(options: SmtpOptions, hooks: EmailProviderHooks = {}): EmailProvider {
  const transporter = nodemailer.createTransport(smtpTransportOptions(options));

  // Record every stream the pool creates for a send (a message requeued after a dropped idle
  // connection gets a new one), to tell after a failure whether its body had gone out.
  transporter.use('stream', (mail, done) => {
    const tracker = (mail.data as Record<string, unknown>)[STAGE_KEY];
    if (tracker instanceof StageTracker) {
      const message = mail.message;
      const createReadStream = message.createReadStream.bind(message);
      message.createReadStream = (...args: Parameters<typeof createReadStream>) => {
        const stream = createReadStream(...args);
        tracker.track(stream);
        return stream;
      };
    }
    done();
  });

  const timed = async <T>(op: EmailProviderOp, stage: SendStage, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const result = await fn();
      report({ op, ms: performance.now() - started, ok: true });
      return result;
    } catch (err) {
      const e = classifySmtpError(err, stage);
      report({ op, ms: performance.now() - started, ok: false, errorCode: e.code });
      throw e;
    }
  };
  const report: NonNullable<EmailProviderHooks['onCall']> = (call) => {
    try {
      hooks.onCall?.(call);
    } catch {
      // a metrics hook must not change the outcome of a call
    }
  };

  return {
    send(mail: OutgoingEmail): Promise<EmailSendResult> {
      const stage = new StageTracker();
      return timed('send', stage, async () => {
        assertSendable(mail);
        const message: SendMailOptions & { [STAGE_KEY]: StageTracker } = {
          messageId: `<${mail.messageId}>`,
          from: mail.from,
          to: mail.to,
          ...(mail.replyTo ? { replyTo: mail.replyTo } : {}),
          subject: mail.subject,
          html: mail.html,
          text: mail.text,
          headers: { ...mail.headers },
          envelope: { from: mail.from, to: mail.to },
          [STAGE_KEY]: stage,
        };
        const info = await transporter.sendMail(message);
        const response = String(info.response ?? '');
        return { messageId: mail.messageId, queueId: parseQueueId(response), response };
      });
    },

    verify: () =>
      timed('verify', { bodyStarted: false }, async () => {
        await transporter.verify();
      }),

    close: async () => {
      transporter.close();
    },
  };
}
