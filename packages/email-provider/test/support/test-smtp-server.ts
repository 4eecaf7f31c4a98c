import { SMTPServer, type SMTPServerSession } from 'smtp-server';
import type { Socket } from 'node:net';

/**
 * A tiny SMTP relay for the adapter's tests (smtp-server), answering by the recipient's
 * local part:
 *
 * - `unknown@…`  RCPT TO → 550 5.1.1 (no such user)
 * - `policy@…`   RCPT TO → 550 5.7.1 (relaying denied)
 * - `greylist@…` RCPT TO → 451 4.7.1 (greylisted: a throttling reply)
 * - `tempfail@…` after the body → 451 4.3.0
 * - `toobig@…`   after the body → 552 5.3.4
 * - `droprcpt@…` RCPT TO → the socket destroyed (nothing of the message sent)
 * - `drop@…`     reads the whole body, then destroys the socket before replying
 * - `hang@…`     reads the whole body, then never replies (the client's socket timeout)
 * - anything else: 250 2.0.0 Ok: queued as TEST<n>
 *
 * A `+tag` after the keyword is ignored (`unknown+7@…`), so tests can use fresh addresses.
 */
export interface ReceivedMessage {
  envelopeFrom: string | null;
  envelopeTo: string[];
  /** Lower-cased header names, unfolded values (the first of repeated headers). */
  headers: Map<string, string>;
  raw: string;
  /** Whether the relay answered 250. */
  acknowledged: boolean;
}

export interface TestSmtpServer {
  host: string;
  port: number;
  received: ReceivedMessage[];
  /** Sessions opened so far. */
  connections(): number;
  close(): Promise<void>;
}

export interface TestSmtpServerOptions {
  /** Require AUTH PLAIN/LOGIN with these credentials. */
  auth?: { user: string; pass: string };
  /** Offer STARTTLS (with smtp-server's built-in, expired, self-signed certificate). Default: not offered. */
  startTls?: boolean;
}

/** The local part up to a '+', lower-cased. */
const keyword = (address: string) => (address.split('@')[0] ?? '').split('+')[0]?.toLowerCase();

const smtpError = (responseCode: number, message: string) => Object.assign(new Error(message), { responseCode });

export function parseHeaders(raw: string): Map<string, string> {
  const headerBlock = raw.split(/\r?\n\r?\n/, 1)[0] ?? '';
  const headers = new Map<string, string>();
  for (const line of headerBlock.replace(/\r?\n[ \t]+/g, ' ').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim().toLowerCase();
    if (!headers.has(name)) headers.set(name, line.slice(colon + 1).trim());
  }
  return headers;
}

export async function startTestSmtpServer(options: TestSmtpServerOptions = {}): Promise<TestSmtpServer> {
  const received: ReceivedMessage[] = [];
  let queued = 0;
  let sessions = 0;
  const server: SMTPServer = new SMTPServer({
    hideENHANCEDSTATUSCODES: true,
    disabledCommands: [...(options.auth ? [] : ['AUTH']), ...(options.startTls ? [] : ['STARTTLS'])],
    authOptional: !options.auth,
    allowInsecureAuth: true,
    logger: false,
    onConnect(_session, cb) {
      sessions++;
      cb();
    },
    onAuth(auth, _session, cb) {
      if (options.auth && auth.username === options.auth.user && auth.password === options.auth.pass) return cb(null, { user: auth.username });
      return cb(smtpError(535, '5.7.8 Authentication credentials invalid'));
    },
    onRcptTo(address, session, cb) {
      const local = keyword(address.address);
      if (local === 'droprcpt') return socketOf(server, session)?.destroy();
      if (local === 'unknown') return cb(smtpError(550, `5.1.1 <${address.address}>: Recipient address rejected: User unknown`));
      if (local === 'policy') return cb(smtpError(550, '5.7.1 Relaying denied'));
      if (local === 'greylist') return cb(smtpError(451, '4.7.1 Greylisted, try again in 5 minutes'));
      cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        const envelopeTo = session.envelope.rcptTo.map((r) => r.address);
        const message: ReceivedMessage = {
          envelopeFrom: session.envelope.mailFrom ? session.envelope.mailFrom.address : null,
          envelopeTo, headers: parseHeaders(raw), raw, acknowledged: false,
        };
        received.push(message);
        const local = keyword(envelopeTo[0] ?? '');
        if (local === 'tempfail') return cb(smtpError(451, '4.3.0 Temporary local problem, try again later'));
        if (local === 'toobig') return cb(smtpError(552, '5.3.4 Message size exceeds fixed limit'));
        if (local === 'drop') return socketOf(server, session)?.destroy();
        if (local === 'hang') return;
        message.acknowledged = true;
        cb(null, `2.0.0 Ok: queued as TEST${String(++queued).padStart(6, '0')}`);
      });
    },
  });
  server.on('error', () => {
    // a client that goes away mid-session: not the test's concern
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.server.address();
  if (address === null || typeof address === 'string') throw new Error('test SMTP server has no port');
  return {
    host: '127.0.0.1',
    port: address.port,
    received,
    connections: () => sessions,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of connectionsOf(server)) c._socket?.destroy();
        server.close(() => resolve());
      }),
  };
}

/** smtp-server keeps its sessions in a (private) Set; the socket is needed to drop one mid-reply. */
interface ServerConnection {
  session: SMTPServerSession;
  _socket?: Socket;
}
function connectionsOf(server: SMTPServer): ServerConnection[] {
  return [...((server as unknown as { connections: Set<ServerConnection> }).connections ?? [])];
}
function socketOf(server: SMTPServer, session: SMTPServerSession): Socket | undefined {
  return connectionsOf(server).find((c) => c.session === session)?._socket;
}
