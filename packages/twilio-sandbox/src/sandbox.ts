import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyServerOptions } from 'fastify';
import formbody from '@fastify/formbody';
import { CallbackPoster, type CallbackStats } from './callbacks.ts';
import { balanceString, ScenarioBook, type AccountState, type SandboxContext, type SchedulingWindow } from './context.ts';
import { ApiGuard, type ApiRequestRecord } from './faults.ts';
import { Lifecycle } from './lifecycle.ts';
import { VALID_TEST_FROM } from './numbers.ts';
import { accountRoutes, accountSnapshot } from './routes/account.ts';
import { controlRoutes } from './routes/control.ts';
import { messageRoutes } from './routes/messages.ts';
import { verifyRoutes } from './routes/verify.ts';
import { DEFAULT_SCENARIO, type ApiFaults, type FailNext, type Scenario } from './scenario.ts';
import { MessageStore, type SandboxMessage, type SandboxStatus, type SentRecord, type VerificationRecord, type VerifyStartRecord } from './store.ts';

export interface SandboxOptions {
  /** Port to listen on; default a free one. */
  port?: number | undefined;
  /** Default 127.0.0.1. */
  host?: string | undefined;
  /** The URL others reach the sandbox at, when not the listening address (containers). */
  publicUrl?: string | undefined;
  accountSid?: string | undefined;
  authToken?: string | undefined;
  /** From numbers accepted besides Twilio's test number +15005550006. */
  fromNumbers?: string[] | undefined;
  /** The account's balance (Balance API; default 100.00 USD). */
  balance?: { balance: number | string; currency?: string } | undefined;
  /** The Messaging Services that exist; default: any well-formed MG sid (see AccountState). */
  messagingServices?: string[] | undefined;
  /** The code Verify approves (default 123456). */
  verifyCode?: string | undefined;
  /** The sandbox-wide scenario (per-number ones are set with setScenario). */
  scenario?: Partial<Scenario> | undefined;
  faults?: Partial<ApiFaults> | undefined;
  /** SendAt window; Twilio's is 300 s to 35 days ahead. */
  scheduling?: Partial<SchedulingWindow> | undefined;
  /** StatusCallback query parameter that carries our message id (default "mid"). */
  messageIdParam?: string | undefined;
  callbacks?: { maxSockets?: number; retries?: number; timeoutMs?: number } | undefined;
  /** Fastify's logger option (default off). */
  logger?: FastifyServerOptions['logger'];
}

export interface SandboxStats {
  messages: number;
  sends: number;
  verifyStarts: number;
  callbacks: CallbackStats;
}

export interface TwilioSandbox {
  /** Base URL (http://127.0.0.1:port); throws before start(). */
  readonly url: string;
  readonly accountSid: string;
  readonly authToken: string;
  start(): Promise<void>;
  close(): Promise<void>;
  /** Every accepted send, in order (optionally only to one number or for one message id). */
  sends(filter?: { to?: string; messageId?: string }): SentRecord[];
  messages(): SandboxMessage[];
  message(sid: string): SandboxMessage | undefined;
  /** Every verification started (current state). */
  verifications(): VerificationRecord[];
  /** Every accepted Verify start, resends included. */
  verifyStarts(filter?: { to?: string }): VerifyStartRecord[];
  /** Scenario for one destination number, or '*' for every number without its own. */
  setScenario(to: string, scenario: Partial<Scenario>): void;
  scenarioFor(to: string): Scenario;
  setFaults(faults: Partial<ApiFaults>): void;
  /** The next `count` API requests fail with `status` (401 → 20003, 429 → 20429, 5xx → 20500/20503). */
  failNext(count: number, status: number, options?: Pick<FailNext, 'code' | 'body' | 'method' | 'pathEndsWith'>): void;
  /** The next `count` API requests are carried out, then answered with `status` instead (e.g. 502 after the message was created). */
  failAfterNext(count: number, status: number, options?: Pick<FailNext, 'code' | 'body' | 'method' | 'pathEndsWith'>): void;
  currentFaults(): ApiFaults;
  /** What the Balance API answers from now on (currency unchanged when omitted); reset() restores the initial one. */
  setBalance(balance: number | string, currency?: string): void;
  /** The Messaging Services that exist from now on; null: any well-formed MG sid. */
  setMessagingServices(sids: string[] | null): void;
  account(): { balance: string; currency: string; messagingServices: string[] | null; numbers: string[] };
  /**
   * Every API request received (control endpoints excluded), refused ones included, oldest
   * first; optionally only message creations (POST …/Messages.json), to one number, for one
   * message id. `sends()` lists only the accepted creations.
   */
  requests(filter?: { creates?: boolean; to?: string; messageId?: string }): ApiRequestRecord[];
  /** Posts one signed callback by hand (e.g. a late duplicate); false when not delivered. */
  postCallback(sid: string, status: SandboxStatus, errorCode?: number | null): Promise<boolean>;
  /** Waits until every started status sequence has been posted. */
  drain(): Promise<void>;
  stats(): SandboxStats;
  /** Forgets messages, verifications, scenarios and faults; stops callbacks in flight. */
  reset(): void;
}

export const DEFAULT_ACCOUNT_SID = 'ACsandbox00000000000000000000000000';
export const DEFAULT_AUTH_TOKEN = 'sandbox-auth-token';

