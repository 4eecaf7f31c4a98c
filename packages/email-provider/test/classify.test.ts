import SMTPConnection from 'nodemailer/lib/smtp-connection';
import { describe, expect, it } from 'vitest';
import { classifySmtpError, EmailProviderError, isThrottlingReply, parseSmtpReply, type EmailErrorCode } from '../src/index.ts';

// Error objects built by nodemailer's own SMTPConnection._formatError (the function every
// SMTP error of nodemailer 10 goes through), with the (message, code, response, command)
// arguments its source passes at each step — so the shapes are exactly nodemailer's, and an
// upgrade that changes them fails here.
type FormatError = (message: string | Error, type: string, response: string | false, command: string | false) => Error & Record<string, unknown>;
const connection = new SMTPConnection({});
const formatError: FormatError = (connection as unknown as { _formatError: FormatError })._formatError.bind(connection);

/** The system error Node gives a socket (ECONNREFUSED …), as nodemailer's _onError receives it. */
const systemError = (code: string, message: string) => Object.assign(new Error(message), { code, errno: -111, syscall: 'connect' });
/** nodemailer's timeoutError(): a plain Error with timeoutType, then formatted as ETIMEDOUT 'CONN'. */
const timeout = (timeoutType: string) => formatError(Object.assign(new Error('Timeout'), { timeoutType }), 'ETIMEDOUT', false, 'CONN');
/** Errors the pool makes itself (smtp-pool/index.js): code only, no command. */
const poolError = (message: string) => Object.assign(new Error(message), { code: 'ECONNECTION' });

interface Row {
  name: string;
  err: () => unknown;
  bodyStarted: boolean;
  code: EmailErrorCode;
  retryable: boolean;
  outcomeUnknown: boolean;
  smtpCode?: number | null;
  enhanced?: string | null;
}

