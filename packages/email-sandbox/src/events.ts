import { randomBytes } from 'node:crypto';
import { smtpApi } from './parse.ts';
import { assertNever, type SandboxEventKind, type StoredMail } from './types.ts';

/** One object of a SendGrid Event Webhook POST (a JSON array of these). */
export type SendGridEvent = Record<string, unknown> & {
  email: string;
  timestamp: number;
  event: string;
  sg_event_id: string;
  sg_message_id: string;
  'smtp-id': string;
};

/** Fields SendGrid adds for each kind (what a receiver reads: type, status, reason…). */
export function kindFields(kind: SandboxEventKind): Record<string, unknown> {
  switch (kind) {
    case 'processed':
    case 'spamreport':
    case 'unsubscribe':
      return {};
    case 'delivered':
      return { response: '250 2.0.0 OK: message accepted by the recipient server', tls: 1 };
    case 'deferred':
      return { response: '451 4.3.0 Temporary failure, try again later', attempt: '1' };
    case 'bounce':
      return {
        type: 'bounce',
        status: '5.1.1',
        reason: "550 5.1.1 The email account that you tried to reach does not exist.",
        bounce_classification: 'Invalid Address',
      };
    case 'blocked':
      return {
        type: 'blocked',
        status: '4.7.1',
        reason: '450 4.7.1 Client host rejected: temporarily deferred due to IP reputation',
        bounce_classification: 'Reputation',
      };
    case 'dropped':
      return { reason: 'Bounced Address', status: '5.0.0' };
    case 'open':
      return { useragent: 'Mozilla/5.0 (email-sandbox)', ip: '127.0.0.1', sg_machine_open: false };
    case 'click':
      return { useragent: 'Mozilla/5.0 (email-sandbox)', ip: '127.0.0.1', url: 'https://example.com/', url_offset: { index: 0, type: 'html' } };
    default:
      return assertNever(kind);
  }
}

/** `<queueId>.filter0001.<n>.0`: starts with the queue id, distinct per recipient. */
export const sgMessageId = (mail: StoredMail, recipient: string): string =>
  `${mail.queueId}.filter0001.${Math.max(0, mail.envelopeTo.indexOf(recipient))}.0`;

/**
 * One event for one recipient of a stored message. Precedence: the message's unique_args,
 * then the standard fields (SendGrid never lets a custom arg replace them), then `extra`.
 */
export function buildEvent(mail: StoredMail, kind: SandboxEventKind, recipient: string, extra: Record<string, unknown> = {}, now = new Date()): SendGridEvent {
  const { uniqueArgs, category } = smtpApi(mail.headers);
  return {
    ...uniqueArgs,
    email: recipient,
    timestamp: Math.floor(now.getTime() / 1000),
    event: kind,
    sg_event_id: randomBytes(16).toString('base64url'),
    sg_message_id: sgMessageId(mail, recipient),
    'smtp-id': `<${mail.messageId}>`,
    ...(category === null ? {} : { category }),
    ...kindFields(kind),
    ...extra,
  } as SendGridEvent;
}
