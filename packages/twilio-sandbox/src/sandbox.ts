import Fastify, { type FastifyReply, type FastifyRequest } from 'fastify';
import formbody from '@fastify/formbody';
import { CallbackSender } from './callbacks.ts';
import { FROM_ERRORS, TO_ERRORS, VALID_TEST_FROM } from './numbers.ts';
import { DEFAULT_FAULTS, DEFAULT_SCENARIO, type ApiFaults, type Scenario } from './scenario.ts';
import { messageJson, newSid, roughSegments, twilioError, type SandboxMessage, type SentRecord } from './store.ts';

export interface SandboxOptions {
  port?: number;
  host?: string;
  accountSid?: string;
  authToken?: string;
  /** From numbers accepted besides Twilio's test number +15005550006. */
  fromNumbers?: string[];
  /** The code Verify accepts (default 123456). */
  verifyCode?: string;
  logger?: boolean;
}

export interface TwilioSandbox {
  readonly url: string;
  readonly accountSid: string;
  readonly authToken: string;
  start(): Promise<void>;
  close(): Promise<void>;
  /** Every message accepted, in order. */
  sends(): SentRecord[];
  messages(): SandboxMessage[];
  verifications(): { to: string; sid: string; status: string }[];
  /** Scenario for one destination, or '*' for the default. */
  setScenario(to: string, scenario: Partial<Scenario>): void;
  setFaults(faults: Partial<ApiFaults>): void;
  /** Posts a signed callback by hand (e.g. a late duplicate). */
  postCallback(sid: string, status: string, errorCode?: number | null): Promise<boolean>;
  /** Waits until every scheduled callback has been posted. */
  drain(): Promise<void>;
  reset(): void;
}

