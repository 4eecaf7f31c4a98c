import { assertNever } from './assert-never.ts';

/**
 * SMS encoding and segment count, as carriers and Twilio bill them.
 *
 * GSM-7 (3GPP TS 23.038): 128 basic characters (one septet each; the escape code itself is
 * not text) and an extension table reached through the escape, so € [ ] { } ~ ^ | \ and form
 * feed cost two septets. One segment holds 160 septets; a concatenated message spends 7
 * septets of each segment on the header, leaving 153, and an escape pair is never split
 * across two segments. Any character outside GSM-7 turns the whole message into UCS-2: 70
 * UTF-16 code units in one segment, 67 per segment when concatenated; characters outside
 * the BMP (most emoji) are a surrogate pair, 2 units, never split across segments.
 *
 * The empty string is 0 segments: there is nothing to send. Twilio would bill one segment
 * for an empty body, but the hub never sends one (templates refuse empty text), so 0 keeps
 * "nothing" distinguishable from "one short message".
 *
 * Not modelled: Twilio's optional Smart Encoding (replacing curly quotes and similar with
 * GSM-7 look-alikes) and national language shift tables. Counting without them errs on the
 * side of more segments, never fewer.
 */

export const SMS_ENCODINGS = ['GSM-7', 'UCS-2'] as const;
export type SmsEncoding = (typeof SMS_ENCODINGS)[number];

export const GSM7_SINGLE_SEGMENT = 160;
export const GSM7_MULTI_SEGMENT = 153;
export const UCS2_SINGLE_SEGMENT = 70;
export const UCS2_MULTI_SEGMENT = 67;

/** The 127 printable characters of the GSM-7 default alphabet (0x1B, the escape, excluded). */
export const GSM7_BASIC_CHARS: ReadonlySet<string> = new Set(
  Array.from(
    '@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !"#¤%&\'()*+,-./0123456789:;<=>?' +
      '¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà',
  ),
);

/** Characters of the GSM-7 extension table: each is sent as escape + code, two septets. */
export const GSM7_EXTENSION_CHARS: ReadonlySet<string> = new Set(Array.from('\f^{}\\[~]|€'));

export interface SegmentInfo {
  encoding: SmsEncoding;
  /** Number of SMS segments billed. 0 for the empty string. */
  segments: number;
  /** Septets (GSM-7) or UTF-16 code units (UCS-2) in the whole text. */
  units: number;
  /** Capacity of each segment in `units`: 160/153 for GSM-7, 70/67 for UCS-2. */
  perSegment: number;
  /** The distinct characters that forced UCS-2, in order of first appearance. */
  ucs2Chars: string[];
}

/** Septets a character takes in GSM-7, or null when GSM-7 cannot encode it. */
export function gsm7Septets(char: string): 1 | 2 | null {
  if (GSM7_BASIC_CHARS.has(char)) return 1;
  if (GSM7_EXTENSION_CHARS.has(char)) return 2;
  return null;
}

/** The characters (code points) of `text` that GSM-7 cannot encode, distinct, in order. */
export function nonGsm7Chars(text: string): string[] {
  const seen = new Set<string>();
  for (const char of text) {
    if (gsm7Septets(char) === null) seen.add(char);
  }
  return [...seen];
}

export function detectEncoding(text: string): SmsEncoding {
  for (const char of text) {
    if (gsm7Septets(char) === null) return 'UCS-2';
  }
  return 'GSM-7';
}

export function countSegments(text: string): SegmentInfo {
  const encoding = detectEncoding(text);
  const ucs2Chars = encoding === 'UCS-2' ? nonGsm7Chars(text) : [];
  const units = totalUnits(text, encoding);
  const [single, multi] = limits(encoding);
  const segments = splitSegments(text).length;
  return { encoding, segments, units, perSegment: segments > 1 ? multi : single, ucs2Chars };
}

/**
 * Splits `text` the way it is sent: the whole text when it fits one segment, otherwise
 * greedy chunks of at most 153 septets / 67 code units that never cut an escape pair or a
 * surrogate pair (a segment may then carry one unit less than its capacity).
 */
export function splitSegments(text: string): string[] {
  if (text === '') return [];
  const encoding = detectEncoding(text);
  const [single, multi] = limits(encoding);
  if (totalUnits(text, encoding) <= single) return [text];
  const parts: string[] = [];
  let current = '';
  let used = 0;
  for (const char of text) {
    const cost = unitsOf(char, encoding);
    if (used + cost > multi) {
      parts.push(current);
      current = '';
      used = 0;
    }
    current += char;
    used += cost;
  }
  if (current !== '') parts.push(current);
  return parts;
}

function totalUnits(text: string, encoding: SmsEncoding): number {
  if (encoding === 'UCS-2') return text.length;
  let units = 0;
  for (const char of text) units += unitsOf(char, encoding);
  return units;
}

function unitsOf(char: string, encoding: SmsEncoding): number {
  // UCS-2 as carriers send it is UTF-16: a code point outside the BMP is two units.
  if (encoding === 'UCS-2') return char.length;
  return gsm7Septets(char) ?? 1;
}

function limits(encoding: SmsEncoding): readonly [single: number, multi: number] {
  switch (encoding) {
    case 'GSM-7':
      return [GSM7_SINGLE_SEGMENT, GSM7_MULTI_SEGMENT];
    case 'UCS-2':
      return [UCS2_SINGLE_SEGMENT, UCS2_MULTI_SEGMENT];
    default:
      return assertNever(encoding, 'SMS encoding');
  }
}
