import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendTwilioError, twilioErrorBody } from './errors.ts';
import { defaultFaultCode, DEFAULT_FAULTS, type ApiFaults, type FailNext } from './scenario.ts';

export const CONTROL_PREFIX = '/__sandbox';

/** One API request as the sandbox saw it (control endpoints excluded). */
export interface ApiRequestRecord {
  method: string;
  /** Path without the query string. */
  path: string;
  /** The form's To, when the request carried one. */
  to: string | null;
  /** Our message id from the form's StatusCallback, when it carried one. */
  messageId: string | null;
  /** The HTTP status answered; null when the connection was cut instead. */
  status: number | null;
  at: Date;
}

/** Most API requests the log keeps (the oldest are dropped first). */
const MAX_REQUEST_LOG = 50_000;

/**
 * Everything that happens to an API request around its route: artificial latency, forced
 * connection resets and HTTP errors (before or after the request is carried out), Basic
 * authentication, and the log of requests. Control endpoints skip it.
 */
export class ApiGuard {
  faults: ApiFaults = { ...DEFAULT_FAULTS };
  /** Every API request received, refused ones included, oldest first. */
  readonly requests: ApiRequestRecord[] = [];
  private readonly expectedAuth: string;
  private windowStart = 0;
  private windowCount = 0;
  private readonly records = new Map<string, ApiRequestRecord>();

  constructor(private readonly accountSid: string, private readonly authToken: string, private readonly messageIdParam = 'mid') {
    this.expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  }

  set(faults: Partial<ApiFaults>): void {
    this.faults = { ...this.faults, ...faults };
    // copies: the countdowns must not change the caller's objects
    if (this.faults.failNext) this.faults.failNext = this.faults.failNext.count > 0 ? { ...this.faults.failNext } : null;
    if (this.faults.failAfterNext) this.faults.failAfterNext = this.faults.failAfterNext.count > 0 ? { ...this.faults.failAfterNext } : null;
  }

  reset(): void {
    this.faults = { ...DEFAULT_FAULTS };
    this.windowStart = 0;
    this.windowCount = 0;
    this.requests.length = 0;
    this.records.clear();
    this.cutAfterHandling.clear();
    this.failAfterHandling.clear();
  }

