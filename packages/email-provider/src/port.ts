import type { EmailErrorCode } from './errors.ts';

/**
 * The email provider port: what the hub's email channel needs from an outgoing mail relay.
 * The SMTP adapter (smtp-provider.ts) is the one production uses; the in-memory fake
 * (memory-provider.ts) is for callers' unit tests; both pass test/provider-contract.ts.
 */

export interface OutgoingEmail {
  /** Our Message-ID without the angle brackets, e.g. '3f2…-1@hub.local'; sent as the Message-ID header. */
  messageId: string;
  /** Header From (may carry a display name: 'Hub <noreply@hub.local>'); also the envelope sender's address. */
  from: string;
  /** One recipient address; also the envelope recipient. */
  to: string;
  replyTo?: string | undefined;
  subject: string;
  html: string;
  text: string;
  /** Extra headers: List-Unsubscribe, List-Unsubscribe-Post, X-SMTPAPI, X-Hub-Message-Id … */
  headers: Record<string, string>;
}

export interface EmailSendResult {
  /** The Message-ID we sent (without <>). */
  messageId: string;
  /** The relay's queue id, parsed from its final 250 reply; null when the reply names none. */
  queueId: string | null;
  /** The relay's final reply, e.g. '250 2.0.0 Ok: queued as 4Z1abc'. */
  response: string;
}

export interface EmailProvider {
  /** Hands one message to the relay. Rejects with an EmailProviderError. */
  send(mail: OutgoingEmail): Promise<EmailSendResult>;
  /** Connects (and authenticates) once: a boot / readiness check. Rejects with an EmailProviderError. */
  verify(): Promise<void>;
  /** Closes pooled connections; messages still queued in the pool fail. */
  close(): Promise<void>;
}

export const EMAIL_PROVIDER_OPS = ['send', 'verify'] as const;
export type EmailProviderOp = (typeof EMAIL_PROVIDER_OPS)[number];

/** One provider call, reported to the optional onCall hook (metrics: latency, errors). */
export interface EmailProviderCall {
  op: EmailProviderOp;
  /** Wall time of the call in ms, pool queueing included. */
  ms: number;
  ok: boolean;
  /** Closed code of the failure (bounded: fit for a metric label); absent when ok. */
  errorCode?: EmailErrorCode;
}

export interface EmailProviderHooks {
  /** Called after every call. Exceptions thrown by the hook are ignored. */
  onCall?(call: EmailProviderCall): void;
}
