import { assertNever } from './assert-never.ts';
import { countSegments, type SegmentInfo } from './segments.ts';

/**
 * The opt-out footer: "Reply STOP to unsubscribe", on its own line after the text. It is
 * plain GSM-7, so it never changes a message's encoding, only its length.
 *
 * When it is added is configuration (`FooterPolicy`): `always`; `first` (only on the first
 * message to a number, the CTIA minimum, and the default the adapter uses); or `never`
 * (e.g. Twilio's Advanced Opt-Out appends its own). Adding it is idempotent: a text that
 * already tells the reader to reply STOP is left as it is.
 */

export const OPT_OUT_FOOTER = 'Reply STOP to unsubscribe';
export const FOOTER_SEPARATOR = '\n';

export const FOOTER_POLICIES = ['always', 'first', 'never'] as const;
export type FooterPolicy = (typeof FOOTER_POLICIES)[number];

/**
 * Wording that already tells the reader how to opt out: "Reply STOP", "Text STOP", "Send
 * STOP…", or "STOP to unsubscribe / opt out / end / cancel / quit" (the seeded welcome
 * text: "Reply HELP for help, STOP to unsubscribe.").
 */
const ALREADY_HAS_OPT_OUT = [
  /\b(?:reply|text|txt|send|respond)(?:\s+with)?\s+["'“]?stop\b/i,
  /\bstop["'”]?\s+to\s+(?:unsubscribe|opt[\s-]?out|end|cancel|quit|stop)\b/i,
];

export function hasOptOutInstruction(text: string): boolean {
  return ALREADY_HAS_OPT_OUT.some((re) => re.test(text));
}

export function withOptOutFooter(text: string): string {
  if (hasOptOutInstruction(text)) return text;
  const body = text.trimEnd();
  return body === '' ? OPT_OUT_FOOTER : `${body}${FOOTER_SEPARATOR}${OPT_OUT_FOOTER}`;
}

/** Whether the footer goes on this message, given the policy and whether the number was texted before. */
export function footerRequired(policy: FooterPolicy, sentToNumberBefore: boolean): boolean {
  switch (policy) {
    case 'always':
      return true;
    case 'first':
      return !sentToNumberBefore;
    case 'never':
      return false;
    default:
      return assertNever(policy, 'footer policy');
  }
}

/** Appends the footer when `condition` holds. */
export function applyOptOutFooter(text: string, condition: boolean): string {
  return condition ? withOptOutFooter(text) : text;
}

export interface FooterSegments {
  text: string;
  info: SegmentInfo;
  /** Segments the footer added (0 when it fits in the last segment or was not added). */
  addedSegments: number;
}

/** The text with the footer (when `condition` holds) and what it costs in segments. */
export function segmentsWithFooter(text: string, condition = true): FooterSegments {
  const withFooter = applyOptOutFooter(text, condition);
  const info = countSegments(withFooter);
  return { text: withFooter, info, addedSegments: info.segments - countSegments(text).segments };
}
