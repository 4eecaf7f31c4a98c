import http from 'node:http';
import https from 'node:https';
import { setTimeout as sleep } from 'node:timers/promises';
import twilio from 'twilio';

export interface CallbackOptions {
  authToken: string;
  /** Sockets per callback host (keep-alive). Default 64. */
  maxSockets?: number | undefined;
  /** Attempts after the first one, on a network error or a 5xx. Default 3. */
  retries?: number | undefined;
  /** Per-attempt timeout in ms. Default 10 000. */
  timeoutMs?: number | undefined;
  /** Called when a callback is given up (never throws into the sandbox). */
  onGiveUp?: ((info: { url: string; sid: string; status: string; reason: string }) => void) | undefined;
}

export interface CallbackStats {
  /** Callbacks handed to the poster. */
  requested: number;
  /** Answered 2xx. */
  accepted: number;
  /** Answered 4xx (not retried: the receiver refused it, e.g. a bad signature → 403). */
  refused: number;
  /** Given up after the retries (network errors, 5xx). */
  failed: number;
  /** Not posted because the scenario dropped them. */
  dropped: number;
  /** Being posted now. */
  inFlight: number;
}

type Params = Record<string, string>;

/**
 * Posts status callbacks the way Twilio does: form-encoded, signed with X-Twilio-Signature
 * over the exact callback URL and parameters, through keep-alive agents with a bounded
 * number of sockets. Network errors and 5xx answers are retried with a short backoff, then
 * counted and reported; nothing here ever throws into the server.
 */
export class CallbackPoster {
  readonly stats: CallbackStats = { requested: 0, accepted: 0, refused: 0, failed: 0, dropped: 0, inFlight: 0 };
  private readonly httpAgent: http.Agent;
  private readonly httpsAgent: https.Agent;
  private readonly retries: number;
  private readonly timeoutMs: number;
  private readonly idle = new Set<() => void>();

  constructor(private readonly options: CallbackOptions) {
    const maxSockets = options.maxSockets ?? 64;
    this.httpAgent = new http.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
    this.httpsAgent = new https.Agent({ keepAlive: true, maxSockets, maxFreeSockets: maxSockets });
    this.retries = options.retries ?? 3;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** Signs and posts; resolves with the receiver's HTTP status, or null when given up. */
  async post(url: string, params: Params, signal?: AbortSignal): Promise<number | null> {
    this.stats.requested++;
    this.stats.inFlight++;
    try {
      const signature = twilio.getExpectedTwilioSignature(this.options.authToken, url, params);
      const body = Buffer.from(new URLSearchParams(params).toString());
      let reason = 'unknown';
      for (let attempt = 0; attempt <= this.retries; attempt++) {
        if (signal?.aborted) return null;
        if (attempt > 0) await sleep(50 * 2 ** attempt, undefined, { signal }).catch(() => undefined);
        if (signal?.aborted) return null;
        try {
          const status = await this.once(url, body, signature);
          if (status < 300) {
            this.stats.accepted++;
            return status;
          }
          if (status < 500) {
            this.stats.refused++;
            return status;
          }
          reason = `HTTP ${status}`;
        } catch (err) {
          reason = (err as NodeJS.ErrnoException).code ?? (err instanceof Error ? err.name : 'error');
        }
      }
      this.stats.failed++;
      this.options.onGiveUp?.({ url, sid: params.MessageSid ?? '', status: params.MessageStatus ?? '', reason });
      return null;
    } catch (err) {
      // A malformed URL or a bug: count it, never crash the sandbox.
      this.stats.failed++;
      this.options.onGiveUp?.({ url, sid: params.MessageSid ?? '', status: params.MessageStatus ?? '', reason: err instanceof Error ? err.message : String(err) });
      return null;
    } finally {
      this.stats.inFlight--;
      if (this.stats.inFlight === 0) for (const resolve of this.idle) resolve();
    }
  }

  private once(url: string, body: Buffer, signature: string): Promise<number> {
    return new Promise((resolve, reject) => {
      const target = new URL(url);
      const secure = target.protocol === 'https:';
      const req = (secure ? https : http).request(target, {
        method: 'POST',
        agent: secure ? this.httpsAgent : this.httpAgent,
        timeout: this.timeoutMs,
        headers: {
          'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
          'content-length': body.length,
          'x-twilio-signature': signature,
          'user-agent': 'TwilioProxy/1.1',
        },
      });
      req.once('response', (res) => {
        res.resume();
        res.once('end', () => resolve(res.statusCode ?? 0));
        res.once('error', reject);
      });
      req.once('timeout', () => req.destroy(Object.assign(new Error('callback timed out'), { code: 'ETIMEDOUT' })));
      req.once('error', reject);
      req.end(body);
    });
  }

  /** Resolves when no callback is being posted. */
  whenIdle(): Promise<void> {
    if (this.stats.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        this.idle.delete(done);
        resolve();
      };
      this.idle.add(done);
    });
  }

  resetStats(): void {
    Object.assign(this.stats, { requested: 0, accepted: 0, refused: 0, failed: 0, dropped: 0 });
  }

  close(): void {
    this.httpAgent.destroy();
    this.httpsAgent.destroy();
  }
}
