import { randomBytes } from 'node:crypto';

export interface SandboxMessage {
  sid: string;
  accountSid: string;
  to: string;
  from: string;
  body: string;
  status: string;
  statusCallback: string | null;
  /** Our message id, read from the callback URL's `mid` query parameter. */
  messageId: string | null;
  messagingServiceSid: string | null;
  sendAt: string | null;
  errorCode: number | null;
  segments: number;
  dateCreated: Date;
  dateUpdated: Date;
}

export interface SentRecord {
  sid: string;
  to: string;
  from: string;
  body: string;
  statusCallback: string | null;
  messageId: string | null;
  scheduled: boolean;
  at: Date;
}

export const newSid = (prefix: string) => prefix + randomBytes(16).toString('hex');

/** Rough segment count for responses (the hub counts its own, precisely). */
export function roughSegments(body: string): number {
  const ucs2 = /[^\p{ASCII}€£¥èéùìòÇØøÅå]/u.test(body);
  const single = ucs2 ? 70 : 160;
  const multi = ucs2 ? 67 : 153;
  return body.length <= single ? 1 : Math.ceil(body.length / multi);
}

function rfc2822(d: Date): string {
  return d.toUTCString().replace('GMT', '+0000');
}

/** The JSON Twilio returns for a Message resource. */
export function messageJson(m: SandboxMessage) {
  return {
    sid: m.sid,
    account_sid: m.accountSid,
    to: m.to,
    from: m.from,
    body: m.body,
    status: m.status,
    num_segments: String(m.segments),
    num_media: '0',
    direction: 'outbound-api',
    api_version: '2010-04-01',
    price: null,
    price_unit: 'USD',
    error_code: m.errorCode,
    error_message: null,
    messaging_service_sid: m.messagingServiceSid,
    date_created: rfc2822(m.dateCreated),
    date_updated: rfc2822(m.dateUpdated),
    date_sent: m.status === 'scheduled' ? null : rfc2822(m.dateCreated),
    uri: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}.json`,
    subresource_uris: { media: `/2010-04-01/Accounts/${m.accountSid}/Messages/${m.sid}/Media.json` },
  };
}

export function twilioError(status: number, code: number | null, message: string) {
  return { code, message, more_info: code ? `https://www.twilio.com/docs/errors/${code}` : null, status };
}
