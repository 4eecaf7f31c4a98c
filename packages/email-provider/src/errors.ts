import { assertNever } from './assert-never.ts';

/**
 * Why handing a message to the relay failed, as a closed list. The caller decides retry /
 * fail / mark the address undeliverable / reconcile from `code`, `retryable` and
 * `outcomeUnknown` alone. classify.ts derives the code from nodemailer's error fields
 * (`code`, `responseCode`, `command`) and whether the message body had started to go out;
 * never from message text.
 */
export const EMAIL_ERROR_CODES = [
  /** 5xx to RCPT TO: the address does not exist (5.1.x) or cannot take mail; mark it undeliverable. */
  'recipient_rejected',
  /** 5xx to MAIL FROM, to DATA or to the message body (content, size, policy 5.7.x): permanent for this message. */
  'message_rejected',
  /** A 4xx (or 503) reply anywhere: try again later. */
  'temporary_failure',
  /** A throttling reply (421, or 4xx with enhanced status 4.7.x / 4.2.1): try again after retryAfterMs. */
  'rate_limited',
  /** The relay refused our credentials (EAUTH): an operator fixes the configuration; not the recipient's fault. */
  'auth_failed',
  /** No session: connect, greeting, EHLO or TLS failed, or the connection broke before the body went out. Nothing was sent. */
  'connection_failed',
  /** The connection broke (or timed out) after the body had started to go out and before the final reply: the relay may have queued it. */
  'outcome_unknown',
  /** Our bug: a field missing or malformed (nothing was sent). */
  'invalid_message',
  /** Anything else (not a nodemailer error): not retried. */
  'unknown',
] as const;
export type EmailErrorCode = (typeof EMAIL_ERROR_CODES)[number];

/** SMTP has no Retry-After: how long to wait after a throttling reply. */
export const DEFAULT_RATE_LIMIT_RETRY_AFTER_MS = 60_000;

/** Retryability of each code (an exhaustive switch: a new code is a compile error). */
export function describeEmailErrorCode(code: EmailErrorCode): { retryable: boolean; outcomeUnknown: boolean } {
  switch (code) {
    case 'recipient_rejected':
    case 'message_rejected':
    case 'invalid_message':
    case 'unknown':
      return { retryable: false, outcomeUnknown: false };
    case 'temporary_failure':
    case 'rate_limited':
    case 'auth_failed':
    case 'connection_failed':
      return { retryable: true, outcomeUnknown: false };
    case 'outcome_unknown':
      return { retryable: true, outcomeUnknown: true };
    default:
      return assertNever(code, 'email error code');
  }
}

export interface EmailProviderErrorInit {
  code: EmailErrorCode;
  message: string;
  smtpCode?: number | null | undefined;
  enhancedStatus?: string | null | undefined;
  response?: string | null | undefined;
  retryAfterMs?: number | undefined;
  cause?: unknown;
}

export class EmailProviderError extends Error {
  override readonly name = 'EmailProviderError';
  readonly code: EmailErrorCode;
  /** Whether trying again later can succeed. */
  readonly retryable: boolean;
  /**
   * The relay may have accepted the message although the call failed: do not resend blindly
   * (reconcile through the provider's events for our Message-ID first, or accept a duplicate).
   */
  readonly outcomeUnknown: boolean;
  /** The SMTP reply code, when the relay answered (550, 451 …). */
  readonly smtpCode: number | null;
  /** The RFC 3463 enhanced status of the reply, e.g. '5.1.1'. */
  readonly enhancedStatus: string | null;
  /** The relay's reply text. */
  readonly response: string | null;
  /** Set for rate_limited. */
  readonly retryAfterMs?: number;

  constructor(init: EmailProviderErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    const { retryable, outcomeUnknown } = describeEmailErrorCode(init.code);
    this.code = init.code;
    this.retryable = retryable;
    this.outcomeUnknown = outcomeUnknown;
    this.smtpCode = init.smtpCode ?? null;
    this.enhancedStatus = init.enhancedStatus ?? null;
    this.response = init.response ?? null;
    const retryAfterMs = init.retryAfterMs ?? (init.code === 'rate_limited' ? DEFAULT_RATE_LIMIT_RETRY_AFTER_MS : undefined);
    if (retryAfterMs !== undefined) this.retryAfterMs = retryAfterMs;
  }

  toJSON() {
    return {
      name: this.name, code: this.code, retryable: this.retryable, outcomeUnknown: this.outcomeUnknown, smtpCode: this.smtpCode,
      enhancedStatus: this.enhancedStatus, response: this.response, retryAfterMs: this.retryAfterMs ?? null, message: this.message,
    };
  }
}

/**
 * Whether a failed hand-off says something about the relay or our account rather than the
 * message: our credentials refused (EAUTH, 530 authentication required), no session at all
 * (connection refused, greeting or TLS failed: nothing was sent), or a 421 "service not
 * available" at any step. Such a failure pauses the channel and holds the message
 * (ChannelGate) instead of retrying or failing it; a send of unknown outcome never counts.
 */
export function isRelayWide(err: EmailProviderError): boolean {
  if (err.outcomeUnknown) return false;
  return err.code === 'auth_failed' || err.code === 'connection_failed' || err.smtpCode === 421 || err.smtpCode === 530;
}
