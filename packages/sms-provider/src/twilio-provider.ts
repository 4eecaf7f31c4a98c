import twilio from 'twilio';
import type { MessageListInstanceCreateOptions } from 'twilio/lib/rest/api/v2010/account/message.js';
import { toProviderError } from './classify.ts';
import { ProviderError } from './errors.ts';
import { createRequestClient } from './http-client.ts';
import type { PhoneVerifier, ProviderCall, ProviderMessage, ProviderOp, SendRequest, SmsProvider, VerificationStatus } from './port.ts';
import { toProviderMessage, verificationStatus } from './status.ts';

export interface TwilioProviderOptions {
  accountSid: string;
  authToken: string;
  /** When set, every Twilio host (api, verify…) is replaced by this base URL (the sandbox). */
  baseUrl?: string | undefined;
  /** Default sender when a request names none and no Messaging Service is used. */
  from?: string | undefined;
  /** Default Messaging Service (needed for Twilio-native scheduling). */
  messagingServiceSid?: string | undefined;
  verifyServiceSid?: string | undefined;
  /** Per-request timeout (default 10 000 ms). A timeout is a ProviderError `timeout`. */
  timeoutMs?: number | undefined;
  /** Sockets per Twilio host (default 64). */
  maxSockets?: number | undefined;
  /** Called after every provider call (metrics). Exceptions thrown by the hook are ignored. */
  onCall?: ((call: ProviderCall) => void) | undefined;
}

export interface TwilioProvider extends SmsProvider, PhoneVerifier {
  /** Closes the pooled sockets. */
  close(): void;
}

/** How many of the newest messages to a number findSent looks through (one page). */
export const FIND_SENT_PAGE = 50;

/** The SmsProvider and PhoneVerifier ports on the official Twilio SDK. */
/**
 * The SDK client every Twilio adapter of this package uses: the official SDK on bounded
 * keep-alive sockets (createRequestClient), redirected to `baseUrl` when set, no auto-retry.
 */
export function createTwilioClient(options: Pick<TwilioProviderOptions, 'accountSid' | 'authToken' | 'baseUrl' | 'timeoutMs' | 'maxSockets'>, defaults: { maxSockets: number }): { client: twilio.Twilio; close(): void } {
  const { client: httpClient, close } = createRequestClient({
    baseUrl: options.baseUrl,
    timeoutMs: options.timeoutMs ?? 10_000,
    maxSockets: options.maxSockets ?? defaults.maxSockets,
  });
  return { client: twilio(options.accountSid, options.authToken, { httpClient, autoRetry: false }), close };
}

/** Wraps a provider call: errors become ProviderErrors, and each call is reported to `onCall` (whose exceptions are ignored). */
export function callTimer(onCall: ((call: ProviderCall) => void) | undefined) {
  const report = (call: ProviderCall) => {
    try {
      onCall?.(call);
    } catch {
      // a metrics hook must not change the outcome of a call
    }
  };
  return async <T>(op: ProviderOp, fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const result = await fn();
      report({ op, ms: performance.now() - started, ok: true, errorCode: null, kind: null, twilioCode: null, httpStatus: null });
      return result;
    } catch (err) {
      const e = toProviderError(err);
      report({ op, ms: performance.now() - started, ok: false, errorCode: e.code, kind: e.kind, twilioCode: e.twilioCode, httpStatus: e.httpStatus });
      throw e;
    }
  };
}

