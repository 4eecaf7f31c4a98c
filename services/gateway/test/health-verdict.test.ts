import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_THRESHOLDS as T, deliveryRateLight, formatWindow, latencyLight, overall } from '../src/health/verdict.ts';

describe('provider latency (runbook: < 3 s green, 3–7 s yellow, beyond red)', () => {
  it.each([
    [0, 'green'], [2_999, 'green'], [3_000, 'yellow'], [6_999, 'yellow'], [7_000, 'red'], [30_000, 'red'],
  ] as const)('%i ms is %s', (ms, light) => {
    expect(latencyLight(ms, T)).toBe(light);
  });
});

describe('delivery success rate (> 95 % green, 90–95 % yellow, < 90 % red)', () => {
  it('grades a sufficient sample', () => {
    expect(deliveryRateLight(96, 4, T)).toEqual({ rate: 0.96, status: 'green', sufficient: true });
    expect(deliveryRateLight(95, 5, T).status).toBe('yellow');
    expect(deliveryRateLight(90, 10, T).status).toBe('yellow');
    expect(deliveryRateLight(89, 11, T).status).toBe('red');
  });

  it('does not judge too small a sample, but reports the figure', () => {
    expect(deliveryRateLight(0, 0, T)).toEqual({ rate: null, status: 'green', sufficient: false });
    expect(deliveryRateLight(1, 2, T)).toMatchObject({ status: 'green', sufficient: false });
    expect(deliveryRateLight(1, 2, { ...T, minSample: 1 }).status).toBe('red');
  });
});

describe('overall verdict', () => {
  it('is the worst check; unknown counts only when nothing else was measured', () => {
    expect(overall(['green', 'green'])).toBe('green');
    expect(overall(['green', 'yellow', 'unknown'])).toBe('yellow');
    expect(overall(['yellow', 'red', 'green'])).toBe('red');
    expect(overall(['unknown'])).toBe('yellow');
  });

  it('formats windows', () => {
    expect(formatWindow(3_600_000)).toBe('1h');
    expect(formatWindow(900_000)).toBe('15m');
    expect(formatWindow(1_500)).toBe('2s');
  });
});
