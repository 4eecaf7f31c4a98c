/**
 * The hub's Message-ID for attempt n of an email message: `<message id>.<n>@<domain>`
 * (RFC 5322 msg-id, angle brackets added by the transport). The provider's events quote it
 * (SendGrid's `smtp-id`), which is how an event finds its message and attempt.
 */
export function hubMessageIdHeader(messageId: string, attempt: number, domain: string): string {
  return `${messageId}.${attempt}@${domain}`;
}

const OURS = /^<?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.(\d{1,4})@[^>\s]+>?$/i;

/** The message id and attempt in one of our Message-IDs, or null for anyone else's. */
export function parseHubMessageId(header: string): { messageId: string; attempt: number } | null {
  const m = OURS.exec(header.trim());
  return m ? { messageId: m[1]!.toLowerCase(), attempt: Number(m[2]) } : null;
}
