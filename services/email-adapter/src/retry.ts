import { assertNever, type EmailErrorCode } from '@hub/email-provider';

/**
 * What a failed send leads to, by the provider error's code alone (never its text):
 * permanent codes fail the delivery at once; the others retry with exponential backoff and
 * jitter up to max attempts. A send whose outcome is unknown is not decided here (see
 * deliver.ts: it is reconciled first).
 */
export type EmailRetryDecision =
  | { action: 'retry'; delayMs: number }
  | { action: 'fail'; undeliverable: boolean };

export interface RetrySettings {
  baseDelayMs: number;
  maxDelayMs: number;
}

export function emailRetryDecision(args: { code: EmailErrorCode | 'soft_bounce'; attempt: number; maxAttempts: number; retryAfterMs?: number | undefined; random: () => number; settings: RetrySettings }): EmailRetryDecision {
  switch (args.code) {
    case 'recipient_rejected':
      return { action: 'fail', undeliverable: true };
    case 'message_rejected':
    case 'invalid_message':
    case 'unknown':
      return { action: 'fail', undeliverable: false };
    case 'temporary_failure':
    case 'rate_limited':
    case 'auth_failed':
    case 'connection_failed':
    case 'outcome_unknown':
    case 'soft_bounce': {
      if (args.attempt >= args.maxAttempts) return { action: 'fail', undeliverable: false };
      const exp = Math.min(args.settings.maxDelayMs, args.settings.baseDelayMs * 2 ** Math.max(0, args.attempt - 1));
      const jittered = Math.round(exp * (0.8 + 0.4 * args.random()));
      return { action: 'retry', delayMs: Math.max(jittered, args.retryAfterMs ?? 0) };
    }
    default:
      return assertNever(args.code);
  }
}
