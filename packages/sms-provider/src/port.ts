/** What the hub needs from an SMS provider. The Twilio adapter is the one production uses. */
export interface SendRequest {
  to: string;
  body: string;
  from?: string | undefined;
  messagingServiceSid?: string | undefined;
  statusCallback: string;
  /** Provider-native scheduling (needs a Messaging Service). */
  sendAt?: Date | undefined;
}

export interface ProviderMessage {
  sid: string;
  status: string;
  to: string;
  body: string;
  segments: number | null;
  errorCode: number | null;
  errorMessage: string | null;
  dateCreated: Date | null;
}

export interface SmsProvider {
  send(request: SendRequest): Promise<ProviderMessage>;
  fetch(sid: string): Promise<ProviderMessage>;
  cancel(sid: string): Promise<void>;
  /** A message we sent to `to` with exactly `body` since `since` (reconciling unknown outcomes). */
  findSent(query: { to: string; body: string; since: Date }): Promise<ProviderMessage | null>;
}

export interface PhoneVerifier {
  start(to: string): Promise<{ sid: string; status: string }>;
  check(to: string, code: string): Promise<{ status: string; valid: boolean }>;
}

export interface ProviderCall {
  op: 'send' | 'fetch' | 'cancel' | 'list' | 'verify_start' | 'verify_check';
  ms: number;
  ok: boolean;
  errorCode?: number | null | undefined;
  httpStatus?: number | null | undefined;
}
