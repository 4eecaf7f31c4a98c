/**
 * Reading an SMTP reply line: its three-digit code and its RFC 3463 enhanced status
 * ('550 5.1.1 <x@y>: Recipient address rejected' → 550, '5.1.1'). Multi-line replies carry
 * the code on every line; the first line is read.
 */
export interface SmtpReply {
  code: number;
  /** class.subject.detail, e.g. '4.7.1'; null when the reply has none. */
  enhanced: string | null;
}

const REPLY = /^([2-5]\d\d)(?:[ -]+([245]\.\d{1,3}\.\d{1,3})(?!\S))?/;

export function parseSmtpReply(response: string | null | undefined): SmtpReply | null {
  if (typeof response !== 'string') return null;
  const m = REPLY.exec(response.trimStart());
  if (!m) return null;
  return { code: Number(m[1]), enhanced: m[2] ?? null };
}

/**
 * A throttling reply: 421 (service closing the channel — what relays answer to too many
 * connections or messages), or any 4xx whose enhanced status is 4.7.x (policy: rate limits,
 * greylisting — Microsoft 451 4.7.500, Yahoo 421 4.7.0, SES 454 4.7.0 throttling) or 4.2.1
 * (Gmail 450 4.2.1: the mailbox receives mail at too high a rate).
 */
export function isThrottlingReply(reply: SmtpReply): boolean {
  if (reply.code === 421) return true;
  if (reply.code < 400 || reply.code >= 500 || reply.enhanced === null) return false;
  return reply.enhanced.startsWith('4.7.') || reply.enhanced === '4.2.1';
}