export function createTwilioSandbox(options: SandboxOptions = {}): TwilioSandbox {
  const accountSid = options.accountSid ?? DEFAULT_ACCOUNT_SID;
  const authToken = options.authToken ?? DEFAULT_AUTH_TOKEN;
  if (!/^AC\w+$/.test(accountSid)) throw new Error(`accountSid must start with AC (the SDK refuses others): ${accountSid}`);
  const app = Fastify({
    logger: options.logger ?? false,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 64 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });
  const poster = new CallbackPoster({
    authToken,
    maxSockets: options.callbacks?.maxSockets,
    retries: options.callbacks?.retries,
    timeoutMs: options.callbacks?.timeoutMs,
    onGiveUp: (info) => app.log.warn(info, 'status callback given up'),
  });
  const scenarios = new ScenarioBook({ ...DEFAULT_SCENARIO, ...options.scenario });
  const guard = new ApiGuard(accountSid, authToken, options.messageIdParam ?? 'mid');
  if (options.faults) guard.set(options.faults);
  const ctx: SandboxContext = {
    accountSid,
    store: new MessageStore(),
    lifecycle: new Lifecycle(poster, (to) => scenarios.for(to)),
    guard,
    fromNumbers: new Set([VALID_TEST_FROM, ...(options.fromNumbers ?? [])]),
    scheduling: { minLeadMs: 300_000, maxLeadMs: 35 * 86_400_000, ...options.scheduling },
    messageIdParam: options.messageIdParam ?? 'mid',
    verify: { code: options.verifyCode ?? '123456', pending: new Map(), all: new Map(), starts: [], ttlMs: 10 * 60_000 },
    scenarios,
    account: initialAccount(),
  };
  function initialAccount(): AccountState {
    return {
      balance: balanceString(options.balance?.balance ?? 100),
      currency: (options.balance?.currency ?? 'USD').toUpperCase(),
      messagingServices: options.messagingServices ? new Set(options.messagingServices) : null,
    };
  }
  let url: string | null = null;

  const reset = () => {
    ctx.lifecycle.abortAll();
    ctx.store.clear();
    ctx.verify.pending.clear();
    ctx.verify.all.clear();
    ctx.verify.starts.length = 0;
    scenarios.clear();
    guard.reset();
    poster.resetStats();
    ctx.account = initialAccount();
  };
  const stats = (): SandboxStats => ({
    messages: ctx.store.size,
    sends: ctx.store.sent.length,
    verifyStarts: ctx.verify.starts.length,
    callbacks: { ...poster.stats },
  });

  app.addHook('onRequest', guard.onRequest);
  app.addHook('preHandler', guard.preHandler);
  app.addHook('onSend', guard.onSend);
  void app.register(formbody);
  void app.register(async (api) => {
    messageRoutes(api, ctx);
    verifyRoutes(api, ctx);
    accountRoutes(api, ctx);
    controlRoutes(api, ctx, { reset, drain: () => ctx.lifecycle.drain(), stats });
  });

  return {
    get url() {
      if (url === null) throw new Error('the Twilio sandbox is not started');
      return url;
    },
    accountSid,
    authToken,
    async start() {
      const host = options.host ?? '127.0.0.1';
      await app.listen({ port: options.port ?? 0, host });
      const { port } = app.server.address() as AddressInfo;
      const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
      url = (options.publicUrl ?? `http://${reachable}:${port}`).replace(/\/$/, '');
    },
    async close() {
      ctx.lifecycle.abortAll();
      await app.close();
      poster.close();
    },
    sends: (filter) =>
      filter ? ctx.store.sent.filter((s) => (filter.to === undefined || s.to === filter.to) && (filter.messageId === undefined || s.messageId === filter.messageId)) : [...ctx.store.sent],
    messages: () => [...ctx.store.all()],
    message: (sid) => ctx.store.get(sid),
    verifications: () => [...ctx.verify.all.values()],
    verifyStarts: (filter) => ctx.verify.starts.filter((s) => filter?.to === undefined || s.to === filter.to),
    setScenario: (to, scenario) => scenarios.set(to, scenario),
    scenarioFor: (to) => scenarios.for(to),
    setFaults: (faults) => guard.set(faults),
    failNext: (count, status, opts) => guard.set({ failNext: { count, status, code: opts?.code, body: opts?.body, method: opts?.method, pathEndsWith: opts?.pathEndsWith } }),
    failAfterNext: (count, status, opts) => guard.set({ failAfterNext: { count, status, code: opts?.code, body: opts?.body, method: opts?.method, pathEndsWith: opts?.pathEndsWith } }),
    currentFaults: () => ({ ...guard.faults }),
    setBalance(balance, currency) {
      ctx.account.balance = balanceString(balance);
      if (currency !== undefined) ctx.account.currency = currency.toUpperCase();
    },
    setMessagingServices(sids) {
      ctx.account.messagingServices = sids === null ? null : new Set(sids);
    },
    account: () => accountSnapshot(ctx),
    requests: (filter = {}) =>
      guard.requests.filter((r) =>
        (!filter.creates || (r.method === 'POST' && r.path.endsWith('/Messages.json')))
        && (filter.to === undefined || r.to === filter.to)
        && (filter.messageId === undefined || r.messageId === filter.messageId)),
    async postCallback(sid, status, errorCode = null) {
      const m = ctx.store.get(sid);
      if (!m?.statusCallback) throw new Error(`no message ${sid} with a StatusCallback`);
      const receiverStatus = await ctx.lifecycle.postNow(m, status, errorCode);
      return receiverStatus !== null && receiverStatus < 300;
    },
    drain: () => ctx.lifecycle.drain(),
    stats,
    reset,
  };
}
