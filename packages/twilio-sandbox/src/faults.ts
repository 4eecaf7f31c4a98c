import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendTwilioError } from './errors.ts';
import { defaultFaultCode, DEFAULT_FAULTS, type ApiFaults, type FailNext } from './scenario.ts';

export const CONTROL_PREFIX = '/__sandbox';

/**
 * Everything that happens to an API request before its route: artificial latency, forced
 * connection resets and HTTP errors, and Basic authentication. Control endpoints skip it.
 */
export class ApiGuard {
  faults: ApiFaults = { ...DEFAULT_FAULTS };
  private readonly expectedAuth: string;
  private windowStart = 0;
  private windowCount = 0;

  constructor(private readonly accountSid: string, private readonly authToken: string) {
    this.expectedAuth = `Basic ${Buffer.from(`${accountSid}:${authToken}`).toString('base64')}`;
  }

  set(faults: Partial<ApiFaults>): void {
    this.faults = { ...this.faults, ...faults };
    // a copy: the countdown must not change the caller's object
    if (this.faults.failNext) this.faults.failNext = this.faults.failNext.count > 0 ? { ...this.faults.failNext } : null;
  }

  reset(): void {
    this.faults = { ...DEFAULT_FAULTS };
    this.windowStart = 0;
    this.windowCount = 0;
  }

  /** Fastify onRequest hook. */
  readonly onRequest = async (request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> => {
    if (request.url.startsWith(CONTROL_PREFIX)) return undefined;
    const { latencyMs } = this.faults;
    if (latencyMs > 0) await sleep(latencyMs);
    if (this.faults.resetNext > 0) {
      this.faults.resetNext--;
      reply.hijack();
      request.raw.socket.destroy();
      return reply;
    }
    const forced = this.takeFailure();
    if (forced) return sendForced(reply, forced);
    if (!this.authorized(request.headers.authorization)) return sendTwilioError(reply, 401, 20003, 'Authenticate');
    if (this.faults.resetAfterNext > 0) {
      this.faults.resetAfterNext--;
      this.cutAfterHandling.add(request.id);
    }
    return undefined;
  };

  private readonly cutAfterHandling = new Set<string>();

  /** Fastify onSend hook: the request was carried out; its answer is lost on the way. */
  readonly onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> => {
    if (!this.cutAfterHandling.delete(request.id)) return payload;
    request.raw.socket.destroy();
    reply.hijack();
    return payload;
  };

  private takeFailure(): FailNext | null {
    const f = this.faults.failNext;
    if (!f) return null;
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

function sendForced(reply: FastifyReply, f: FailNext): FastifyReply {
  const message = FORCED_MESSAGES[f.status] ?? 'Forced failure';
  if (f.body === 'html') return reply.code(f.status).type('text/html').send(`<html><body><h1>${f.status} ${message}</h1></body></html>`);
  const code = f.code === undefined ? defaultFaultCode(f.status) : f.code;
  return sendTwilioError(reply, f.status, code, message);
}
