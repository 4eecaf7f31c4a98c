import { assertNever } from './assert-never.ts';

/**
 * Why a provider call failed, as a closed list. The consumer decides retry / fail / reconcile
 * from `code`, `kind` and `retryable` alone; the classification reads HTTP statuses, Twilio
 * error codes and Node/axios error codes, never message text.
 */
export const PROVIDER_ERROR_CODES = [
  // the request was refused: sending it again will not help
  'invalid_to', 'not_sms_capable', 'unreachable', 'region_not_permitted', 'opted_out', 'invalid_from',
  'missing_parameter', 'body_too_long', 'invalid_messaging_service', 'invalid_schedule', 'not_cancelable',
  'not_found', 'invalid_parameter', 'verification_limit', 'rejected',
  // try again later
  'rate_limited', 'queue_full', 'server_error', 'timeout', 'network',
  // configuration
  'auth_failed',
  // neither
  'unexpected_response', 'unknown',
] as const;
export type ProviderErrorCode = (typeof PROVIDER_ERROR_CODES)[number];

export const PROVIDER_ERROR_KINDS = ['rejected', 'rate_limited', 'auth', 'server', 'timeout', 'network', 'unknown'] as const;
export type ProviderErrorKind = (typeof PROVIDER_ERROR_KINDS)[number];

/** Kind and retryability of each code (an exhaustive switch: a new code is a compile error). */
export function describeErrorCode(code: ProviderErrorCode): { kind: ProviderErrorKind; retryable: boolean } {
  switch (code) {
    case 'invalid_to':
    case 'not_sms_capable':
    case 'unreachable':
    case 'region_not_permitted':
    case 'opted_out':
    case 'invalid_from':
    case 'missing_parameter':
    case 'body_too_long':
    case 'invalid_messaging_service':
    case 'invalid_schedule':
    case 'not_cancelable':
    case 'not_found':
    case 'invalid_parameter':
    case 'verification_limit':
    case 'rejected':
      return { kind: 'rejected', retryable: false };
    case 'rate_limited':
    case 'queue_full':
      return { kind: 'rate_limited', retryable: true };
    case 'server_error':
      return { kind: 'server', retryable: true };
    case 'timeout':
      return { kind: 'timeout', retryable: true };
    case 'network':
      return { kind: 'network', retryable: true };
    case 'auth_failed':
      return { kind: 'auth', retryable: false };
    case 'unexpected_response':
    case 'unknown':
      return { kind: 'unknown', retryable: false };
    default:
      return assertNever(code, 'provider error code');
  }
}

/** Default wait before retrying a rate-limited call (Twilio sends no Retry-After). */
export const DEFAULT_RETRY_AFTER_MS = 1_000;

export interface ProviderErrorInit {
  code: ProviderErrorCode;
  message: string;
  twilioCode?: number | null | undefined;
  httpStatus?: number | null | undefined;
  retryAfterMs?: number | null | undefined;
  outcomeUnknown?: boolean | undefined;
  cause?: unknown;
}

export class ProviderError extends Error {
  override readonly name = 'ProviderError';
  readonly code: ProviderErrorCode;
  readonly kind: ProviderErrorKind;
  /** Whether trying again later can succeed. */
  readonly retryable: boolean;
  /** Twilio's numeric error code, when the provider gave one. */
  readonly twilioCode: number | null;
  readonly httpStatus: number | null;
  /** How long to wait before the next call, when rate limited. */
  readonly retryAfterMs: number | null;
  /**
   * The provider may have acted on the request although the call failed (a timeout, a
   * connection reset mid-request): reconcile (callback or lookup) before sending again.
   */
  readonly outcomeUnknown: boolean;

  constructor(init: ProviderErrorInit) {
    super(init.message, init.cause === undefined ? undefined : { cause: init.cause });
    const { kind, retryable } = describeErrorCode(init.code);
    this.code = init.code;
    this.kind = kind;
    this.retryable = retryable;
    this.twilioCode = init.twilioCode ?? null;
    this.httpStatus = init.httpStatus ?? null;
    this.retryAfterMs = init.retryAfterMs ?? (kind === 'rate_limited' ? DEFAULT_RETRY_AFTER_MS : null);
    // No answer, an answer we could not read, or a 5xx that does not say "not handled": the
    // provider may have acted on it.
    this.outcomeUnknown = init.outcomeUnknown
      ?? (init.code === 'timeout'
        || (init.code === 'unexpected_response' && (this.httpStatus === null || (this.httpStatus >= 200 && this.httpStatus < 300)))
        || (init.code === 'unknown' && this.httpStatus === null)
        || (this.httpStatus !== null && serverAnswerLeavesOutcomeUnknown(this.httpStatus)));
  }

