import { assertNever } from '@hub/sms-rules';

/**
 * SendGrid Event Webhook reports (a JSON array of events) normalised to the hub's provider
 * events. One bad or unknown entry never fails the batch: it is kept in `rejected` with its
 * index (index -1: the body is not an array).
 */
export const SENDGRID_EVENT_WORDS = [
  'processed', 'deferred', 'delivered', 'open', 'click', 'bounce', 'dropped', 'spamreport', 'unsubscribe', 'group_unsubscribe', 'group_resubscribe',
] as const;
export type SendgridEventWord = (typeof SENDGRID_EVENT_WORDS)[number];

export const EMAIL_EVENT_KINDS = [
  'processed', 'deferred', 'delivered', 'open', 'click', 'hard_bounce', 'soft_bounce', 'dropped', 'complaint', 'unsubscribe', 'resubscribe',
] as const;
export type EmailEventKind = (typeof EMAIL_EVENT_KINDS)[number];

export interface EmailProviderEvent {
  kind: EmailEventKind;
  /** sg_event_id (unique per event: the dedup key). */
  providerEventId: string | null;
  /** sg_message_id. */
  providerMessageId: string | null;
  /** smtp-id (our Message-ID header) without <>. */
  messageIdHeader: string | null;
  /** Custom arg hub_message_id. */
  hubMessageId: string | null;
  /** Custom arg hub_attempt. */
  attempt: number | null;
  email: string | null;
  /** The enhanced status SendGrid reports ('status'), e.g. '5.1.1'. */
  smtpStatus: string | null;
  /** reason (bounce, dropped) or response (delivered, deferred), cut to 1000 characters. */
  reason: string | null;
  occurredAt: Date;
  /** SendGrid's event word. */
  raw: string;
}

export interface ParsedSendgridEvents {
  events: EmailProviderEvent[];
  rejected: { index: number; reason: string }[];
}

export const MAX_REASON_LENGTH = 1_000;

const isWord = (w: string): w is SendgridEventWord => (SENDGRID_EVENT_WORDS as readonly string[]).includes(w);

/** The hub's kind for a SendGrid event word; a bounce's `type` tells hard ('bounce') from soft ('blocked'). */
export function sendgridEventKind(word: SendgridEventWord, bounceType: string | null): EmailEventKind {
  switch (word) {
    case 'processed':
    case 'deferred':
    case 'delivered':
    case 'open':
    case 'click':
    case 'dropped':
    case 'unsubscribe':
      return word;
    case 'bounce':
      return bounceType === 'blocked' ? 'soft_bounce' : 'hard_bounce';
    case 'spamreport':
      return 'complaint';
    case 'group_unsubscribe':
      return 'unsubscribe';
    case 'group_resubscribe':
      return 'resubscribe';
    default:
      return assertNever(word, 'SendGrid event word');
  }
}

const str = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : typeof v === 'number' && Number.isFinite(v) ? String(v) : null);
const cut = (v: string | null) => (v === null ? null : [...v].slice(0, MAX_REASON_LENGTH).join(''));

function attemptOf(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^\d{1,9}$/.test(v) ? Number(v) : NaN;
  return Number.isSafeInteger(n) && n >= 0 ? n : null;
}

function parseOne(entry: unknown): EmailProviderEvent | string {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'not an object';
  const e = entry as Record<string, unknown>;
  const word = e.event;
  if (typeof word !== 'string' || word === '') return 'no event word';
  if (!isWord(word)) return `unknown event ${JSON.stringify(word.slice(0, 50))}`;
  const ts = e.timestamp;
  if (typeof ts !== 'number' || !Number.isFinite(ts) || ts <= 0) return 'no valid timestamp';
  const smtpId = str(e['smtp-id']);
  return {
    kind: sendgridEventKind(word, str(e.type)),
    providerEventId: str(e.sg_event_id),
    providerMessageId: str(e.sg_message_id),
    messageIdHeader: smtpId === null ? null : smtpId.trim().replace(/^<|>$/g, '') || null,
    hubMessageId: str(e.hub_message_id),
    attempt: attemptOf(e.hub_attempt),
    email: str(e.email),
    smtpStatus: str(e.status),
    reason: cut(str(e.reason) ?? str(e.response)),
    occurredAt: new Date(ts * 1000),
    raw: word,
  };
}

export function parseSendgridEvents(body: unknown): ParsedSendgridEvents {
  if (!Array.isArray(body)) return { events: [], rejected: [{ index: -1, reason: 'the body is not a JSON array' }] };
  const events: EmailProviderEvent[] = [];
  const rejected: { index: number; reason: string }[] = [];
  body.forEach((entry, index) => {
    const parsed = parseOne(entry);
    if (typeof parsed === 'string') rejected.push({ index, reason: parsed });
    else events.push(parsed);
  });
  return { events, rejected };
}

/**
 * The X-SMTPAPI header value SendGrid's SMTP relay turns into custom args on every event of
 * the message: `{"unique_args":{…}}`. Single-line 7-bit JSON (non-ASCII escaped as \\uXXXX,
 * control characters escaped by JSON), so it is a safe header value.
 */
export function sendgridUniqueArgsHeader(args: Readonly<Record<string, string>>): string {
  const clean: Record<string, string> = {};
  for (const [k, v] of Object.entries(args)) {
    if (typeof v !== 'string') throw new TypeError(`unique arg ${k} must be a string`);
    clean[k] = v;
  }
  return JSON.stringify({ unique_args: clean }).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
