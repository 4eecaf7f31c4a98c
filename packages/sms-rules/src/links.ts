/**
 * Links in a message: finding them, replacing them by tracked short links, and the short
 * codes themselves.
 *
 * A link is http:// or https:// (any case) followed by characters up to whitespace, < > or
 * a double quote, minus trailing characters that belong to the sentence rather than the URL:
 * . , ; : ! ? ' and closing brackets that have no opening partner inside the URL (so
 * "(see https://x.org/a)" ends at "a" but "https://en.wikipedia.org/wiki/Foo_(bar)" keeps
 * its parenthesis). A scheme with nothing after it is not a link.
 */

import { characterCount } from './templates.ts';

export interface FoundLink {
  url: string;
  /** UTF-16 index of the first character of the URL in the text. */
  start: number;
  /** Index just past the last character. */
  end: number;
}

const CANDIDATE = /https?:\/\/[^\s<>"]+/giu;
const TRAILING_PUNCTUATION = new Set(['.', ',', ';', ':', '!', '?', "'"]);
const BRACKETS: Readonly<Record<string, string>> = { ')': '(', ']': '[', '}': '{' };

export function findLinks(text: string): FoundLink[] {
  const links: FoundLink[] = [];
  for (const match of text.matchAll(CANDIDATE)) {
    const start = match.index;
    // "xhttps://" inside a word is not a link start.
    if (start > 0 && /[\p{L}\p{N}]/u.test(text.charAt(start - 1))) continue;
    const url = trimTrailing(match[0]);
    if (!/^https?:\/\/[^/?#]/i.test(url)) continue;
    links.push({ url, start, end: start + url.length });
  }
  return links;
}

/**
 * Replaces every link by `shorten(url)`. Each distinct URL is shortened once and the same
 * short link reused for its repeats, so one message never creates two tracking rows for
 * one destination. The replacement text is not scanned again.
 */
export function replaceLinks(text: string, shorten: (url: string) => string): string {
  const shortened = new Map<string, string>();
  let out = '';
  let cursor = 0;
  for (const link of findLinks(text)) {
    let replacement = shortened.get(link.url);
    if (replacement === undefined) {
      replacement = shorten(link.url);
      shortened.set(link.url, replacement);
    }
    out += text.slice(cursor, link.start) + replacement;
    cursor = link.end;
  }
  return out + text.slice(cursor);
}

/**
 * The length (code points) a text will have once its links are replaced by short links
 * `<publicBaseUrl>/l/<code>`: what a template's max_length bounds (the sms-adapter checks
 * the real replacement; a preview or a save-time check can use this without creating codes).
 */
export function lengthWithShortLinks(text: string, publicBaseUrl: string, codeLength = MIN_SHORT_CODE_LENGTH): number {
  const link = `${publicBaseUrl.replace(/\/$/, '')}/l/${'x'.repeat(codeLength)}`;
  return characterCount(replaceLinks(text, () => link));
}

function trimTrailing(candidate: string): string {
  let url = candidate;
  for (;;) {
    const last = url.charAt(url.length - 1);
    if (TRAILING_PUNCTUATION.has(last)) {
      url = url.slice(0, -1);
      continue;
    }
    const opening = BRACKETS[last];
    if (opening !== undefined && count(url, last) > count(url, opening)) {
      url = url.slice(0, -1);
      continue;
    }
    return url;
  }
}

function count(text: string, char: string): number {
  let n = 0;
  for (const c of text) if (c === char) n++;
  return n;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
/** Bytes at or above this are rejected so that byte % 62 is uniform (248 = 4 × 62). */
const UNBIASED_LIMIT = 248;
/** log2(62) ≈ 5.954 bits per character: 10 characters ≈ 59.5 bits. */
export const MIN_SHORT_CODE_LENGTH = 10;
export const SHORT_CODE_PATTERN = /^[0-9A-Za-z]{10,64}$/;

/**
 * An unguessable base62 short code from an injected source of random bytes (crypto's
 * randomBytes in production, a fixed sequence in tests). Rejection sampling keeps every
 * character uniform. Lengths below 10 (under 56 bits) are refused: short links open
 * messages' destinations, and a guessable code would let anyone walk them.
 */
export function generateShortCode(randomBytes: (n: number) => Uint8Array, length = MIN_SHORT_CODE_LENGTH): string {
  if (!Number.isInteger(length) || length < MIN_SHORT_CODE_LENGTH || length > 64) {
    throw new RangeError(`short code length must be an integer from ${MIN_SHORT_CODE_LENGTH} to 64, got ${length}`);
  }
  let code = '';
  // Each byte is accepted with probability 248/256, so a few rounds always suffice; the
  // bound only stops a broken source (all bytes ≥ 248) from looping forever.
  for (let round = 0; round < 32 && code.length < length; round++) {
    for (const byte of randomBytes(length * 2)) {
      if (byte >= UNBIASED_LIMIT) continue;
      code += BASE62.charAt(byte % 62);
      if (code.length === length) return code;
    }
  }
  throw new Error('generateShortCode: the random source returned too few usable bytes');
}
