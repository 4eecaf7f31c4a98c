import { stringifyValue } from './template-values.ts';
import { characterCount } from './templates.ts';
import { findLinks } from './links.ts';

/**
 * A readable message for an event type that has no template, built from the payload:
 * 1. the payload's own words: `title` (or `subject`) and `body` (or `message`, `text`),
 *    as "Title: body", or whichever of the two exists;
 * 2. otherwise the event type in words plus a few key fields:
 *    "Task due soon: task name: Write report, due at: 2025-10-08T14:00:00.000Z".
 *    Key fields are the first MAX_FIELDS top-level fields with a text form, skipping ids
 *    (`id`, `*_id`, `*Id`), which mean nothing to a person.
 * The result is cut to `maxLength` characters (default 320, two GSM-7 segments) with a
 * GSM-7 "..." so that the cut itself never forces UCS-2. Always non-empty. Links survive
 * the cut: when the text is too long, the words are cut and the links that follow the cut
 * point are kept whole after the "..." (as many as fit), so a trailing link still works.
 */

const TITLE_KEYS = ['title', 'subject'] as const;
const BODY_KEYS = ['body', 'message', 'text'] as const;
const MAX_FIELDS = 4;
const MAX_FIELD_CHARS = 80;
const DEFAULT_MAX_LENGTH = 320;
const ELLIPSIS = '...';

export interface FallbackOptions {
  maxLength?: number;
}

export function fallbackText(
  eventType: string,
  payload: Readonly<Record<string, unknown>> | null | undefined,
  options: FallbackOptions = {},
): string {
  const data = payload ?? {};
  const title = firstText(data, TITLE_KEYS);
  const body = firstText(data, BODY_KEYS);
  let text: string;
  if (title !== undefined && body !== undefined) text = body.startsWith(title) ? body : `${title}: ${body}`;
  else if (title !== undefined || body !== undefined) text = (title ?? body) as string;
  else {
    const label = humanizeEventType(eventType);
    const fields = keyFields(data);
    text = fields.length > 0 ? `${label}: ${fields.join(', ')}` : label;
  }
  return cutKeepingLinks(text, Math.max(options.maxLength ?? DEFAULT_MAX_LENGTH, ELLIPSIS.length + 1));
}

/** truncate, except that links beyond the cut are moved whole after the "..." when they fit. */
function cutKeepingLinks(text: string, maxLength: number): string {
  if (characterCount(text) <= maxLength) return text;
  const cut = truncate(text, maxLength);
  const kept = cut.length - ELLIPSIS.length;
  const lost = findLinks(text).filter((l) => l.end > kept);
  if (lost.length === 0) return cut;
  // Drop the links' text from the prose, then give the links the room they need.
  let prose = text;
  for (const l of [...lost].sort((a, b) => b.start - a.start)) prose = prose.slice(0, l.start) + prose.slice(l.end);
  prose = prose.replace(/[ \t]{2,}/g, ' ').trimEnd();
  const links: string[] = [];
  let room = maxLength - ELLIPSIS.length - 1; // at least one character of prose
  for (const l of lost) {
    const need = characterCount(l.url) + 1;
    if (need > room) break;
    links.push(l.url);
    room -= need;
  }
  if (links.length === 0) return cut;
  const suffix = ` ${links.join(' ')}`;
  const proseRoom = maxLength - characterCount(suffix);
  const head = characterCount(prose) <= proseRoom ? prose : truncate(prose, proseRoom);
  return head + suffix;
}

/** "task.due_soon" → "Task due soon"; "billingInvoicePaid" → "Billing invoice paid". */
export function humanizeEventType(eventType: string): string {
  const words = splitWords(eventType);
  if (words.length === 0) return 'Notification';
  const sentence = words.join(' ');
  return sentence.charAt(0).toUpperCase() + sentence.slice(1);
}

function splitWords(identifier: string): string[] {
  return identifier
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s._:/-]+/)
    .map((w) => w.toLowerCase())
    .filter((w) => w !== '');
}

function firstText(data: Readonly<Record<string, unknown>>, keys: readonly string[]): string | undefined {
  for (const key of keys) {
    if (!Object.hasOwn(data, key)) continue;
    const value = data[key];
    if (typeof value === 'string' && value.trim() !== '') return value.trim();
  }
  return undefined;
}

function keyFields(data: Readonly<Record<string, unknown>>): string[] {
  const fields: string[] = [];
  for (const [key, raw] of Object.entries(data)) {
    if (fields.length >= MAX_FIELDS) break;
    if (isIdKey(key) || (typeof raw === 'object' && raw !== null && !(raw instanceof Date))) continue;
    const value = stringifyValue(raw)?.trim();
    if (value === undefined || value === '') continue;
    const shown = /^https?:\/\//i.test(value) ? value : truncate(value, MAX_FIELD_CHARS);
    fields.push(`${splitWords(key).join(' ')}: ${shown}`);
  }
  return fields;
}

function isIdKey(key: string): boolean {
  return /^id$/i.test(key) || /_id$/i.test(key) || /[a-z0-9]Id$/.test(key);
}

function truncate(text: string, maxLength: number): string {
  if (characterCount(text) <= maxLength) return text;
  const chars = Array.from(text).slice(0, maxLength - ELLIPSIS.length);
  return chars.join('').trimEnd() + ELLIPSIS;
}
