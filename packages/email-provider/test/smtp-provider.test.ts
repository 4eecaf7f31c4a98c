import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSmtpProvider, EmailProviderError, type EmailProvider, type EmailProviderCall, type SmtpOptions } from '../src/index.ts';
import { emailProviderContract, mailTo, type RelayBehaviour } from './provider-contract.ts';
import { startTestSmtpServer, type TestSmtpServer } from './support/test-smtp-server.ts';

// The SMTP adapter, through the real nodemailer pool, against a tiny smtp-server relay: the
// contract suite, then what only this pair shows (timeouts, auth, STARTTLS policy, onCall).

const KEYWORDS: Record<RelayBehaviour, string> = {
  accept: 'ok',
  unknown_user: 'unknown',
  policy_block: 'policy',
  greylist: 'greylist',
  temp_fail_after_body: 'tempfail',
  too_big_after_body: 'toobig',
  drop_before_body: 'droprcpt',
  drop_after_body: 'drop',
};

const TIMEOUT_MS = 700;
const optionsFor = (server: { host: string; port: number }, over: Partial<SmtpOptions> = {}): SmtpOptions => ({
  host: server.host, port: server.port, secure: false, startTls: 'opportunistic', timeoutMs: TIMEOUT_MS, maxConnections: 2, ...over,
});

/** A port with nothing listening (bound, then released). */
async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

emailProviderContract('SMTP adapter (nodemailer pool) → test relay', async () => {
  const server = await startTestSmtpServer();
  const provider = createSmtpProvider(optionsFor(server));
  const deadPort = await closedPort();
  let n = 0;
  return {
    provider,
    recipient: (behaviour) => `${KEYWORDS[behaviour]}+${++n}@example.test`,
    received(messageId) {
      const r = server.received.find((m) => m.headers.get('message-id') === `<${messageId}>`);
      return r ? { envelopeFrom: r.envelopeFrom, envelopeTo: r.envelopeTo, headers: r.headers, acknowledged: r.acknowledged } : null;
    },
    unreachable: () => createSmtpProvider(optionsFor({ host: '127.0.0.1', port: deadPort })),
    async close() {
      await provider.close();
      await server.close();
    },
  };
});

async function rejection(p: Promise<unknown>): Promise<EmailProviderError> {
  const e = await p.then(() => null, (x: unknown) => x);
  expect(e).toBeInstanceOf(EmailProviderError);
  return e as EmailProviderError;
}

describe('SMTP adapter and test relay together', () => {
  let server: TestSmtpServer;
  let provider: EmailProvider;
  const calls: EmailProviderCall[] = [];
  beforeAll(async () => {
    server = await startTestSmtpServer();
    provider = createSmtpProvider(optionsFor(server), { onCall: (c) => calls.push(c) });
  });
  afterAll(async () => {
    await provider.close();
    await server.close();
  });

  it('sends html and text as multipart/alternative, with the pooled connection reused', async () => {
    const before = server.connections();
    const a = mailTo('ok+a@example.test');
    const b = mailTo('ok+b@example.test');
    await provider.send(a);
    await provider.send(b);
    const raw = server.received.find((m) => m.headers.get('message-id') === `<${a.messageId}>`)?.raw ?? '';
    expect(raw).toMatch(/Content-Type: multipart\/alternative/i);
    expect(raw).toContain('Content-Type: text/plain');
    expect(raw).toContain('Content-Type: text/html');
    expect(server.connections() - before).toBeLessThanOrEqual(1);
  });

  it('a relay that never answers the body: ETIMEDOUT after the body → outcome_unknown', async () => {
    const mail = mailTo('hang+1@example.test');
    const started = Date.now();
    const e = await rejection(provider.send(mail));
    expect({ code: e.code, retryable: e.retryable, outcomeUnknown: e.outcomeUnknown }).toEqual({ code: 'outcome_unknown', retryable: true, outcomeUnknown: true });
    expect((e.cause as { code?: string }).code).toBe('ETIMEDOUT');
    expect(Date.now() - started).toBeGreaterThanOrEqual(TIMEOUT_MS - 50);
    expect(server.received.some((m) => m.headers.get('message-id') === `<${mail.messageId}>`)).toBe(true);
  });

  it('the nodemailer error behind each case, as measured', async () => {
    const seen: Record<string, unknown> = {};
    for (const local of ['unknown', 'greylist', 'tempfail', 'droprcpt', 'drop']) {
      const e = await rejection(provider.send(mailTo(`${local}+m@example.test`)));
      const cause = e.cause as { code?: string; command?: string; responseCode?: number };
      seen[local] = { nodemailer: { code: cause.code, command: cause.command, responseCode: cause.responseCode }, code: e.code, outcomeUnknown: e.outcomeUnknown };
    }
    expect(seen).toEqual({
      unknown: { nodemailer: { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 550 }, code: 'recipient_rejected', outcomeUnknown: false },
      greylist: { nodemailer: { code: 'EENVELOPE', command: 'RCPT TO', responseCode: 451 }, code: 'rate_limited', outcomeUnknown: false },
      tempfail: { nodemailer: { code: 'EMESSAGE', command: 'DATA', responseCode: 451 }, code: 'temporary_failure', outcomeUnknown: false },
      // the same nodemailer error before and after the body: only the stage tracker tells them apart
      droprcpt: { nodemailer: { code: 'ECONNECTION', command: 'CONN', responseCode: undefined }, code: 'connection_failed', outcomeUnknown: false },
      drop: { nodemailer: { code: 'ECONNECTION', command: 'CONN', responseCode: undefined }, code: 'outcome_unknown', outcomeUnknown: true },
    });
  });

  it('a drop after the body is not resent by the pool behind our back (one copy at the relay)', async () => {
    const mail = mailTo('drop+once@example.test');
    await rejection(provider.send(mail));
    await new Promise((r) => setTimeout(r, 400)); // past nodemailer's requeue delay (50 ms + backoff)
    expect(server.received.filter((m) => m.headers.get('message-id') === `<${mail.messageId}>`)).toHaveLength(1);
  });

  it('reports every call to onCall with a closed error code', async () => {
    calls.length = 0;
    await provider.send(mailTo('ok+hook@example.test'));
    await rejection(provider.send(mailTo('unknown+hook@example.test')));
    await provider.verify();
    expect(calls.map(({ op, ok, errorCode }) => ({ op, ok, errorCode }))).toEqual([
      { op: 'send', ok: true, errorCode: undefined },
      { op: 'send', ok: false, errorCode: 'recipient_rejected' },
      { op: 'verify', ok: true, errorCode: undefined },
    ]);
    expect(calls.every((c) => c.ms >= 0)).toBe(true);
  });

  it('a throwing onCall hook does not change the outcome', async () => {
    const p = createSmtpProvider(optionsFor(server), { onCall: () => { throw new Error('metrics down'); } });
    try {
      expect((await p.send(mailTo('ok+throw@example.test'))).queueId).toMatch(/^TEST/);
    } finally {
      await p.close();
    }
  });
});

