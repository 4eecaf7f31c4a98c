/**
 * Token bucket for sends per sender. Each adapter instance holds its own bucket at
 * rate / instances (SMS_RATE_PER_SECOND is per instance; see docs/operations.md). A 429
 * from the provider empties the bucket and pauses it for the hinted time.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;
  private pausedUntil = 0;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number = Math.max(1, Math.ceil(ratePerSecond)),
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  private refill(): void {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
  }

  /** Waits until a send is allowed, then consumes one token. */
  async take(): Promise<void> {
    for (;;) {
      const wait = this.pausedUntil - this.now();
      if (wait > 0) {
        await this.sleep(wait);
        continue;
      }
      this.refill();
      if (this.tokens >= 1) {
        this.tokens -= 1;
        return;
      }
      await this.sleep(Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000));
    }
  }

  /** Backs off after the provider said 429. */
  pause(ms: number): void {
    this.tokens = 0;
    this.pausedUntil = Math.max(this.pausedUntil, this.now() + ms);
  }
}
