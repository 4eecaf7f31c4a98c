import { EmailProviderError } from './errors.ts';
import type { OutgoingEmail } from './port.ts';

/**
 * Refuses a malformed OutgoingEmail before anything is sent (invalid_message: our bug).
 * Header injection is impossible by construction: no field that ends up in a header may
 * hold a CR or LF.
 */

/** id-left "@" id-right (RFC 5322 msg-id), without the angle brackets. */
const MESSAGE_ID = /^[^\s<>@]+@[^\s<>@]+$/;
/** RFC 5322 field-name: printable US-ASCII except ':'. */
const FIELD_NAME = /^[!-9;-~]+$/;
const LINE_BREAK = /[\r\n]/;
/** Headers the adapter sets from OutgoingEmail's own fields (or the MIME structure): not overridable. */
const RESERVED = new Set(['message-id', 'from', 'to', 'cc', 'bcc', 'reply-to', 'subject', 'date', 'mime-version', 'content-type', 'content-transfer-encoding']);

export function invalidMessage(mail: OutgoingEmail): string | null {
  if (!MESSAGE_ID.test(mail.messageId ?? '')) return 'messageId must be id@host without <> or spaces';
  for (const field of ['from', 'to', 'subject'] as const) {
    const value = mail[field];
    if (typeof value !== 'string' || value.trim() === '') return `${field} is missing`;
    if (LINE_BREAK.test(value)) return `${field} contains a line break`;
  }
  if (mail.replyTo !== undefined && (mail.replyTo.trim() === '' || LINE_BREAK.test(mail.replyTo))) return 'replyTo is blank or contains a line break';
  if (typeof mail.html !== 'string' || mail.html === '') return 'html is missing';
  if (typeof mail.text !== 'string' || mail.text === '') return 'text is missing';
  for (const [name, value] of Object.entries(mail.headers ?? {})) {
    if (!FIELD_NAME.test(name)) return `header name ${JSON.stringify(name)} is not a field name`;
    if (RESERVED.has(name.toLowerCase())) return `header ${name} is set from the message's own fields`;
    if (typeof value !== 'string' || LINE_BREAK.test(value)) return `header ${name} is not a single-line string`;
  }
  return null;
}

/** Throws EmailProviderError('invalid_message') when the message is malformed. */
export function assertSendable(mail: OutgoingEmail): void {
  const problem = invalidMessage(mail);
  if (problem !== null) throw new EmailProviderError({ code: 'invalid_message', message: problem });
}
