import type { ProviderErrorCode, ProviderErrorKind } from './errors.ts';

/**
 * The SMS provider port: what the hub's sms-adapter and gateway need from a provider.
 * The Twilio adapter (twilio-provider.ts) is the one production uses; every adapter
 * passes the same contract suite (test/provider-contract.ts).
 */

/** Twilio's message statuses (the SDK's MessageStatus); a new one is a compile error in status.ts. */
export const MESSAGE_STATUSES = [
  'accepted', 'scheduled', 'canceled', 'queued', 'sending', 'sent', 'failed', 'delivered', 'undelivered',
  'receiving', 'received', 'read', 'partially_delivered',
] as const;
export type ProviderMessageStatus = (typeof MESSAGE_STATUSES)[number];

export interface SendRequest {
  /** E.164 destination. */
  to: string;
  body: string;
  /** Sender number; when absent the adapter's default (or the Messaging Service) is used. */
  from?: string | undefined;
  messagingServiceSid?: string | undefined;
  /** Where status callbacks go; carries our message id (`?mid=`) so callbacks can be matched. */
  statusCallback: string;
  /** Provider-native scheduling (Twilio: needs a Messaging Service, 5 min to 35 days ahead). */
  sendAt?: Date | undefined;
}

export interface ProviderMessage {
  sid: string;
  status: ProviderMessageStatus;
  to: string;
  from: string | null;
  body: string;
  /** As counted by the provider. */
  segments: number | null;
  errorCode: number | null;
  errorMessage: string | null;
  messagingServiceSid: string | null;
  /** Decimal string in `priceUnit`, negative for a charge (Twilio's form); null until priced. */
  price: string | null;
  priceUnit: string | null;
  dateCreated: Date | null;
  dateSent: Date | null;
  dateUpdated: Date | null;
}

/** What send() resolves with: the message as the provider accepted it. */
export type SendResult = ProviderMessage;

export interface SmsProvider {
  /** Rejects with a ProviderError. */
  send(request: SendRequest): Promise<SendResult>;
  fetch(sid: string): Promise<ProviderMessage>;
  /** Cancels a provider-scheduled message; ProviderError `not_cancelable` when it is past that. */
  cancel(sid: string): Promise<void>;
  /**
   * A message to `to` with exactly `body` created since `since`, whatever its status — still
   * queued included (reconciling unknown outcomes). `from` / `messagingServiceSid` narrow it
   * to one sender; the adapter's defaults apply when absent.
   */
  findSent(query: FindSentQuery): Promise<ProviderMessage | null>;
}

export interface FindSentQuery {
  to: string;
  body: string;
  since: Date;
  from?: string | undefined;
  messagingServiceSid?: string | undefined;
}

export const VERIFICATION_STATUSES = ['pending', 'approved', 'canceled', 'max_attempts_reached', 'deleted', 'failed', 'expired'] as const;
export type VerificationStatus = (typeof VERIFICATION_STATUSES)[number];

export interface PhoneVerifier {
  /** Sends a code to `to` (SMS). A second start while pending resends the same verification. */
  start(to: string): Promise<{ sid: string; status: VerificationStatus }>;
  /** `valid` is the answer; a wrong code is `{ status: 'pending', valid: false }`, not an error. */
  check(to: string, code: string): Promise<{ status: VerificationStatus; valid: boolean }>;
}

export const PROVIDER_OPS = ['send', 'fetch', 'cancel', 'list', 'verify_start', 'verify_check', 'balance', 'sender_lookup'] as const;
export type ProviderOp = (typeof PROVIDER_OPS)[number];

/** One provider call, reported to the optional onCall hook (metrics: latency, errors). */
export interface ProviderCall {
  op: ProviderOp;
  /** Wall time of the call, in ms. */
  ms: number;
  ok: boolean;
  /** Closed code of the failure (bounded: fit for a metric label); null when ok. */
  errorCode: ProviderErrorCode | null;
  kind: ProviderErrorKind | null;
  /** Twilio's numeric code, when it gave one. */
  twilioCode: number | null;
  httpStatus: number | null;
}
