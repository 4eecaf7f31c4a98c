import { SMTPServer, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import { FaultBook } from './faults.ts';
import { newQueueId, parseMail } from './parse.ts';
import type { Fault, StoredMail } from './types.ts';

export const SIZE_LIMIT = 25 * 1024 * 1024;

export interface SmtpCounters {
  accepted: number;
  refused: number;
  dropped: number;
}

export interface SmtpDeps {
  faults: FaultBook;
  counters: SmtpCounters;
  /** Stores the message and starts its events (each recipient with its 'after' fault). */
  accept(mail: StoredMail, later: Map<string, Fault | null>): void;
  /** Delay of the reply under slow_data. */
  slowDataMs: number;
  /** A relay-wide refusal of every transaction at MAIL FROM (421 service unavailable, 530 authentication required), or null. */
  refuseTransactions?: () => 421 | 530 | null;
  /** Enables STARTTLS with this certificate; off by default. */
  tls?: { key: string | Buffer; cert: string | Buffer } | undefined;
  onError?: ((err: Error) => void) | undefined;
}

/** An SMTP reply: the code sets the reply, the text starts with the enhanced status code. */
const reply = (code: number, text: string): Error => Object.assign(new Error(text), { responseCode: code });

/** The replies of the SMTP-level faults, as a mail server words them. */
const REPLIES = {
  temp_fail_rcpt: (rcpt: string) => reply(450, `4.2.0 <${rcpt}>: Recipient address rejected: Mailbox temporarily unavailable, try again later`),
  perm_fail_rcpt: (rcpt: string) => reply(550, `5.1.1 <${rcpt}>: Recipient address rejected: User unknown`),
  temp_fail_data: () => reply(451, '4.3.0 Error: temporary local problem, try again later'),
  perm_fail_data: () => reply(554, '5.7.1 Message rejected: content policy'),
  tooBig: () => reply(552, `5.3.4 Message size exceeds fixed limit of ${SIZE_LIMIT} bytes`),
  parseError: () => reply(451, '4.3.0 Error: the message could not be parsed'),
};

/** The socket of a session, destroyed for the drop faults (smtp-server gives onData no socket). */
function destroyConnection(server: SMTPServer, session: SMTPServerSession): void {
  for (const c of server.connections) if (c.session === session) c._socket.destroy();
}

/**
 * The sandbox's SMTP side: any AUTH PLAIN/LOGIN accepted (or none), STARTTLS off unless a
 * certificate is given, 25 MB limit, each recipient's fault applied at its phase. Enhanced
 * status codes are written into the reply texts (smtp-server's own mapping would make the
 * 250 to DATA "2.6.0" and 450 "4.2.1").
 */
export function createSmtpServer(deps: SmtpDeps): { server: SMTPServer; timers: Set<NodeJS.Timeout> } {
  const timers = new Set<NodeJS.Timeout>();
  const { faults, counters } = deps;

  const onData = (stream: SMTPServerDataStream, session: SMTPServerSession, callback: (err?: Error | null, message?: string) => void) => {
    const recipients = session.envelope.rcptTo.map((r) => r.address);
    const from = session.envelope.mailFrom === false ? '' : session.envelope.mailFrom.address;
    const fault = faults.takeForData(recipients);
    if (fault === 'drop_before_data') {
      counters.dropped++;
      destroyConnection(server, session);
      return;
    }
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('error', () => undefined); // the client went away mid-message: nothing to store
    stream.on('end', () => {
      if (stream.sizeExceeded) {
        counters.refused++;
        return callback(REPLIES.tooBig());
      }
      if (fault === 'temp_fail_data' || fault === 'perm_fail_data') {
        counters.refused++;
        return callback(REPLIES[fault]());
      }
      const raw = Buffer.concat(chunks);
      const queueId = newQueueId();
      const store = (mail: StoredMail) => {
        counters.accepted++;
        deps.accept(mail, new Map(recipients.map((r) => [r, faults.take(r, 'after')] as const)));
      };
      const finish = (mail: StoredMail) => {
        store(mail);
        callback(null, `2.0.0 Ok: queued as ${queueId}`);
      };
      parseMail(raw, { from, to: recipients }, queueId, new Date()).then(
        (mail) => {
          if (fault === 'drop_after_data') {
            store(mail);
            counters.dropped++;
            destroyConnection(server, session);
          } else if (fault === 'slow_data') {
            const timer = setTimeout(() => {
              timers.delete(timer);
              finish(mail);
            }, deps.slowDataMs);
            timers.add(timer);
          } else {
            finish(mail);
          }
        },
        (err: unknown) => {
          counters.refused++;
          deps.onError?.(err instanceof Error ? err : new Error(String(err)));
          callback(REPLIES.parseError());
        },
      );
    });
  };

  const server: SMTPServer = new SMTPServer({
    name: 'email-sandbox',
    banner: 'email-sandbox',
    logger: false,
    size: SIZE_LIMIT,
    authOptional: true,
    allowInsecureAuth: true,
    authMethods: ['PLAIN', 'LOGIN'],
    hideENHANCEDSTATUSCODES: true,
    disabledCommands: deps.tls ? [] : ['STARTTLS'],
    ...(deps.tls ? { key: deps.tls.key, cert: deps.tls.cert } : {}),
    closeTimeout: 1_000,
    disableReverseLookup: true,
    onAuth: (auth, _session, callback) => callback(null, { user: auth.username ?? 'anonymous' }),
    onMailFrom: (_address, _session, callback) => {
      const refusal = deps.refuseTransactions?.() ?? null;
      if (refusal === null) return callback();
      counters.refused++;
      callback(refusal === 421
        ? reply(421, '4.3.2 Service not available, closing transmission channel')
        : reply(530, '5.7.0 Authentication required'));
    },
    onRcptTo: (address, _session, callback) => {
      const fault = faults.take(address.address, 'rcpt');
      if (fault === 'temp_fail_rcpt' || fault === 'perm_fail_rcpt') {
        counters.refused++;
        return callback(REPLIES[fault](address.address));
      }
      callback();
    },
    onData,
  });
  server.on('error', (err: Error) => deps.onError?.(err));
  return { server, timers };
}