export function createTwilioProvider(options: TwilioProviderOptions): TwilioProvider {
  const { client, close } = createTwilioClient(options, { maxSockets: 64 });
  const timed = callTimer(options.onCall);

  const verifyService = () => {
    if (!options.verifyServiceSid) throw new ProviderError({ code: 'invalid_parameter', message: 'verifyServiceSid is not configured' });
    return client.verify.v2.services(options.verifyServiceSid);
  };

  return {
    send: (req: SendRequest) =>
      timed('send', async () => {
        const messagingServiceSid = req.messagingServiceSid ?? options.messagingServiceSid;
        const from = req.from ?? (messagingServiceSid ? undefined : options.from);
        if (!from && !messagingServiceSid) throw new ProviderError({ code: 'missing_parameter', message: 'no From number and no Messaging Service configured' });
        const params: MessageListInstanceCreateOptions = { to: req.to, body: req.body, statusCallback: req.statusCallback };
        if (from) params.from = from;
        if (messagingServiceSid) params.messagingServiceSid = messagingServiceSid;
        if (req.sendAt) {
          params.sendAt = req.sendAt;
          params.scheduleType = 'fixed';
        }
        return toProviderMessage(await client.messages.create(params));
      }),

    fetch: (sid: string) => timed('fetch', async (): Promise<ProviderMessage> => toProviderMessage(await client.messages(sid).fetch())),

    cancel: (sid: string) =>
      timed('cancel', async () => {
        await client.messages(sid).update({ status: 'canceled' });
      }),

    findSent: (q) =>
      timed('list', async () => {
        // No DateSent filter: Twilio matches it against date_sent only, which a message still
        // queued (or accepted, or scheduled) does not have yet — the very message a send of
        // unknown outcome may have created. Instead: the newest FIND_SENT_PAGE messages to this
        // number (Twilio lists newest first), matched here by body, sender and date_created.
        const messagingServiceSid = q.messagingServiceSid ?? options.messagingServiceSid;
        const from = q.from ?? (messagingServiceSid ? undefined : options.from);
        const list = await client.messages.list({ to: q.to, ...(from ? { from } : {}), limit: FIND_SENT_PAGE, pageSize: FIND_SENT_PAGE });
        const since = q.since.getTime();
        const match = list.find((m) =>
          m.body === q.body
          && (!messagingServiceSid || m.messagingServiceSid === messagingServiceSid)
          && m.dateCreated instanceof Date && m.dateCreated.getTime() >= since);
        return match ? toProviderMessage(match) : null;
      }),

    start: (to: string) =>
      timed('verify_start', async (): Promise<{ sid: string; status: VerificationStatus }> => {
        const v = await verifyService().verifications.create({ to, channel: 'sms' });
        return { sid: v.sid, status: verificationStatus(v.status) };
      }),

    check: (to: string, code: string) =>
      timed('verify_check', async (): Promise<{ status: VerificationStatus; valid: boolean }> => {
        const v = await verifyService().verificationChecks.create({ to, code });
        return { status: verificationStatus(v.status), valid: v.valid === true };
      }),

    close,
  };
}

/** The TWILIO_* settings every service reads (see twilioEnv in @hub/config). */
export interface TwilioEnvSettings {
  TWILIO_ACCOUNT_SID?: string | undefined;
  TWILIO_AUTH_TOKEN?: string | undefined;
  TWILIO_BASE_URL?: string | undefined;
  TWILIO_FROM_NUMBER?: string | undefined;
  TWILIO_MESSAGING_SERVICE_SID?: string | undefined;
  TWILIO_VERIFY_SERVICE_SID?: string | undefined;
  TWILIO_TIMEOUT_MS?: number | undefined;
}

/** A provider from the TWILIO_* settings, or undefined when no credentials are configured. */
export function twilioProviderFromEnv(env: TwilioEnvSettings, extra: Pick<TwilioProviderOptions, 'onCall' | 'maxSockets'> = {}): TwilioProvider | undefined {
  if (!env.TWILIO_ACCOUNT_SID || !env.TWILIO_AUTH_TOKEN) return undefined;
  return createTwilioProvider({
    accountSid: env.TWILIO_ACCOUNT_SID,
    authToken: env.TWILIO_AUTH_TOKEN,
    baseUrl: env.TWILIO_BASE_URL,
    from: env.TWILIO_FROM_NUMBER,
    messagingServiceSid: env.TWILIO_MESSAGING_SERVICE_SID,
    verifyServiceSid: env.TWILIO_VERIFY_SERVICE_SID,
    timeoutMs: env.TWILIO_TIMEOUT_MS,
    ...extra,
  });
}
