import { describe, expect, it } from 'vitest';
import { MAX_RETRY_DELAY_MS, nextRetryDelayMs, retryBaseDelayMs, retryDecision } from '../src/retry-policy.ts';
import { TWILIO_ERROR_CATEGORIES } from '../src/twilio-errors.ts';

const MIN = 60_000;
const mid = () => 0.5; // no jitter
const low = () => 0; // −20 %
const high = () => 0.999_999; // ≈ +20 %

describe('retryBaseDelayMs', () => {
  it('takes the seeds\' rate-limit and carrier delays and longer ones for unreachable handsets', () => {
    expect(retryBaseDelayMs('rate_limit')).toBe(5 * MIN);
    expect(retryBaseDelayMs('carrier_issue')).toBe(3 * MIN);
    expect(retryBaseDelayMs('unreachable')).toBe(15 * MIN);
    expect(retryBaseDelayMs('unknown')).toBe(5 * MIN);
  });

  it('is defined and positive for every category', () => {
    for (const category of TWILIO_ERROR_CATEGORIES) expect(retryBaseDelayMs(category)).toBeGreaterThan(0);
  });
});

describe('nextRetryDelayMs', () => {
  it('doubles with each attempt from the base', () => {
    expect(nextRetryDelayMs('carrier_issue', 1, mid)).toBe(3 * MIN);
    expect(nextRetryDelayMs('carrier_issue', 2, mid)).toBe(6 * MIN);
    expect(nextRetryDelayMs('carrier_issue', 3, mid)).toBe(12 * MIN);
    expect(nextRetryDelayMs('rate_limit', 1, mid)).toBe(5 * MIN);
    expect(nextRetryDelayMs('unreachable', 2, mid)).toBe(30 * MIN);
  });

  it('applies ±20 % jitter from the injected random function', () => {
    expect(nextRetryDelayMs('rate_limit', 1, low)).toBe(4 * MIN);
    expect(nextRetryDelayMs('rate_limit', 1, high)).toBeCloseTo(6 * MIN, -2);
    expect(nextRetryDelayMs('rate_limit', 1, () => 0.75)).toBe(5.5 * MIN);
  });

  it('spreads delays for different random values (jitter is real)', () => {
    const values = new Set([0.1, 0.3, 0.6, 0.9].map((r) => nextRetryDelayMs('carrier_issue', 2, () => r)));
    expect(values.size).toBe(4);
    for (const v of values) {
      expect(v).toBeGreaterThanOrEqual(0.8 * 6 * MIN);
      expect(v).toBeLessThanOrEqual(1.2 * 6 * MIN);
    }
  });

  it('caps the delay at six hours, jitter included', () => {
    expect(nextRetryDelayMs('unreachable', 10, mid)).toBe(MAX_RETRY_DELAY_MS);
    expect(nextRetryDelayMs('unreachable', 10, high)).toBe(MAX_RETRY_DELAY_MS);
    expect(nextRetryDelayMs('unreachable', 1000, mid)).toBe(MAX_RETRY_DELAY_MS);
  });

  it('treats attempt < 1 as the first and tolerates a broken random source', () => {
    expect(nextRetryDelayMs('carrier_issue', 0, mid)).toBe(3 * MIN);
    expect(nextRetryDelayMs('carrier_issue', Number.NaN, mid)).toBe(3 * MIN);
    expect(nextRetryDelayMs('carrier_issue', 1, () => Number.NaN)).toBe(3 * MIN);
    expect(nextRetryDelayMs('carrier_issue', 1, () => 7)).toBe(3.6 * MIN);
    expect(nextRetryDelayMs('carrier_issue', 1, () => -3)).toBe(2.4 * MIN);
  });
});

describe('retryDecision', () => {
  const base = { attempt: 1, maxAttempts: 3, random: mid };

  it('opts the user out on 21610 and never retries it', () => {
    expect(retryDecision({ ...base, errorCode: 21610 })).toEqual({ action: 'opt_out', category: 'opted_out', code: 21610 });
    expect(retryDecision({ ...base, errorCode: '21610', attempt: 3 })).toMatchObject({ action: 'opt_out' });
  });

  it.each([21211, 21614, 30005, 30006, 20003, 30002, 30007, 21617, 30034, 30004])('fails permanently at once on %i', (code) => {
    expect(retryDecision({ ...base, errorCode: code })).toMatchObject({ action: 'fail', permanent: true, code });
  });

  it.each([
    [30003, 'unreachable', 15 * MIN],
    [20429, 'rate_limit', 5 * MIN],
    [30001, 'rate_limit', 5 * MIN],
    [30008, 'carrier_issue', 3 * MIN],
    [30450, 'unreachable', 15 * MIN],
  ])('retries transient %i (%s) after its base delay', (code, category, delayMs) => {
    expect(retryDecision({ ...base, errorCode: code })).toEqual({ action: 'retry', category, delayMs, code });
  });

  it('backs off exponentially over attempts', () => {
    expect(retryDecision({ ...base, errorCode: 30003, attempt: 2, maxAttempts: 5 })).toMatchObject({ action: 'retry', delayMs: 30 * MIN });
  });

  it('gives up on a transient error once attempts are used up, marked not permanent', () => {
    expect(retryDecision({ ...base, errorCode: 30003, attempt: 3, maxAttempts: 3 })).toEqual({
      action: 'fail',
      category: 'unreachable',
      permanent: false,
      code: 30003,
    });
    expect(retryDecision({ ...base, errorCode: 30003, attempt: 4, maxAttempts: 3 })).toMatchObject({ action: 'fail', permanent: false });
    expect(retryDecision({ ...base, errorCode: 30003, attempt: 1, maxAttempts: 1 })).toMatchObject({ action: 'fail', permanent: false });
  });

  it('retries unknown codes conservatively: 5-minute base, bounded by maxAttempts', () => {
    expect(retryDecision({ ...base, errorCode: 39999 })).toEqual({ action: 'retry', category: 'unknown', delayMs: 5 * MIN, code: 39999 });
    expect(retryDecision({ ...base, errorCode: 39999, attempt: 3 })).toMatchObject({ action: 'fail', category: 'unknown', permanent: false });
  });

  it('retries when there is no code at all, unless the transport says the error is permanent', () => {
    expect(retryDecision({ ...base, errorCode: null })).toMatchObject({ action: 'retry', category: 'unknown', code: null });
    expect(retryDecision({ ...base, errorCode: undefined, retryableHint: false })).toMatchObject({
      action: 'fail',
      category: 'unknown',
      permanent: true,
    });
  });

  it('lets the table win over the transport hint for a known code', () => {
    expect(retryDecision({ ...base, errorCode: 21211, retryableHint: true })).toMatchObject({ action: 'fail', permanent: true });
    expect(retryDecision({ ...base, errorCode: 30003, retryableHint: false })).toMatchObject({ action: 'retry' });
  });

  it('uses the injected random function for the delay', () => {
    expect(retryDecision({ ...base, errorCode: 20429, random: low })).toMatchObject({ action: 'retry', delayMs: 4 * MIN });
  });
});