describe('SMTP adapter: authentication and TLS policy', () => {
  let authServer: TestSmtpServer;
  let plainServer: TestSmtpServer;
  let tlsServer: TestSmtpServer;
  beforeAll(async () => {
    authServer = await startTestSmtpServer({ auth: { user: 'hub', pass: 'secret' } });
    plainServer = await startTestSmtpServer();
    tlsServer = await startTestSmtpServer({ startTls: true });
  });
  afterAll(async () => {
    await authServer.close();
    await plainServer.close();
    await tlsServer.close();
  });

  it('good credentials send; wrong ones are auth_failed (retryable, outcome known) for send and verify', async () => {
    const good = createSmtpProvider(optionsFor(authServer, { auth: { user: 'hub', pass: 'secret' } }));
    const bad = createSmtpProvider(optionsFor(authServer, { auth: { user: 'hub', pass: 'wrong' } }));
    try {
      await good.send(mailTo('ok+auth@example.test'));
      for (const call of [() => bad.send(mailTo('ok+auth2@example.test')), () => bad.verify()]) {
        const e = await rejection(call());
        expect({ code: e.code, retryable: e.retryable, outcomeUnknown: e.outcomeUnknown, smtpCode: e.smtpCode, enhancedStatus: e.enhancedStatus })
          .toEqual({ code: 'auth_failed', retryable: true, outcomeUnknown: false, smtpCode: 535, enhancedStatus: '5.7.8' });
      }
    } finally {
      await good.close();
      await bad.close();
    }
  });

  it("STARTTLS 'required' against a relay that offers none: connection_failed, nothing sent; 'opportunistic' sends in clear", async () => {
    const strict = createSmtpProvider(optionsFor(plainServer, { startTls: 'required' }));
    const lax = createSmtpProvider(optionsFor(plainServer, { startTls: 'opportunistic' }));
    try {
      const mail = mailTo('ok+tls@example.test');
      const e = await rejection(strict.send(mail));
      expect({ code: e.code, outcomeUnknown: e.outcomeUnknown }).toEqual({ code: 'connection_failed', outcomeUnknown: false });
      expect(plainServer.received).toHaveLength(0);
      await lax.send(mailTo('ok+clear@example.test'));
      expect(plainServer.received).toHaveLength(1);
    } finally {
      await strict.close();
      await lax.close();
    }
  });

  it('STARTTLS to a relay with an expired self-signed certificate: connection_failed (ESOCKET CERT_HAS_EXPIRED); sends with rejectUnauthorized false', async () => {
    const strict = createSmtpProvider(optionsFor(tlsServer, { startTls: 'required' }));
    const trusting = createSmtpProvider(optionsFor(tlsServer, { startTls: 'required', tls: { rejectUnauthorized: false } }));
    try {
      const e = await rejection(strict.send(mailTo('ok+cert@example.test')));
      expect({ code: e.code, outcomeUnknown: e.outcomeUnknown }).toEqual({ code: 'connection_failed', outcomeUnknown: false });
      expect((e.cause as { code?: string; originalCode?: string })).toMatchObject({ code: 'ESOCKET', originalCode: 'CERT_HAS_EXPIRED' });
      await trusting.send(mailTo('ok+cert2@example.test'));
      expect(tlsServer.received).toHaveLength(1);
    } finally {
      await strict.close();
      await trusting.close();
    }
  });
});
