import { assertNever } from './assert-never.ts';

/**
 * Inbound keywords (CTIA guidelines, Twilio's default handling).
 *
 * A message is a keyword only when its whole body is the keyword, ignoring case, leading
 * and trailing whitespace, punctuation and invisible formatting characters ("Stop.",
 * "  stop!! ", "STOP\n" are STOP; "please stop", "STOP ALL", "stop texting me" are not),
 * after Unicode NFKC normalisation (so full-width "ＳＴＯＰ" is STOP). This is Twilio's
 * rule: a sentence that contains STOP is not an opt-out, and acting on one would both
 * surprise the sender and diverge from Twilio's own block list.
 *
 * Opt-out keywords are the six of the seeds and the architecture plus REVOKE and OPTOUT,
 * which Twilio honours by default since 29 April 2025 (the FCC's revocation-of-consent
 * rule): Twilio blocks those senders anyway, so not recording them would leave our
 * preferences saying "subscribed" while every send fails with 21610.
 */

export const OPT_OUT_KEYWORDS = ['STOP', 'STOPALL', 'UNSUBSCRIBE', 'CANCEL', 'END', 'QUIT', 'REVOKE', 'OPTOUT'] as const;
export const OPT_IN_KEYWORDS = ['START', 'YES', 'UNSTOP'] as const;
export const HELP_KEYWORDS = ['HELP', 'INFO'] as const;

export type OptOutKeyword = (typeof OPT_OUT_KEYWORDS)[number];
export type OptInKeyword = (typeof OPT_IN_KEYWORDS)[number];
export type HelpKeyword = (typeof HELP_KEYWORDS)[number];
export type Keyword = OptOutKeyword | OptInKeyword | HelpKeyword;

export const KEYWORD_KINDS = ['opt_out', 'opt_in', 'help', 'none'] as const;
export type KeywordKind = (typeof KEYWORD_KINDS)[number];

export type KeywordClassification =
  | { kind: 'opt_out'; keyword: OptOutKeyword }
  | { kind: 'opt_in'; keyword: OptInKeyword }
  | { kind: 'help'; keyword: HelpKeyword }
  | { kind: 'none'; keyword: null };

const EDGE_NOISE = /^[\s\p{P}\p{Cf}]+|[\s\p{P}\p{Cf}]+$/gu;

/** The body as it is compared: NFKC, edges stripped of whitespace/punctuation, upper case. */
export function normalizeKeywordBody(body: string): string {
  return body.normalize('NFKC').replace(EDGE_NOISE, '').toUpperCase();
}

export function classifyKeyword(body: string | null | undefined): KeywordClassification {
  if (typeof body !== 'string') return { kind: 'none', keyword: null };
  const word = normalizeKeywordBody(body);
  if (isOneOf(OPT_OUT_KEYWORDS, word)) return { kind: 'opt_out', keyword: word };
  if (isOneOf(OPT_IN_KEYWORDS, word)) return { kind: 'opt_in', keyword: word };
  if (isOneOf(HELP_KEYWORDS, word)) return { kind: 'help', keyword: word };
  return { kind: 'none', keyword: null };
}

/** Whether a keyword kind changes the sender's subscription (opt-out and opt-in do). */
export function changesSubscription(kind: KeywordKind): boolean {
  switch (kind) {
    case 'opt_out':
    case 'opt_in':
      return true;
    case 'help':
    case 'none':
      return false;
    default:
      return assertNever(kind, 'keyword kind');
  }
}

function isOneOf<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}
