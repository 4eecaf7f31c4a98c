/**
 * The relay's queue id, read from its final reply to the message (info.response), so a
 * delivery can be matched with the relay's logs and events. Known forms:
 *
 * - Postfix, SendGrid: `250 2.0.0 Ok: queued as 4Z1abc2XYZ`
 * - Exim: `250 OK id=1abcDE-000123-Xy`
 * - Amazon SES: `250 Ok 0100018b5c3c0a4f-…-000000` (SES's message id)
 * - a bare id in angle brackets: `250 2.0.0 OK <id>` (the brackets dropped)
 *
 * Anything else (Mailgun's `250 Great success`, a plain `250 OK`) has none: null.
 */
const QUEUED_AS = /\bqueued as ([A-Za-z0-9][A-Za-z0-9._-]*)/i;
const EXIM_ID = /\bid=([A-Za-z0-9][A-Za-z0-9-]*)/;
const SES_ID = /^250[ -]Ok ([0-9a-f]+(?:-[0-9a-f]+)+)\s*$/i;
const BRACKETED = /^250[ -](?:2\.\d{1,3}\.\d{1,3} )?OK <([^<>\s]+)>/i;

export function parseQueueId(response: string | null | undefined): string | null {
  if (typeof response !== 'string') return null;
  const reply = response.trim();
  if (!/^2\d\d/.test(reply)) return null;
  for (const pattern of [QUEUED_AS, EXIM_ID, SES_ID, BRACKETED]) {
    const m = pattern.exec(reply);
    if (m?.[1]) return m[1];
  }
  return null;
}