  /** Fastify onRequest hook: connection resets (nothing is read yet). */
  readonly onRequest = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (request.url.startsWith(CONTROL_PREFIX)) return undefined;
    if (this.faults.resetNext > 0) {
      this.faults.resetNext--;
      this.log({ method: request.method, path: pathOf(request.url), to: null, messageId: null, status: null, at: new Date() });
      reply.hijack();
      request.raw.socket.destroy();
      return reply;
    }
    return undefined;
  };

  /**
   * Fastify preHandler hook (the form is read): latency, the log, forced errors,
   * authentication. The latency comes after the request was read, as a slow provider's does:
   * a caller that gives up waiting cannot know whether it was carried out (it is).
   */
  readonly preHandler = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (request.url.startsWith(CONTROL_PREFIX)) return undefined;
    const { latencyMs } = this.faults;
    if (latencyMs > 0) await sleep(latencyMs);
    const record = this.recordOf(request);
    this.records.set(request.id, record);
    this.log(record);
    const forced = this.takeFailure(request);
    if (forced) return sendForced(reply, forced);
    if (!this.authorized(request.headers.authorization)) return sendTwilioError(reply, 401, 20003, 'Authenticate');
    if (this.faults.resetAfterNext > 0) {
      this.faults.resetAfterNext--;
      this.cutAfterHandling.add(request.id);
    } else {
      const after = this.takeFailureAfter(request);
      if (after) this.failAfterHandling.set(request.id, after);
    }
    return undefined;
  };

  private readonly cutAfterHandling = new Set<string>();
  private readonly failAfterHandling = new Map<string, FailNext>();

  /**
   * Fastify onSend hook: the request was carried out; its answer is lost on the way (a cut
   * connection) or replaced by an error (a 5xx from a proxy that lost the upstream answer).
   */
  readonly onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    const record = this.records.get(request.id);
    this.records.delete(request.id);
    if (this.cutAfterHandling.delete(request.id)) {
      request.raw.socket.destroy();
      reply.hijack();
      return payload;
    }
    const after = this.failAfterHandling.get(request.id);
    if (after) {
      this.failAfterHandling.delete(request.id);
      const forced = forcedAnswer(after);
      void reply.code(after.status).type(forced.contentType);
      if (record) record.status = after.status;
      return forced.text;
    }
    if (record) record.status = reply.statusCode;
    return payload;
  };

  private recordOf(request: FastifyRequest): ApiRequestRecord {
    const body = (request.body ?? {}) as Record<string, unknown>;
    const to = typeof body.To === 'string' ? body.To.trim() : null;
    const callback = typeof body.StatusCallback === 'string' && URL.canParse(body.StatusCallback) ? new URL(body.StatusCallback) : null;
    return { method: request.method, path: pathOf(request.url), to, messageId: callback?.searchParams.get(this.messageIdParam) ?? null, status: null, at: new Date() };
  }

  private log(record: ApiRequestRecord): void {
    this.requests.push(record);
    if (this.requests.length > MAX_REQUEST_LOG) this.requests.splice(0, this.requests.length - MAX_REQUEST_LOG);
  }

  private takeFailureAfter(request: FastifyRequest): FailNext | null {
    const f = this.faults.failAfterNext;
    if (!f || !matches(f, request)) return null;
    f.count--;
    if (f.count <= 0) this.faults.failAfterNext = null;
    return f;
  }

  private takeFailure(request: FastifyRequest): FailNext | null {
    const f = this.faults.failNext;
    if (!f || !matches(f, request)) return null;
    f.count--;
    if (f.count <= 0) this.faults.failNext = null;
    return f;
  }

  private authorized(header: string | undefined): boolean {
    if (header === undefined) return false;
    if (header === this.expectedAuth) return true;
    const match = /^basic\s+(.+)$/i.exec(header);
    if (!match) return false;
    const decoded = Buffer.from(match[1]!, 'base64').toString();
    const colon = decoded.indexOf(':');
    return colon > 0 && decoded.slice(0, colon) === this.accountSid && decoded.slice(colon + 1) === this.authToken;
  }

  /** Counts one message against the sandbox's own rate limit; false when over it. */
  takeRate(now = Date.now()): boolean {
    const limit = this.faults.rateLimitPerSecond;
    if (limit <= 0) return true;
    if (now - this.windowStart >= 1000) {
      this.windowStart = now;
      this.windowCount = 0;
    }
    this.windowCount++;
    return this.windowCount <= limit;
  }
}

const FORCED_MESSAGES: Record<number, string> = {
  401: 'Authenticate',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const pathOf = (url: string): string => url.split('?', 1)[0]!;

/** Whether a forced failure's method / path filter lets it apply to this request. */
const matches = (f: FailNext, request: FastifyRequest): boolean =>
  (!f.method || request.method === f.method) && (!f.pathEndsWith || pathOf(request.url).endsWith(f.pathEndsWith));

function sendForced(reply: FastifyReply, f: FailNext): FastifyReply {
  const message = FORCED_MESSAGES[f.status] ?? 'Forced failure';
  if (f.body === 'html') return reply.code(f.status).type('text/html').send(`<html><body><h1>${f.status} ${message}</h1></body></html>`);
  const code = f.code === undefined ? defaultFaultCode(f.status) : f.code;
  return sendTwilioError(reply, f.status, code, message);
}

/** The body of a forced failure, for an answer already on its way (onSend). */
function forcedAnswer(f: FailNext): { contentType: string; text: string } {
  const message = FORCED_MESSAGES[f.status] ?? 'Forced failure';
  if (f.body === 'html') return { contentType: 'text/html', text: `<html><body><h1>${f.status} ${message}</h1></body></html>` };
  const code = f.code === undefined ? defaultFaultCode(f.status) : f.code;
  return { contentType: 'application/json', text: JSON.stringify(twilioErrorBody(f.status, code, message)) };
}
