import { randomBytes } from 'node:crypto';
import { DELIVERY_ERROR_MESSAGES } from './numbers.ts';

/** The statuses a sandbox message goes through (a subset of Twilio's MessageStatus). */
export type SandboxStatus = 'accepted' | 'scheduled' | 'canceled' | 'queued' | 'sending' | 'sent' | 'delivered' | 'undelivered' | 'failed';

export interface SandboxMessage {
  sid: string;
  accountSid: string;
  to: string;
  /** The sender; null for a Messaging Service send until the service picks one. */
  from: string | null;
  body: string;
  numMedia: number;
  status: SandboxStatus;
  statusCallback: string | null;
  /** Our message id, read from the callback URL's `mid` query parameter. */
  messageId: string | null;
  messagingServiceSid: string | null;
  sendAt: Date | null;
  errorCode: number | null;
  segments: number;
  dateCreated: Date;
  dateUpdated: Date;
  dateSent: Date | null;
}

/** One accepted send (POST Messages.json answered 201), in order of acceptance. */
export interface SentRecord {
  sid: string;
  to: string;
  from: string | null;
  body: string;
  messagingServiceSid: string | null;
  statusCallback: string | null;
  messageId: string | null;
  scheduled: boolean;
  sendAt: Date | null;
  at: Date;
}
export type SentMessage = SentRecord;

export interface VerificationRecord {
  sid: string;
  serviceSid: string;
  to: string;
  channel: string;
  status: 'pending' | 'approved' | 'canceled' | 'max_attempts_reached' | 'expired';
  sendAttempts: number;
  checkAttempts: number;
  dateCreated: Date;
  dateUpdated: Date;
}

/** One accepted Verify start (a new verification or a resend to a pending one). */
export interface VerifyStartRecord {
  sid: string;
  serviceSid: string;
  to: string;
  channel: string;
  at: Date;
}

export const newSid = (prefix: string): string => prefix + randomBytes(16).toString('hex');

/** Rough segment count for responses (the hub counts its own, precisely). */
export function roughSegments(body: string): number {
  if (body.length === 0) return 1;
  const ucs2 = /[^\x20-\x7e\n\r€£¥èéùìòÇØøÅåÄÖÑÜ§¿äöñüà]/u.test(body);
  const single = ucs2 ? 70 : 160;
  const multi = ucs2 ? 67 : 153;
  return body.length <= single ? 1 : Math.ceil(body.length / multi);
}

/** Twilio's date format in JSON: RFC 2822 with +0000. */
export const rfc2822 = (d: Date): string => d.toUTCString().replace('GMT', '+0000');

const PRICE_PER_SEGMENT = 0.0079;

/** The JSON Twilio returns for a Message resource. */
export function messageJson(m: SandboxMessage) {
  const priced = m.dateSent !== null && m.status !== 'failed';
  return {
    account_sid: m.accountSid,
    api_version: '2010-04-01',
    body: m.body,
    date_created: rfc2822(m.dateCreated),
    date_sent: m.dateSent ? rfc2822(m.dateSent) : null,
    date_updated: rfc2822(m.dateUpdated),
    direction: 'outbound-api',
    error_code: m.errorCode,
    error_message: m.errorCode === null ? null : (DELIVERY_ERROR_MESSAGES[m.errorCode] ?? 'Message delivery failed'),
    from: m.from,
    messaging_service_sid: m.messagingServiceSid,
    num_media: String(m.numMedia),
    num_segments: String(m.segments),
    price: priced ? (-PRICE_PER_SEGMENT * m.segments).toFixed(5) : null,
    price_unit: 'USD',
    sid: m.sid,
    status: m.status,
    subresource_uris: { media: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}/Media.json` },
    to: m.to,
    uri: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`,
  };
}

export function verificationJson(v: VerificationRecord, accountSid: string, valid: boolean) {
  return {
    sid: v.sid,
    service_sid: v.serviceSid,
    account_sid: accountSid,
    to: v.to,
    channel: v.channel,
    status: v.status,
    valid,
    lookup: {},
    amount: null,
    payee: null,
    send_code_attempts: [],
    sna: null,
    date_created: v.dateCreated.toISOString(),
    date_updated: v.dateUpdated.toISOString(),
    url: `https://verify.twilio.com/v2/Services/${v.serviceSid}/Verifications/${v.sid}`,
  };
}

/** Messages by sid and by destination (the list endpoint filters by To without a scan). */
export class MessageStore {
  private readonly bySid = new Map<string, SandboxMessage>();
  private readonly byTo = new Map<string, SandboxMessage[]>();
  readonly sent: SentRecord[] = [];

  add(m: SandboxMessage): void {
    this.bySid.set(m.sid, m);
    const list = this.byTo.get(m.to);
    if (list) list.push(m);
    else this.byTo.set(m.to, [m]);
    this.sent.push({
      sid: m.sid, to: m.to, from: m.from, body: m.body, messagingServiceSid: m.messagingServiceSid,
      statusCallback: m.statusCallback, messageId: m.messageId, scheduled: m.sendAt !== null, sendAt: m.sendAt, at: m.dateCreated,
    });
  }

  get(sid: string): SandboxMessage | undefined {
    return this.bySid.get(sid);
  }

  /** Oldest first. */
  all(to?: string): readonly SandboxMessage[] {
    if (to !== undefined) return this.byTo.get(to) ?? [];
    return [...this.bySid.values()];
  }

  get size(): number {
    return this.bySid.size;
  }

  clear(): void {
    this.bySid.clear();
    this.byTo.clear();
    this.sent.length = 0;
  }
}
