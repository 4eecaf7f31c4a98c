/**
 * Twilio error codes → category and retryability. Classified by code only, never by the
 * message text (which Twilio rewords).
 *
 * Where the seeds disagree with Twilio's reference, the reference wins:
 * - 21610 is "attempt to send to an unsubscribed recipient" (the recipient replied STOP),
 *   not "message too long": it opts the user out and is never retried;
 * - 21608 is "the 'To' number is not verified" (trial accounts), not "unsubscribed";
 * - 30004–30006 are not blanket "carrier issues, retry possible": 30005 (unknown handset)
 *   and 30006 (landline or unreachable carrier) are permanent number problems and 30004
 *   (blocked) does not go away by retrying.
 * The `retryable` flag is per code; the category drives reporting and the retry base delay.
 * Codes not in the table are `unknown` (see retry-policy.ts for how they are retried).
 */

export const TWILIO_ERROR_CATEGORIES = [
  'invalid_number',
  'account_issue',
  'carrier_issue',
  'unreachable',
  'rate_limit',
  'content',
  'opted_out',
  'unknown',
] as const;
export type TwilioErrorCategory = (typeof TWILIO_ERROR_CATEGORIES)[number];

export interface TwilioErrorInfo {
  /** The numeric code, or null when the provider gave none. */
  code: number | null;
  category: TwilioErrorCategory;
  retryable: boolean;
  description: string;
  /** False for a code missing from the table (or no code at all). */
  known: boolean;
}

type Entry = readonly [category: TwilioErrorCategory, retryable: boolean, description: string];

export const TWILIO_ERRORS: Readonly<Record<number, Entry>> = {
  14107: ['rate_limit', true, 'Message rate limit exceeded'],
  20003: ['account_issue', false, 'Authentication failed: wrong account SID or auth token, or permission denied'],
  20005: ['account_issue', false, 'The account is not active (suspended or closed)'],
  20429: ['rate_limit', true, 'Too many requests to the Twilio API'],
  21211: ['invalid_number', false, "Invalid 'To' phone number"],
  21408: ['account_issue', false, "SMS to the 'To' number's region is not enabled (geographic permissions)"],
  21602: ['content', false, 'Message body is required'],
  21606: ['account_issue', false, "The 'From' number is not an SMS-capable number of this account"],
  21608: ['account_issue', false, "The 'To' number is not verified for this trial account"],
  21610: ['opted_out', false, 'The recipient has opted out (replied STOP) of messages from this sender'],
  21611: ['rate_limit', true, "The 'From' number has too many queued messages"],
  21612: ['invalid_number', false, "The 'To' number cannot be reached by SMS from this sender"],
  21614: ['invalid_number', false, "The 'To' number is not a mobile number"],
  21617: ['content', false, 'The message body exceeds the 1600 character limit'],
  30001: ['rate_limit', true, 'Queue overflow: too many messages queued for the sender'],
  30002: ['account_issue', false, 'Account suspended'],
  30003: ['unreachable', true, 'Unreachable destination handset (off, out of coverage, or full)'],
  30004: ['carrier_issue', false, 'Message blocked by the carrier or the recipient'],
  30005: ['invalid_number', false, 'Unknown destination handset: the number does not exist'],
  30006: ['invalid_number', false, 'Landline or unreachable carrier'],
  30007: ['content', false, 'Message filtered by the carrier as spam or a content violation'],
  30008: ['carrier_issue', true, 'Unknown error reported by the carrier'],
  30009: ['carrier_issue', true, 'Missing segment of a concatenated message'],
  30010: ['account_issue', false, 'Message price exceeds the configured max price'],
  30017: ['carrier_issue', true, 'Carrier network congestion'],
  30019: ['content', false, 'Content size exceeds the carrier limit'],
  30022: ['rate_limit', true, 'US A2P 10DLC: throughput limit of the campaign exceeded'],
  30023: ['rate_limit', true, 'US A2P 10DLC: daily message cap of the brand reached'],
  30024: ['account_issue', false, 'Sender ID not provisioned with the carrier'],
  30032: ['account_issue', false, 'Toll-free number has not been verified'],
  30034: ['account_issue', false, 'US A2P 10DLC: message from an unregistered number'],
  30410: ['carrier_issue', true, 'Timeout waiting for the carrier'],
  30450: ['unreachable', true, 'Destination temporarily blocked by SMS Pumping Protection (15–30 minutes)'],
  30453: ['unreachable', true, 'Destination temporarily blocked by SMS Pumping Protection (hours)'],
};

/** A code as Twilio sends it (number, or digits in a form field) → integer, else null. */
export function parseErrorCode(code: number | string | null | undefined): number | null {
  if (typeof code === 'number') return Number.isSafeInteger(code) && code > 0 ? code : null;
  if (typeof code === 'string' && /^\s*\d{1,9}\s*$/.test(code)) return Number(code);
  return null;
}

export function classifyTwilioError(code: number | string | null | undefined): TwilioErrorInfo {
  const parsed = parseErrorCode(code);
  const entry = parsed === null ? undefined : TWILIO_ERRORS[parsed];
  if (entry) {
    const [category, retryable, description] = entry;
    return { code: parsed, category, retryable, description, known: true };
  }
  return {
    code: parsed,
    category: 'unknown',
    retryable: true,
    description: parsed === null ? 'No error code given' : `Unrecognised Twilio error ${parsed}`,
    known: false,
  };
}
