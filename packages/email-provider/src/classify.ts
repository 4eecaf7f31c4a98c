import type { ErrorCode } from 'nodemailer';
import { assertNever } from './assert-never.ts';
import { EmailProviderError, type EmailErrorCode } from './errors.ts';
import { isThrottlingReply, parseSmtpReply, type SmtpReply } from './smtp-reply.ts';

/**
 * Maps what nodemailer's SMTP pool rejects with to an EmailProviderError, from the error's
 * fields only: `code` (ECONNECTION, EENVELOPE …), `response` / `responseCode` (the relay's
 * reply) and `command` (the SMTP step: 'CONN', 'MAIL FROM', 'RCPT TO', 'DATA', 'AUTH PLAIN'),
 * plus one fact the error cannot carry: whether the message body had started to go out.
 *
 * Why that fact is needed: nodemailer's SMTPConnection reports a connection that closes,
 * resets or times out with `command: 'CONN'` whatever step was in flight (_onClose,
 * _onError(…, 'CONN')), so a drop after `DATA` was answered 354 and the body was written —
 * the relay may have queued the message, the 250 was lost — looks exactly like a drop during
 * EHLO. The adapter records whether the message stream was read (nodemailer pipes it to the
 * socket only after the 354, and uses the same `readableDidRead` test itself to requeue
 * messages whose connection dropped before a byte was sent) and passes it here.
 */
export interface SendStage {
  /** The message body had started to be written to the socket (DATA was accepted with 354). */
  bodyStarted: boolean;
}

/** The fields of a nodemailer error this module reads (NodemailerError). */
interface NodemailerErrorFields {
  code?: unknown;
  command?: unknown;
  response?: unknown;
  responseCode?: unknown;
}

type CodeGroup =
  | 'auth' // credentials refused or missing
  | 'connection' // the session broke: no (complete) answer
  | 'envelope' // MAIL FROM / RCPT TO / DATA refused, or refused by nodemailer before sending
  | 'message' // the message refused after DATA, or too large / empty before sending
  | 'caller' // our message or configuration is malformed
  | 'foreign'; // not an SMTP transport's error

/** Every nodemailer code, grouped (a Record over its ErrorCode type: a new code is a compile error). */
const NODEMAILER_CODE_GROUPS: Readonly<Record<ErrorCode, CodeGroup>> = {
  ECONNECTION: 'connection',
  ETIMEDOUT: 'connection',
  ESOCKET: 'connection',
  EDNS: 'connection',
  ETLS: 'connection',
  EREQUIRETLS: 'connection',
  EPROTOCOL: 'connection',
  EPROXY: 'connection',
  EMAXLIMIT: 'connection',
  EABORT: 'connection',
  EENVELOPE: 'envelope',
  EMAXRECIPIENTS: 'caller',
  EMESSAGE: 'message',
  ESTREAM: 'caller',
  EOTP: 'caller',
  ECONFIG: 'caller',
  EFILEACCESS: 'caller',
  EURLACCESS: 'caller',
  EFETCH: 'caller',
  EAUTH: 'auth',
  ENOAUTH: 'auth',
  EOAUTH2: 'auth',
  ESENDMAIL: 'foreign',
  ESES: 'foreign',
};

/** Node's permission-model denial, which nodemailer leaves in place of its own code. */
const ACCESS_DENIED = 'ERR_ACCESS_DENIED';

/** Session-setup commands: a refusal there means no session, not a refused message. */
const SESSION_COMMANDS = new Set(['CONN', 'EHLO', 'HELO', 'LHLO', 'STARTTLS']);

function groupOf(code: unknown): CodeGroup | null {
  if (typeof code !== 'string') return null;
  if (code === ACCESS_DENIED) return 'connection';
  return Object.hasOwn(NODEMAILER_CODE_GROUPS, code) ? NODEMAILER_CODE_GROUPS[code as ErrorCode] : null;
}

/** The code for an SMTP failure reply to `command`. */
export function codeForReply(reply: SmtpReply, command: string | null): EmailErrorCode {
  // No session (a 554 greeting, STARTTLS refused with 454 4.7.0): nothing about the message;
  // only a 421 (too busy, too many connections) is worth waiting for.
  if (command !== null && SESSION_COMMANDS.has(command)) return reply.code === 421 ? 'rate_limited' : 'connection_failed';
  if (isThrottlingReply(reply)) return 'rate_limited';
  // 503 (bad sequence of commands) says the session was in the wrong state, not that the
  // message was refused: like nodemailer's isPermanentResponseCode, not permanent.
  if (reply.code < 500 || reply.code === 503) return 'temporary_failure';
  if (command === 'RCPT TO') {
    // 5.7.x at RCPT is policy (relaying denied, sender blocked, spam): the message or we are
    // refused, the address itself may be fine — not a reason to mark it undeliverable.
    return reply.enhanced?.startsWith('5.7.') ? 'message_rejected' : 'recipient_rejected';
  }
  return 'message_rejected';
}

/** A failure with no usable SMTP reply: the session broke, or it never started. */
function codeForBrokenSession(stage: SendStage): EmailErrorCode {
  return stage.bodyStarted ? 'outcome_unknown' : 'connection_failed';
}

function codeFor(group: CodeGroup | null, reply: SmtpReply | null, command: string | null, stage: SendStage): EmailErrorCode {
  if (group === 'auth') return 'auth_failed';
  // An SMTP failure reply (4xx/5xx) decides, whatever the step: a negative answer to the body
  // means the relay did not take the message, so the outcome is known.
  if (reply !== null && reply.code >= 400 && reply.code < 600 && (group === 'envelope' || group === 'message' || group === 'connection')) {
    return codeForReply(reply, command);
  }
  switch (group) {
    case 'connection':
      return codeForBrokenSession(stage);
    case 'envelope':
      // refused before anything was sent: no recipients, a CR/LF or <> in an address
      return 'invalid_message';
    case 'message':
      // 'MAIL FROM': larger than the SIZE the relay announced; 'API': empty message
      return command === 'MAIL FROM' ? 'message_rejected' : 'invalid_message';
    case 'caller':
      return 'invalid_message';
    case 'foreign':
    case null:
      return stage.bodyStarted ? 'outcome_unknown' : 'unknown';
    default:
      return assertNever(group, 'nodemailer code group');
  }
}

/** The EmailProviderError for whatever a nodemailer send or verify rejected with. */
export function classifySmtpError(err: unknown, stage: SendStage): EmailProviderError {
  if (err instanceof EmailProviderError) return err;
  const fields: NodemailerErrorFields = typeof err === 'object' && err !== null ? (err as NodemailerErrorFields) : {};
  const response = typeof fields.response === 'string' ? fields.response : null;
  const command = typeof fields.command === 'string' ? fields.command : null;
  const parsed = parseSmtpReply(response);
  const reply = parsed ?? (typeof fields.responseCode === 'number' ? { code: fields.responseCode, enhanced: null } : null);
  const code = codeFor(groupOf(fields.code), reply, command, stage);
  return new EmailProviderError({
    code,
    message: err instanceof Error ? err.message : String(err),
    smtpCode: reply?.code ?? null,
    enhancedStatus: reply?.enhanced ?? null,
    response,
    cause: err,
  });
}
