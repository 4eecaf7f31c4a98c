import { describe, expect, it } from 'vitest';
import { rateLimitDecision, rateLimitLookback } from '../src/rate-limit.ts';

const now = new Date('2026-12-16T12:00:00.000Z');
const ago = (ms: number) => new Date(now.getTime() - ms);
const limits = { perMinute: 10, perHour: 100 };

describe('per-user rate limit (seeds: 10 per minute, 100 per hour)', () => {
  it('allows the tenth message of a minute and defers the eleventh until the oldest of the last ten is a minute old', () => {
    const nine = Array.from({ length: 9 }, (_, i) => ago(1_000 * (i + 1)));
    expect(rateLimitDecision({ now, recentSends: nine, limits })).toEqual({ allowed: true });
    const ten = Array.from({ length: 10 }, (_, i) => ago(1_000 * (i + 1)));
    expect(rateLimitDecision({ now, recentSends: ten, limits })).toEqual({ allowed: false, window: 'minute', until: new Date(ago(10_000).getTime() + 60_000), count: 10, limit: 10 });
  });

  it('is a rolling window: sends older than a minute do not count toward the minute', () => {
    const old = Array.from({ length: 50 }, (_, i) => ago(61_000 + i * 1_000));
    expect(rateLimitDecision({ now, recentSends: old, limits })).toEqual({ allowed: true });
  });

  it('the hour limit: the 101st in an hour waits for the 100th most recent to be an hour old', () => {
    const hundred = Array.from({ length: 100 }, (_, i) => ago(120_000 + i * 30_000));
    const d = rateLimitDecision({ now, recentSends: hundred, limits });
    expect(d).toMatchObject({ allowed: false, window: 'hour', limit: 100, count: 100 });
    if (!d.allowed) expect(d.until).toEqual(new Date(ago(120_000 + 99 * 30_000).getTime() + 3_600_000));
  });

  it('both windows full: the later release wins', () => {
    const sends = [...Array.from({ length: 10 }, (_, i) => ago(i * 100)), ...Array.from({ length: 90 }, (_, i) => ago(3_000_000 + i * 1_000))];
    const d = rateLimitDecision({ now, recentSends: sends, limits });
    expect(d).toMatchObject({ allowed: false, window: 'hour' });
  });

  it('0 disables a window; the lookback is the larger limit', () => {
    const ten = Array.from({ length: 10 }, (_, i) => ago(i));
    expect(rateLimitDecision({ now, recentSends: ten, limits: { perMinute: 0, perHour: 0 } })).toEqual({ allowed: true });
    expect(rateLimitLookback(limits)).toBe(100);
    expect(rateLimitLookback({ perMinute: 0, perHour: 0 })).toBe(0);
  });

  it('ignores future and older-than-an-hour times, in any order', () => {
    const sends = [new Date(now.getTime() + 5_000), ago(3_700_000), ...Array.from({ length: 9 }, (_, i) => ago(i * 10))].reverse();
    expect(rateLimitDecision({ now, recentSends: sends, limits })).toEqual({ allowed: true });
  });
});
