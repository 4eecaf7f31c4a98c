import http from 'node:http';
import https from 'node:https';
import twilio from 'twilio';
import { toProviderError } from './errors.ts';
import type { PhoneVerifier, ProviderCall, ProviderMessage, SendRequest, SmsProvider } from './port.ts';

export interface TwilioProviderOptions {
  accountSid: string;
  authToken: string;
  /** When set, every Twilio host (api, verify…) is replaced by this base URL (the sandbox). */
  baseUrl?: string | undefined;
  from?: string | undefined;
  messagingServiceSid?: string | undefined;
  verifyServiceSid?: string | undefined;
  timeoutMs?: number;
  maxSockets?: number;
  onCall?: (call: ProviderCall) => void;
}

type RequestOptions = Parameters<InstanceType<typeof twilio.RequestClient>['request']>[0];

/**
 * The SDK has no base-URL option; its documented extension point is a custom httpClient.
 * This one rewrites scheme and host of every request and hands it to the SDK's own
 * RequestClient, so requests are still built, authenticated and parsed by the SDK.
 */
class RedirectingClient extends twilio.RequestClient {
  constructor(private readonly base: URL, opts: ConstructorParameters<typeof twilio.RequestClient>[0]) {
    super(opts);
  }
  override request<TData>(opts: RequestOptions & { data?: TData }) {
    const target = new URL(opts.uri);
    target.protocol = this.base.protocol;
    target.host = this.base.host;
    target.pathname = this.base.pathname.replace(/\/$/, '') + target.pathname;
    return super.request({ ...opts, uri: target.toString() });
  }
}

function toMessage(m: { sid: string; status: string; to: string; body: string; numSegments?: string | null; errorCode?: number | null; errorMessage?: string | null; dateCreated?: Date | null }): ProviderMessage {
  return {
    sid: m.sid,
    status: m.status,
    to: m.to,
    body: m.body,
    segments: m.numSegments ? Number(m.numSegments) : null,
    errorCode: m.errorCode ?? null,
    errorMessage: m.errorMessage ?? null,
    dateCreated: m.dateCreated ?? null,
  };
}

export function createTwilioProvider(options: TwilioProviderOptions): SmsProvider & PhoneVerifier {
  const timeout = options.timeoutMs ?? 10_000;
  const maxSockets = options.maxSockets ?? 64;
  const clientOpts = { timeout, keepAlive: true, maxSockets, autoRetry: false };
  const httpClient = options.baseUrl ? new RedirectingClient(new URL(options.baseUrl), clientOpts) : new twilio.RequestClient(clientOpts);
  // Against a plain-http target the SDK would use the unbounded global agent: bound it.
  httpClient.axios.defaults.httpAgent = new http.Agent({ keepAlive: true, maxSockets });
  httpClient.axios.defaults.httpsAgent ??= new https.Agent({ keepAlive: true, maxSockets });
  const client = twilio(options.accountSid, options.authToken, { httpClient });

  const timed = async <T>(op: ProviderCall['op'], fn: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const result = await fn();
      options.onCall?.({ op, ms: performance.now() - started, ok: true });
      return result;
    } catch (err) {
      const pe = toProviderError(err);
      options.onCall?.({ op, ms: performance.now() - started, ok: false, errorCode: pe.twilioCode, httpStatus: pe.httpStatus });
      throw pe;
    }
  };

  return {
    send: (req: SendRequest) =>
      timed('send', async () => {
        const messagingServiceSid = req.messagingServiceSid ?? options.messagingServiceSid;
        const from = req.from ?? options.from;
        const m = await client.messages.create({
          to: req.to,
          body: req.body,
          statusCallback: req.statusCallback,
          ...(messagingServiceSid ? { messagingServiceSid } : { from: from! }),
          ...(req.sendAt ? { sendAt: req.sendAt, scheduleType: 'fixed' as const } : {}),
        });
        return toMessage(m);
      }),
    fetch: (sid) => timed('fetch', async () => toMessage(await client.messages(sid).fetch())),
    cancel: (sid) => timed('cancel', async () => { await client.messages(sid).update({ status: 'canceled' }); }),
    findSent: (q) =>
      timed('list', async () => {
        const list = await client.messages.list({ to: q.to, dateSentAfter: q.since, limit: 50 });
        const match = list.find((m) => m.body === q.body);
        return match ? toMessage(match) : null;
      }),
    start: (to) =>
      timed('verify_start', async () => {
        const v = await client.verify.v2.services(options.verifyServiceSid!).verifications.create({ to, channel: 'sms' });
        return { sid: v.sid, status: v.status };
      }),
    check: (to, code) =>
      timed('verify_check', async () => {
        const v = await client.verify.v2.services(options.verifyServiceSid!).verificationChecks.create({ to, code });
        return { status: v.status, valid: v.valid };
      }),
  };
}
