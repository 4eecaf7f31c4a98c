import { setTimeout as sleep } from 'node:timers/promises';
import type { SendGridEvent } from './events.ts';
import type { EventSigner } from './signing.ts';

export type PostOutcome = 'posted' | 'failed' | 'no_url' | 'closed';

export interface WebhookOptions {
  signer: EventSigner;
  /** The URL in force when an event is handed over (null: the event is not posted). */
  url: () => string | null;
  /** Waits before the 2nd, 3rd… attempt; default 200 ms, 1 s, 5 s (then given up). */
  retryDelaysMs?: readonly number[] | undefined;
  /** Per attempt; default 10 s. */
  timeoutMs?: number | undefined;
  /** Events per POST at most; default 100. */
  maxBatch?: number | undefined;
  onGiveUp?: ((info: { url: string; events: number; reason: string }) => void) | undefined;
}

interface Pending {
  event: SendGridEvent;
  url: string;
  done: (outcome: PostOutcome) => void;
}

/**
 * Posts events as SendGrid does: a signed JSON array per POST, several events per POST when
 * they queue up. One POST at a time, in the order handed over, so the events of a message
 * arrive in order (a retried POST holds back the ones behind it). A non-2xx answer or a
 * network error is retried, then counted as a failure; nothing here throws into the sandbox.
 */
export class WebhookPoster {
  readonly stats = { posted: 0, failures: 0 };
  private readonly queue: Pending[] = [];
  private readonly retryDelaysMs: readonly number[];
  private readonly timeoutMs: number;
  private readonly maxBatch: number;
  private readonly abort = new AbortController();
  private running: Promise<void> | null = null;

  constructor(private readonly options: WebhookOptions) {
    this.retryDelaysMs = options.retryDelaysMs ?? [200, 1_000, 5_000];
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxBatch = options.maxBatch ?? 100;
  }

  /** Resolves when the event was posted, given up, not posted (no URL) or the poster closed. */
  send(event: SendGridEvent): Promise<PostOutcome> {
    const url = this.options.url();
    if (url === null) return Promise.resolve('no_url');
    if (this.abort.signal.aborted) return Promise.resolve('closed');
    return new Promise((done) => {
      this.queue.push({ event, url, done });
      // started on the next turn, so events handed over together share a POST
      this.running ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.run());
    });
  }

  /** Resolves when nothing is queued or being posted. */
  async whenIdle(): Promise<void> {
    while (this.running) await this.running;
  }

  close(): void {
    this.abort.abort();
    for (const p of this.queue.splice(0)) p.done('closed');
  }

  private async run(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.abort.signal.aborted) {
        const url = (this.queue[0] as Pending).url;
        let n = 0;
        while (n < this.queue.length && n < this.maxBatch && (this.queue[n] as Pending).url === url) n++;
        const batch = this.queue.splice(0, n);
        const outcome = await this.deliver(url, batch.map((p) => p.event));
        for (const p of batch) p.done(outcome);
      }
    } finally {
      this.running = null;
    }
  }

  private async deliver(url: string, events: SendGridEvent[]): Promise<PostOutcome> {
    const body = JSON.stringify(events);
    let reason = 'unknown';
    for (let attempt = 0; attempt <= this.retryDelaysMs.length; attempt++) {
      if (attempt > 0) await sleep(this.retryDelaysMs[attempt - 1], undefined, { signal: this.abort.signal }).catch(() => undefined);
      if (this.abort.signal.aborted) return 'closed';
      try {
        const res = await fetch(url, {
          method: 'POST',
          body,
          headers: {
            'content-type': 'application/json',
            'user-agent': 'SendGrid Event API (email-sandbox)',
            ...this.options.signer.headers(body, Math.floor(Date.now() / 1000)),
          },
          redirect: 'manual',
          signal: AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.timeoutMs)]),
        });
        await res.arrayBuffer().catch(() => undefined);
        if (res.status >= 200 && res.status < 300) {
          this.stats.posted++;
          return 'posted';
        }
        reason = `HTTP ${res.status}`;
      } catch (err) {
        if (this.abort.signal.aborted) return 'closed';
        const cause = (err as { cause?: { code?: string } }).cause;
        reason = cause?.code ?? (err instanceof Error ? err.name : String(err));
      }
    }
    this.stats.failures++;
    this.options.onGiveUp?.({ url, events: events.length, reason });
    return 'failed';
  }
}
