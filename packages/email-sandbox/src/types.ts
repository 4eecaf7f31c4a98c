/** What a recipient's fault does; see faults.ts for when each one applies. */
export const FAULTS = [
  'temp_fail_rcpt', // 450 4.2.0 at RCPT
  'perm_fail_rcpt', // 550 5.1.1 user unknown at RCPT
  'temp_fail_data', // 451 4.3.0 after the message
  'perm_fail_data', // 554 5.7.1 after the message
  'drop_after_data', // message received and stored, connection destroyed before the 250
  'drop_before_data', // connection destroyed at DATA, nothing stored
  'slow_data', // accepted, but the 250 comes after slowDataMs (10 s)
  'hard_bounce_later', // accepted, then a 'bounce' event (type bounce, 5.1.1) instead of delivered
  'soft_bounce_later', // accepted, then a 'bounce' event with type 'blocked' (4.x)
  'complaint_later', // accepted, delivered, then 'spamreport'
] as const;
export type Fault = (typeof FAULTS)[number];

/** The SendGrid Event Webhook kinds the sandbox can post. */
export const EVENT_KINDS = ['processed', 'delivered', 'deferred', 'bounce', 'blocked', 'dropped', 'spamreport', 'open', 'click', 'unsubscribe'] as const;
export type SandboxEventKind = (typeof EVENT_KINDS)[number];

export const isFault = (value: unknown): value is Fault => typeof value === 'string' && (FAULTS as readonly string[]).includes(value);
export const isEventKind = (value: unknown): value is SandboxEventKind => typeof value === 'string' && (EVENT_KINDS as readonly string[]).includes(value);

export interface StoredMail {
  /** 12 upper-case hex characters, as in the `250 2.0.0 Ok: queued as <queueId>` reply. */
  queueId: string;
  /** The Message-ID header without angle brackets (generated when the mail had none). */
  messageId: string;
  envelopeFrom: string;
  /** The RCPT TO addresses accepted. */
  envelopeTo: string[];
  /** The From header's address (empty when none). */
  from: string;
  /** The addresses of the To header. */
  to: string[];
  subject: string;
  html: string | null;
  text: string | null;
  /** Header values by lower-case name, unfolded, RFC 2047 words decoded; repeated headers joined by '\n'. */
  headers: Record<string, string>;
  /** Bytes of the message as received. */
  size: number;
  /** ISO 8601. */
  receivedAt: string;
  /** Event kinds emitted for it, in order (recorded when emitted, whether or not a webhook took them). */
  events: string[];
}

export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${String(value)}`);
}
