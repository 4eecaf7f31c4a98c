import { randomBytes } from 'node:crypto';
import { simpleParser, type AddressObject } from 'mailparser';
import { headerRecord } from './headers.ts';
import type { StoredMail } from './types.ts';

/** 12 upper-case hex characters. */
export const newQueueId = (): string => randomBytes(6).toString('hex').toUpperCase();

/** "<a@b>" → "a@b" (angle brackets optional on input). */
export const bareMessageId = (id: string): string => id.trim().replace(/^<(.*)>$/, '$1');

function addresses(field: AddressObject | AddressObject[] | undefined): string[] {
  const out: string[] = [];
  const walk = (list: AddressObject['value']) => {
    for (const a of list) {
      if (a.address) out.push(a.address);
      if (a.group) walk(a.group);
    }
  };
  for (const obj of field === undefined ? [] : Array.isArray(field) ? field : [field]) walk(obj.value);
  return out;
}

export interface Envelope {
  from: string;
  to: string[];
}

/** Parses a received message into what the store keeps (no event yet). */
export async function parseMail(raw: Buffer, envelope: Envelope, queueId: string, receivedAt: Date): Promise<StoredMail> {
  const parsed = await simpleParser(raw, { skipImageLinks: true, skipTextToHtml: true });
  const headers = headerRecord(parsed.headerLines);
  const messageId = headers['message-id'] ? bareMessageId(headers['message-id']) : `${queueId}@email-sandbox.invalid`;
  return {
    queueId,
    messageId,
    envelopeFrom: envelope.from,
    envelopeTo: [...envelope.to],
    from: addresses(parsed.from)[0] ?? '',
    to: addresses(parsed.to),
    subject: parsed.subject ?? '',
    html: typeof parsed.html === 'string' ? parsed.html : null,
    text: parsed.text ?? null,
    headers,
    size: raw.length,
    receivedAt: receivedAt.toISOString(),
    events: [],
  };
}

export interface SmtpApi {
  /** `unique_args`: merged into every event as top-level keys. */
  uniqueArgs: Record<string, unknown>;
  /** `category` (a string or a list), echoed in every event as SendGrid does. */
  category: string | string[] | null;
}

/** The parts of the X-SMTPAPI header the events use; an absent or invalid header gives none. */
export function smtpApi(headers: Record<string, string>): SmtpApi {
  const none: SmtpApi = { uniqueArgs: {}, category: null };
  const raw = headers['x-smtpapi'];
  if (!raw) return none;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return none;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return none;
  const { unique_args: args, category } = value as { unique_args?: unknown; category?: unknown };
  const uniqueArgs = typeof args === 'object' && args !== null && !Array.isArray(args) ? (args as Record<string, unknown>) : {};
  const okCategory = typeof category === 'string' || (Array.isArray(category) && category.every((c) => typeof c === 'string'));
  return { uniqueArgs, category: okCategory ? (category as string | string[]) : null };
}
