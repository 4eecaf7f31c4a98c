import { assertNever } from './assert-never.ts';
import { classifyTwilioError, type TwilioErrorCategory } from './twilio-errors.ts';

/**
 * What to do after a send attempt failed: retry later, give up, or opt the user out.
 *
 * - 21610 (recipient replied STOP): opt out, never retry.
 * - A code in the table: its own `retryable` flag decides; permanent errors fail at once.
 * - A transient error is retried while attempt < maxAttempts, after
 *     base(category) × 2^(attempt − 1), capped at MAX_RETRY_DELAY_MS, ± 20 % jitter,
 *   where `attempt` is the 1-based number of the attempt that just failed (so the first
 *   retry waits about one base delay).
 * - Unknown codes (not in the table, or none at all) are retried conservatively: as
 *   transient, but with a 5-minute base, and still bounded by maxAttempts, because a code
 *   we have not classified is more likely a new condition than a blip. The caller may pass
 *   `retryableHint` (e.g. from the HTTP status of a call that carried no Twilio code); it
 *   is used only when the code is unknown: the table always wins over a hint.
 *
 * Base delays: rate_limit 5 min and carrier_issue 3 min come from the seeds' retry logic;
 * unreachable 15 min (a handset that is off or blocked for 15–30 min by pumping protection
 * is not back in one); unknown 5 min. The permanent categories have a base too (10 min) so
 * the function is total, but no table entry in them is retryable.
 */

export const MAX_RETRY_DELAY_MS = 6 * 60 * 60_000;
export const RETRY_JITTER_RATIO = 0.2;

export function retryBaseDelayMs(category: TwilioErrorCategory): number {
  switch (category) {
    case 'rate_limit':
      return 5 * 60_000;
    case 'carrier_issue':
      return 3 * 60_000;
    case 'unreachable':
      return 15 * 60_000;
    case 'unknown':
      return 5 * 60_000;
    case 'invalid_number':
    case 'account_issue':
    case 'content':
    case 'opted_out':
      return 10 * 60_000;
    default:
      return assertNever(category, 'error category');
  }
}

/** Delay before the retry that follows failed attempt `attempt` (1-based); `random` returns [0, 1). */
export function nextRetryDelayMs(category: TwilioErrorCategory, attempt: number, random: () => number): number {
  const n = Number.isFinite(attempt) ? Math.max(1, Math.floor(attempt)) : 1;
  const exponential = Math.min(MAX_RETRY_DELAY_MS, retryBaseDelayMs(category) * 2 ** Math.min(n - 1, 30));
  const r = random();
  const unit = Number.isFinite(r) ? Math.min(1, Math.max(0, r)) : 0.5;
  const jittered = exponential * (1 + RETRY_JITTER_RATIO * (2 * unit - 1));
  return Math.round(Math.min(MAX_RETRY_DELAY_MS, jittered));
}

export interface RetryInput {
  errorCode: number | string | null | undefined;
  /** 1-based number of the attempt that just failed. */
  attempt: number;
  maxAttempts: number;
  random: () => number;
  /** Retryability suggested by the transport, used only for codes not in the table. */
  retryableHint?: boolean;
}

export type RetryDecision =
  | { action: 'retry'; category: TwilioErrorCategory; delayMs: number; code: number | null }
  | {
      action: 'fail';
      category: TwilioErrorCategory;
      /** True when the error itself is permanent; false when a transient error ran out of attempts. */
      permanent: boolean;
      code: number | null;
    }
  | { action: 'opt_out'; category: 'opted_out'; code: number | null };

export function retryDecision(input: RetryInput): RetryDecision {
  const info = classifyTwilioError(input.errorCode);
  const { category, code } = info;
  switch (category) {
    case 'opted_out':
      return { action: 'opt_out', category, code };
    case 'invalid_number':
    case 'account_issue':
    case 'carrier_issue':
    case 'unreachable':
    case 'rate_limit':
    case 'content':
    case 'unknown':
      break;
    default:
      return assertNever(category, 'error category');
  }
  const retryable = info.known ? info.retryable : (input.retryableHint ?? true);
  if (!retryable) return { action: 'fail', category, permanent: true, code };
  if (input.attempt >= input.maxAttempts) return { action: 'fail', category, permanent: false, code };
  return { action: 'retry', category, delayMs: nextRetryDelayMs(category, input.attempt, input.random), code };
}
