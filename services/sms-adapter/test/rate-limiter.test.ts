import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../src/rate-limiter.ts';

/** A fake clock whose sleep advances time, so the bucket is tested without waiting. */
function fakeTime() {
  let t = 0;
  return { now: () => t, sleep: async (ms: number) => { t += ms; }, get: () => t };
}

describe('TokenBucket', () => {
  it('allows a burst, then paces at the configured rate', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(10, 5, time.now, time.sleep);
    for (let i = 0; i < 5; i++) await bucket.take();
    expect(time.get()).toBe(0);
    for (let i = 0; i < 10; i++) await bucket.take();
    expect(time.get()).toBeGreaterThanOrEqual(1_000);
    expect(time.get()).toBeLessThan(1_100);
  });
  it('pauses after a 429 for the hinted time', async () => {
    const time = fakeTime();
    const bucket = new TokenBucket(100, 100, time.now, time.sleep);
    bucket.pause(2_000);
    await bucket.take();
    expect(time.get()).toBeGreaterThanOrEqual(2_000);
  });
});