  toJSON() {
    return {
      name: this.name, code: this.code, kind: this.kind, retryable: this.retryable, twilioCode: this.twilioCode,
      httpStatus: this.httpStatus, retryAfterMs: this.retryAfterMs, outcomeUnknown: this.outcomeUnknown, message: this.message,
    };
  }
}

/**
 * Whether an HTTP 5xx answer leaves open that the request was carried out.
 *
 * - 500, 502, 504 (and any other 5xx): an internal error, a proxy that lost the upstream
 *   answer, a gateway timeout. Twilio's edge answers these when the request may already have
 *   reached the Messages API, so a message may exist: reconcile (callback or lookup) before
 *   sending again, never resend blind.
 * - 503 (Twilio 20503 "Service Unavailable"): Twilio documents it as "temporarily unable to
 *   service the request; please wait and try again" — load shedding at the edge, before the
 *   request is handled. Treated as not sent and retryable, like 429 / 20429 (a rate limit
 *   refuses the request before a message is created; the SDK's own autoRetry retries 429
 *   for that reason, and nothing else).
 */
export function serverAnswerLeavesOutcomeUnknown(httpStatus: number): boolean {
  return httpStatus >= 500 && httpStatus < 600 && httpStatus !== 503;
}

/** Twilio error codes the hub meets at the API (delivery codes 300xx arrive in callbacks). */
const TWILIO_CODES: Readonly<Record<number, ProviderErrorCode>> = {
  20001: 'invalid_parameter',
  20003: 'auth_failed',
  20005: 'auth_failed',
  20404: 'not_found',
  20429: 'rate_limited',
  20500: 'server_error',
  20503: 'server_error',
  21211: 'invalid_to',
  21212: 'invalid_from',
  21408: 'region_not_permitted',
  21602: 'missing_parameter',
  21603: 'missing_parameter',
  21604: 'missing_parameter',
  21606: 'invalid_from',
  21609: 'invalid_parameter',
  21610: 'opted_out',
  21611: 'queue_full',
  21612: 'unreachable',
  21614: 'not_sms_capable',
  21617: 'body_too_long',
  21705: 'invalid_messaging_service',
  30409: 'not_cancelable',
  35111: 'invalid_schedule',
  35114: 'invalid_schedule',
  35115: 'invalid_schedule',
  35117: 'invalid_schedule',
  35118: 'invalid_schedule',
  60200: 'invalid_parameter',
  60202: 'verification_limit',
  60203: 'verification_limit',
  60205: 'not_sms_capable',
};

/** Twilio codes about the configured sender, not the message: "Invalid 'From' number". */
const SENDER_CODES = new Set([21212]);

/**
 * Whether a failed call says something about the provider or our account rather than the
 * message: bad credentials or an inactive account (401/403, 20003, 20005), a Messaging
 * Service or sender that does not exist (21705, 21212), a rate limit or a full sender queue
 * (429, 20429, 21611), the provider shedding load (503) or unreachable before the request
 * left (connection refused, DNS). Such a failure pauses the channel and holds the message
 * (ChannelGate) instead of failing or retrying it; a send of unknown outcome never counts
 * (it is reconciled first).
 */
export function isProviderWide(err: ProviderError): boolean {
  if (err.outcomeUnknown) return false;
  switch (err.kind) {
    case 'auth':
    case 'rate_limited':
    case 'server':
    case 'network':
      return true;
    case 'rejected':
      return err.code === 'invalid_messaging_service' || (err.twilioCode !== null && SENDER_CODES.has(err.twilioCode));
    case 'timeout':
    case 'unknown':
      return false;
    default:
      return assertNever(err.kind, 'provider error kind');
  }
}

/** The closed code for an HTTP error answer: Twilio's code first, the HTTP status otherwise. */
export function codeForHttpError(status: number, twilioCode: number | null): ProviderErrorCode {
  const known = twilioCode === null ? undefined : TWILIO_CODES[twilioCode];
  if (known) return known;
  if (status === 401 || status === 403) return 'auth_failed';
  if (status === 404) return 'not_found';
  if (status === 429) return 'rate_limited';
  if (status >= 500) return 'server_error';
  if (status >= 400) return 'rejected';
  return 'unexpected_response';
}

/** A ProviderError for an HTTP error answer (used by the Twilio adapter and by fakes). */
export function httpProviderError(status: number, twilioCode: number | null, message: string, cause?: unknown): ProviderError {
  return new ProviderError({ code: codeForHttpError(status, twilioCode), message, twilioCode, httpStatus: status, cause });
}