type Form = Record<string, string | string[] | undefined>;
const one = (v: string | string[] | undefined) => (Array.isArray(v) ? v[0] : v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function createTwilioSandbox(options: SandboxOptions = {}): TwilioSandbox {
  const accountSid = options.accountSid ?? 'ACsandbox00000000000000000000000000';
  const authToken = options.authToken ?? 'sandbox-auth-token';
  const verifyCode = options.verifyCode ?? '123456';
  const fromNumbers = new Set([VALID_TEST_FROM, ...(options.fromNumbers ?? [])]);
  const messages = new Map<string, SandboxMessage>();
  const sent: SentRecord[] = [];
  const verifications = new Map<string, { to: string; sid: string; status: string }>();
  const scenarios = new Map<string, Scenario>();
  let faults: ApiFaults = { ...DEFAULT_FAULTS };
  let windowStart = 0;
  let windowCount = 0;
  const callbacks = new CallbackSender(authToken);
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: 64 * 1024 });
  let url = '';

  const scenarioFor = (to: string): Scenario => ({ ...DEFAULT_SCENARIO, ...scenarios.get('*'), ...scenarios.get(to) });

  const fail = (reply: FastifyReply, status: number, code: number | null, message: string) => reply.code(status).send(twilioError(status, code, message));

  // Basic auth, artificial latency and forced faults apply to every API route.
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (request.url.startsWith('/__sandbox')) return;
    if (faults.latencyMs > 0) await sleep(faults.latencyMs);
    const header = request.headers.authorization ?? '';
    const [user, pass] = Buffer.from(header.replace(/^Basic /, ''), 'base64').toString().split(':');
    if (user !== accountSid || pass !== authToken) return fail(reply, 401, 20003, 'Authenticate');
    if (faults.failNext && faults.failNext.count > 0) {
      faults.failNext.count -= 1;
      const { status, code } = faults.failNext;
      if (faults.failNext.count === 0) faults.failNext = null;
      if (status >= 500) return reply.code(status).type('text/html').send('<html>Service unavailable</html>');
      return fail(reply, status, code, status === 429 ? 'Too Many Requests' : 'Forced failure');
    }
  });
  void app.register(formbody);

  app.post<{ Params: { account: string }; Body: Form }>('/2010-04-01/Accounts/:account/Messages.json', async (request, reply) => {
    const body = request.body ?? {};
    const to = one(body.To);
    const from = one(body.From);
    const service = one(body.MessagingServiceSid) ?? null;
    const text = one(body.Body) ?? '';
    if (!to) return fail(reply, 400, 21604, "A 'To' phone number is required.");
    if (!from && !service) return fail(reply, 400, 21603, "A 'From' phone number is required.");
    if (from && FROM_ERRORS[from]) return fail(reply, FROM_ERRORS[from].status, FROM_ERRORS[from].code, FROM_ERRORS[from].message);
    if (from && !fromNumbers.has(from)) return fail(reply, 400, 21606, "The 'From' phone number provided is not a valid message-capable Twilio phone number for this account.");
    const toError = TO_ERRORS[to];
    if (toError) return fail(reply, toError.status, toError.code, toError.message);
    if (!/^\+[1-9]\d{6,14}$/.test(to)) return fail(reply, 400, 21211, `The 'To' number ${to} is not a valid phone number.`);
    if (text.trim() === '' && !body.MediaUrl) return fail(reply, 400, 21602, 'Message body is required.');
    if (text.length > 1600) return fail(reply, 400, 21617, 'The concatenated message body exceeds the 1600 character limit.');
    if (faults.rateLimitPerSecond > 0) {
      const now = Date.now();
      if (now - windowStart >= 1000) {
        windowStart = now;
        windowCount = 0;
      }
      if (++windowCount > faults.rateLimitPerSecond) return fail(reply, 429, 20429, 'Too Many Requests');
    }
    const sendAt = one(body.SendAt) ?? null;
    if (sendAt && !service) return fail(reply, 400, 35111, 'SendAt requires a MessagingServiceSid.');
    const callbackUrl = one(body.StatusCallback) ?? null;
    let messageId: string | null = null;
    if (callbackUrl) {
      try {
        messageId = new URL(callbackUrl).searchParams.get('mid');
      } catch {
        return fail(reply, 400, 21609, 'Invalid StatusCallback URL');
      }
    }
    const now = new Date();
    const message: SandboxMessage = {
      sid: newSid('SM'), accountSid, to, from: from ?? VALID_TEST_FROM, body: text,
      status: sendAt ? 'scheduled' : service ? 'accepted' : 'queued',
      statusCallback: callbackUrl, messageId, messagingServiceSid: service, sendAt, errorCode: null,
      segments: roughSegments(text), dateCreated: now, dateUpdated: now,
    };
    messages.set(message.sid, message);
    sent.push({ sid: message.sid, to, from: message.from, body: text, statusCallback: callbackUrl, messageId, scheduled: Boolean(sendAt), at: now });
    if (callbackUrl && !sendAt) {
      callbacks.schedule({ url: callbackUrl, sid: message.sid, accountSid, from: message.from, to }, scenarioFor(to), (status, errorCode) => {
        message.status = status;
        message.errorCode = errorCode;
        message.dateUpdated = new Date();
      });
    }
    return reply.code(201).send(messageJson(message));
  });

  app.get<{ Params: { sid: string } }>('/2010-04-01/Accounts/:account/Messages/:sid.json', async (request, reply) => {
    const m = messages.get(request.params.sid);
    if (!m) return fail(reply, 404, 20404, `The requested resource /Messages/${request.params.sid}.json was not found`);
    return messageJson(m);
  });

  app.post<{ Params: { sid: string }; Body: Form }>('/2010-04-01/Accounts/:account/Messages/:sid.json', async (request, reply) => {
    const m = messages.get(request.params.sid);
    if (!m) return fail(reply, 404, 20404, `The requested resource /Messages/${request.params.sid}.json was not found`);
    if (one(request.body?.Status) === 'canceled') {
      if (m.status !== 'scheduled') return fail(reply, 400, 30409, 'Message is not in a cancelable state');
      m.status = 'canceled';
      m.dateUpdated = new Date();
    }
    return messageJson(m);
  });

  app.get<{ Querystring: Record<string, string> }>('/2010-04-01/Accounts/:account/Messages.json', async (request) => {
    const q = request.query;
    const after = q['DateSent>'] ? new Date(q['DateSent>']) : null;
    const list = [...messages.values()]
      .filter((m) => (!q.To || m.to === q.To) && (!after || m.dateCreated >= after))
      .sort((a, b) => b.dateCreated.getTime() - a.dateCreated.getTime());
    const pageSize = Number(q.PageSize ?? 50);
    return {
      messages: list.slice(0, pageSize).map(messageJson),
      page: 0, page_size: pageSize, start: 0, end: Math.min(pageSize, list.length) - 1,
      uri: request.url, first_page_uri: request.url, next_page_uri: null, previous_page_uri: null,
    };
  });

  app.post<{ Params: { service: string }; Body: Form }>('/v2/Services/:service/Verifications', async (request, reply) => {
    const to = one(request.body?.To);
    if (!to) return fail(reply, 400, 60200, 'Invalid parameter: To');
    const toError = TO_ERRORS[to];
    if (toError) return fail(reply, 400, 60200, 'Invalid parameter `To`');
    const v = { to, sid: newSid('VE'), status: 'pending' };
    verifications.set(to, v);
    return reply.code(201).send({ sid: v.sid, service_sid: request.params.service, account_sid: accountSid, to, channel: one(request.body?.Channel) ?? 'sms', status: 'pending', valid: false, date_created: new Date().toISOString(), date_updated: new Date().toISOString(), url: `/v2/Services/${request.params.service}/Verifications/${v.sid}` });
  });

  app.post<{ Params: { service: string }; Body: Form }>('/v2/Services/:service/VerificationCheck', async (request, reply) => {
    const to = one(request.body?.To);
    const code = one(request.body?.Code);
    const v = to ? verifications.get(to) : undefined;
    if (!v || v.status !== 'pending') return fail(reply, 404, 20404, 'The requested resource was not found');
    const valid = code === verifyCode;
    if (valid) v.status = 'approved';
    return { sid: v.sid, service_sid: request.params.service, account_sid: accountSid, to: v.to, channel: 'sms', status: valid ? 'approved' : 'pending', valid, date_created: new Date().toISOString(), date_updated: new Date().toISOString() };
  });

  // Control API for other processes (e.g. the benchmark or a manual test).
  app.get('/__sandbox/sends', async () => ({ count: sent.length, sends: sent.slice(-1000) }));
  app.post<{ Body: { to?: string } & Partial<Scenario> }>('/__sandbox/scenario', async (request) => {
    const { to = '*', ...scenario } = request.body ?? {};
    scenarios.set(to, { ...DEFAULT_SCENARIO, ...scenarios.get(to), ...scenario });
    return { ok: true };
  });
  app.post<{ Body: Partial<ApiFaults> }>('/__sandbox/faults', async (request) => {
    faults = { ...faults, ...(request.body ?? {}) };
    return { ok: true };
  });
  app.post('/__sandbox/reset', async () => {
    sandbox.reset();
    return { ok: true };
  });

  const sandbox: TwilioSandbox = {
    get url() {
      return url;
    },
    accountSid,
    authToken,
    async start() {
      const address = await app.listen({ port: options.port ?? 0, host: options.host ?? '127.0.0.1' });
      url = address.replace('[::1]', '127.0.0.1');
    },
    async close() {
      await app.close();
    },
    sends: () => [...sent],
    messages: () => [...messages.values()],
    verifications: () => [...verifications.values()],
    setScenario(to, scenario) {
      scenarios.set(to, { ...DEFAULT_SCENARIO, ...scenarios.get(to), ...scenario });
    },
    setFaults(f) {
      faults = { ...faults, ...f };
    },
    async postCallback(sid, status, errorCode = null) {
      const m = messages.get(sid);
      if (!m?.statusCallback) throw new Error(`no message ${sid} with a status callback`);
      return callbacks.post({ url: m.statusCallback, sid, accountSid, from: m.from, to: m.to }, status, errorCode);
    },
    drain: () => callbacks.drain(),
    reset() {
      messages.clear();
      sent.length = 0;
      verifications.clear();
      scenarios.clear();
      faults = { ...DEFAULT_FAULTS };
    },
  };
  return sandbox;
}
