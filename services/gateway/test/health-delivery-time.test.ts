import { describe, expect, it } from 'vitest';
import { DEFAULT_HEALTH_THRESHOLDS as T, deliveryTimeLight } from '../src/health/verdict.ts';

describe('average SMS delivery time (runbook: < 10 s normal, alert > 30 s; red at 2 min, the hub\'s choice)', () => {
  it.each([
    [4_000, 'green'], [29_999, 'green'], [30_000, 'yellow'], [119_999, 'yellow'], [120_000, 'red'],
  ] as const)('%i ms over a sufficient sample is %s', (ms, light) => {
    expect(deliveryTimeLight(ms, 50, T)).toEqual({ status: light, sufficient: true });
  });

  it('is green, and says so, with too few deliveries or none', () => {
    expect(deliveryTimeLight(600_000, T.minSample - 1, T)).toEqual({ status: 'green', sufficient: false });
    expect(deliveryTimeLight(null, 0, T)).toEqual({ status: 'green', sufficient: false });
  });

  it('uses the configured thresholds', () => {
    expect(deliveryTimeLight(40_000, 10, { ...T, deliveryTimeYellowMs: 20_000, deliveryTimeRedMs: 35_000 }).status).toBe('red');
  });
});