const rows: Row[] = [
  // replies to the envelope (smtp-connection _actionMAIL / _actionRCPT / _envelopeError / _actionDATA)
  { name: 'RCPT TO 550 5.1.1 (all recipients rejected)', err: () => formatError("Can't send mail - all recipients were rejected", 'EENVELOPE', '550 5.1.1 <x@example.com>: Recipient address rejected: User unknown', 'RCPT TO'), bodyStarted: false, code: 'recipient_rejected', retryable: false, outcomeUnknown: false, smtpCode: 550, enhanced: '5.1.1' },
  { name: 'RCPT TO 550 without enhanced status', err: () => formatError("Can't send mail - all recipients were rejected", 'EENVELOPE', '550 No such user here', 'RCPT TO'), bodyStarted: false, code: 'recipient_rejected', retryable: false, outcomeUnknown: false, smtpCode: 550, enhanced: null },
  { name: 'RCPT TO 550 5.7.1 relaying denied (policy)', err: () => formatError("Can't send mail - all recipients were rejected", 'EENVELOPE', '550 5.7.1 Relaying denied', 'RCPT TO'), bodyStarted: false, code: 'message_rejected', retryable: false, outcomeUnknown: false, smtpCode: 550, enhanced: '5.7.1' },
  { name: 'RCPT TO 450 4.2.1 (Gmail: receiving at too high a rate)', err: () => formatError("Can't send mail - all recipients were rejected", 'EENVELOPE', '450 4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages', 'RCPT TO'), bodyStarted: false, code: 'rate_limited', retryable: true, outcomeUnknown: false, smtpCode: 450, enhanced: '4.2.1' },
  { name: 'RCPT TO 451 4.7.1 greylisted', err: () => formatError("Can't send mail - all recipients were rejected", 'EENVELOPE', '451 4.7.1 Greylisted, try again later', 'RCPT TO'), bodyStarted: false, code: 'rate_limited', retryable: true, outcomeUnknown: false, smtpCode: 451, enhanced: '4.7.1' },
  { name: 'RCPT TO 452 4.5.3 too many recipients', err: () => formatError("Can't send mail - all recipients were rejected", 'EENVELOPE', '452 4.5.3 Too many recipients', 'RCPT TO'), bodyStarted: false, code: 'temporary_failure', retryable: true, outcomeUnknown: false, smtpCode: 452, enhanced: '4.5.3' },
  { name: 'MAIL FROM 553 5.7.1 sender not owned', err: () => formatError('Mail command failed', 'EENVELOPE', '553 5.7.1 Sender address rejected: not owned by user', 'MAIL FROM'), bodyStarted: false, code: 'message_rejected', retryable: false, outcomeUnknown: false, smtpCode: 553, enhanced: '5.7.1' },
  { name: 'MAIL FROM 451 4.3.0', err: () => formatError('Mail command failed', 'EENVELOPE', '451 4.3.0 Local error in processing', 'MAIL FROM'), bodyStarted: false, code: 'temporary_failure', retryable: true, outcomeUnknown: false, smtpCode: 451, enhanced: '4.3.0' },
  { name: 'MAIL FROM 421 4.7.0 too many messages (SES-style 454 is below)', err: () => formatError('Mail command failed', 'EENVELOPE', '421 4.7.0 Try again later, closing connection', 'MAIL FROM'), bodyStarted: false, code: 'rate_limited', retryable: true, outcomeUnknown: false, smtpCode: 421, enhanced: '4.7.0' },
  { name: 'MAIL FROM 454 4.7.0 throttling (Amazon SES)', err: () => formatError('Mail command failed', 'EENVELOPE', '454 4.7.0 Throttling failure: Maximum sending rate exceeded.', 'MAIL FROM'), bodyStarted: false, code: 'rate_limited', retryable: true, outcomeUnknown: false, smtpCode: 454, enhanced: '4.7.0' },
  { name: 'DATA command 554 5.5.1 (no valid recipients)', err: () => formatError('Data command failed', 'EENVELOPE', '554 5.5.1 Error: no valid recipients', 'DATA'), bodyStarted: false, code: 'message_rejected', retryable: false, outcomeUnknown: false, smtpCode: 554, enhanced: '5.5.1' },
  { name: 'DATA command 503 5.5.1 bad sequence', err: () => formatError('Data command failed', 'EENVELOPE', '503 5.5.1 Error: need RCPT command', 'DATA'), bodyStarted: false, code: 'temporary_failure', retryable: true, outcomeUnknown: false, smtpCode: 503, enhanced: '5.5.1' },
  // the final reply to the body (_actionSMTPStream): the relay answered, so the outcome is known
  { name: 'after the body 451 4.3.0', err: () => formatError('Message failed', 'EMESSAGE', '451 4.3.0 Temporary local problem', 'DATA'), bodyStarted: true, code: 'temporary_failure', retryable: true, outcomeUnknown: false, smtpCode: 451, enhanced: '4.3.0' },
  { name: 'after the body 451 4.7.500 server busy (Microsoft)', err: () => formatError('Message failed', 'EMESSAGE', '451 4.7.500 Server busy. Please try again later', 'DATA'), bodyStarted: true, code: 'rate_limited', retryable: true, outcomeUnknown: false, smtpCode: 451, enhanced: '4.7.500' },
  { name: 'after the body 552 5.3.4 too big', err: () => formatError('Message failed', 'EMESSAGE', '552 5.3.4 Message size exceeds fixed limit', 'DATA'), bodyStarted: true, code: 'message_rejected', retryable: false, outcomeUnknown: false, smtpCode: 552, enhanced: '5.3.4' },
  { name: 'after the body 550 5.7.1 spam', err: () => formatError('Message failed', 'EMESSAGE', '550 5.7.1 Message rejected as spam', 'DATA'), bodyStarted: true, code: 'message_rejected', retryable: false, outcomeUnknown: false, smtpCode: 550, enhanced: '5.7.1' },
  // refused by nodemailer before anything was sent
  { name: 'larger than the SIZE the relay announced (EMESSAGE, MAIL FROM, no reply)', err: () => formatError('Message size larger than allowed 1000', 'EMESSAGE', false, 'MAIL FROM'), bodyStarted: false, code: 'message_rejected', retryable: false, outcomeUnknown: false, smtpCode: null },
  { name: 'empty message (EMESSAGE, API)', err: () => formatError('Empty message', 'EMESSAGE', false, 'API'), bodyStarted: false, code: 'invalid_message', retryable: false, outcomeUnknown: false },
  { name: 'no recipients (EENVELOPE, API)', err: () => formatError('No recipients defined', 'EENVELOPE', false, 'API'), bodyStarted: false, code: 'invalid_message', retryable: false, outcomeUnknown: false },
  { name: 'message stream error (ESTREAM, API)', err: () => formatError(new Error('read failed'), 'ESTREAM', false, 'API'), bodyStarted: false, code: 'invalid_message', retryable: false, outcomeUnknown: false },
  { name: 'EMAXRECIPIENTS (mailer)', err: () => Object.assign(new Error('Message has 2000 recipients'), { code: 'EMAXRECIPIENTS' }), bodyStarted: false, code: 'invalid_message', retryable: false, outcomeUnknown: false },
  // authentication (login(): _actionAUTHComplete / missing credentials)
  { name: 'AUTH PLAIN 535 5.7.8', err: () => formatError('Invalid login', 'EAUTH', '535 5.7.8 Authentication credentials invalid', 'AUTH PLAIN'), bodyStarted: false, code: 'auth_failed', retryable: true, outcomeUnknown: false, smtpCode: 535, enhanced: '5.7.8' },
  { name: 'AUTH LOGIN 454 4.7.0 temporary auth failure', err: () => formatError('Invalid login', 'EAUTH', '454 4.7.0 Temporary authentication failure', 'AUTH LOGIN'), bodyStarted: false, code: 'auth_failed', retryable: true, outcomeUnknown: false, smtpCode: 454 },
  { name: 'missing credentials (EAUTH, API)', err: () => formatError('Missing credentials for "PLAIN"', 'EAUTH', false, 'API'), bodyStarted: false, code: 'auth_failed', retryable: true, outcomeUnknown: false },
  // no session
  { name: 'connect refused (ESOCKET, CONN, originalCode ECONNREFUSED)', err: () => formatError(systemError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:1'), 'ESOCKET', false, 'CONN'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false },
  { name: 'DNS failure (EDNS, CONN)', err: () => formatError(systemError('ENOTFOUND', 'getaddrinfo ENOTFOUND smtp.invalid'), 'EDNS', false, 'CONN'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false },
  { name: 'connect timeout (ETIMEDOUT CONNECT_TIMEOUT)', err: () => timeout('CONNECT_TIMEOUT'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false },
  { name: 'greeting timeout (ETIMEDOUT GREETING_TIMEOUT)', err: () => timeout('GREETING_TIMEOUT'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false },
  { name: 'closed before the greeting (ECONNECTION, CONN)', err: () => formatError(new Error('Connection closed unexpectedly'), 'ECONNECTION', false, 'CONN'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false },
  { name: 'greeting 554 (EPROTOCOL, CONN)', err: () => formatError(new Error('Invalid greeting. response=554 5.3.2 No SMTP service here'), 'EPROTOCOL', '554 5.3.2 No SMTP service here', 'CONN'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false, smtpCode: 554 },
  { name: 'greeting 421 too busy (closed with a failure reply, ECONNECTION)', err: () => formatError(new Error('Connection closed unexpectedly'), 'ECONNECTION', '421 4.3.2 Too many connections', 'CONN'), bodyStarted: false, code: 'rate_limited', retryable: true, outcomeUnknown: false, smtpCode: 421 },
  { name: 'EHLO and HELO refused (ECONNECTION, EHLO)', err: () => formatError(new Error('Server terminates connection. response=521 5.3.2 go away'), 'ECONNECTION', '521 5.3.2 go away', 'EHLO'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false, smtpCode: 521 },
  { name: 'STARTTLS refused 454 4.7.0 (ETLS, STARTTLS)', err: () => formatError('Error upgrading connection with STARTTLS', 'ETLS', '454 4.7.0 TLS not available due to temporary reason', 'STARTTLS'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false, smtpCode: 454 },
  { name: 'TLS handshake failure (ETLS, CONN)', err: () => formatError(new Error('Error initiating TLS - self-signed certificate'), 'ETLS', false, 'CONN'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false },
  { name: 'requireTLS but no STARTTLS offered (ETLS, EHLO)', err: () => formatError(new Error('Error initiating TLS - STARTTLS not offered'), 'ETLS', false, 'EHLO'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false },
  { name: 'pool closed (ECONNECTION, no command)', err: () => poolError('Connection pool was closed'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false },
  { name: 'requeues exhausted (ECONNECTION, no command)', err: () => poolError('Reached maximum number of retries after connection was closed'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false },
  { name: 'connection dropped during the envelope (ECONNECTION, CONN)', err: () => formatError(new Error('Connection closed unexpectedly'), 'ECONNECTION', false, 'CONN'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false },
  { name: 'permission model denial (ERR_ACCESS_DENIED kept)', err: () => formatError(Object.assign(new Error('Access to this API has been restricted'), { code: 'ERR_ACCESS_DENIED' }), 'ESOCKET', false, 'CONN'), bodyStarted: false, code: 'connection_failed', retryable: true, outcomeUnknown: false },
  // the drop after DATA: the body went out, the final reply never came
  { name: 'closed after the body, before the reply (ECONNECTION, CONN)', err: () => formatError(new Error('Connection closed unexpectedly'), 'ECONNECTION', false, 'CONN'), bodyStarted: true, code: 'outcome_unknown', retryable: true, outcomeUnknown: true },
  { name: 'reset after the body (ESOCKET, CONN, originalCode ECONNRESET)', err: () => formatError(systemError('ECONNRESET', 'read ECONNRESET'), 'ESOCKET', false, 'CONN'), bodyStarted: true, code: 'outcome_unknown', retryable: true, outcomeUnknown: true },
  { name: 'socket timeout after the body (ETIMEDOUT SOCKET_TIMEOUT)', err: () => timeout('SOCKET_TIMEOUT'), bodyStarted: true, code: 'outcome_unknown', retryable: true, outcomeUnknown: true },
  { name: 'garbage reply after the body (EPROTOCOL, CONN)', err: () => formatError(new Error('Unexpected Response'), 'EPROTOCOL', '999 what', 'CONN'), bodyStarted: true, code: 'outcome_unknown', retryable: true, outcomeUnknown: true },
  { name: 'closed after the body with a 421 reply (the relay refused it)', err: () => formatError(new Error('Connection closed unexpectedly'), 'ECONNECTION', '421 4.4.2 Timeout exceeded', 'CONN'), bodyStarted: true, code: 'rate_limited', retryable: true, outcomeUnknown: false, smtpCode: 421 },
  // not nodemailer's
  { name: 'a TypeError before sending', err: () => new TypeError('x is not a function'), bodyStarted: false, code: 'unknown', retryable: false, outcomeUnknown: false },
  { name: 'a TypeError after the body', err: () => new TypeError('x is not a function'), bodyStarted: true, code: 'outcome_unknown', retryable: true, outcomeUnknown: true },
  { name: 'a thrown string', err: () => 'boom', bodyStarted: false, code: 'unknown', retryable: false, outcomeUnknown: false },
];

describe('classifySmtpError (nodemailer 10 error shapes)', () => {
  it.each(rows)('$name → $code', (row) => {
    const e = classifySmtpError(row.err(), { bodyStarted: row.bodyStarted });
    expect(e).toBeInstanceOf(EmailProviderError);
    expect({ code: e.code, retryable: e.retryable, outcomeUnknown: e.outcomeUnknown }).toEqual({ code: row.code, retryable: row.retryable, outcomeUnknown: row.outcomeUnknown });
    if (row.smtpCode !== undefined) expect(e.smtpCode).toBe(row.smtpCode);
    if (row.enhanced !== undefined) expect(e.enhancedStatus).toBe(row.enhanced);
    if (e.code === 'rate_limited') expect(e.retryAfterMs).toBeGreaterThan(0);
    else expect(e.retryAfterMs).toBeUndefined();
  });

  it('keeps the reply text, the message and the cause', () => {
    const err = formatError("Can't send mail - all recipients were rejected", 'EENVELOPE', '550 5.1.1 <x@example.com>: no such user', 'RCPT TO');
    const e = classifySmtpError(err, { bodyStarted: false });
    expect(e.response).toBe('550 5.1.1 <x@example.com>: no such user');
    expect(e.message).toContain('all recipients were rejected');
    expect(e.cause).toBe(err);
  });

  it('passes an EmailProviderError through', () => {
    const e = new EmailProviderError({ code: 'invalid_message', message: 'x' });
    expect(classifySmtpError(e, { bodyStarted: true })).toBe(e);
  });

  it('never reads the message text: the same fields with another text classify the same', () => {
    const a = formatError('Recipient command failed', 'EENVELOPE', '550 5.1.1 nope', 'RCPT TO');
    const b = formatError('connection timeout greylisted rate limit', 'EENVELOPE', '550 5.1.1 nope', 'RCPT TO');
    expect(classifySmtpError(a, { bodyStarted: false }).code).toBe(classifySmtpError(b, { bodyStarted: false }).code);
  });
});

describe('parseSmtpReply / isThrottlingReply', () => {
  it.each([
    ['550 5.1.1 <a@b>: no such user', { code: 550, enhanced: '5.1.1' }],
    ['451 4.7.500 Server busy', { code: 451, enhanced: '4.7.500' }],
    ['250-2.0.0 first line\r\n250 2.0.0 last', { code: 250, enhanced: '2.0.0' }],
    ['421 Too many connections', { code: 421, enhanced: null }],
    ['550 5.1.1bogus', { code: 550, enhanced: null }],
    ['  554 5.7.1 spaced', { code: 554, enhanced: '5.7.1' }],
  ] as const)('%j', (reply, expected) => {
    expect(parseSmtpReply(reply)).toEqual(expected);
  });

  it.each([['hello'], [''], ['99 short'], ['600 x']])('%j is no reply', (reply) => {
    expect(parseSmtpReply(reply)).toBeNull();
  });

  it.each([
    [{ code: 421, enhanced: null }, true],
    [{ code: 451, enhanced: '4.7.1' }, true],
    [{ code: 450, enhanced: '4.2.1' }, true],
    [{ code: 451, enhanced: '4.3.0' }, false],
    [{ code: 550, enhanced: '5.7.1' }, false],
    [{ code: 450, enhanced: null }, false],
  ] as const)('%j throttling: %s', (reply, expected) => {
    expect(isThrottlingReply(reply)).toBe(expected);
  });
});
