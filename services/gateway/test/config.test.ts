import { describe, expect, it } from 'vitest';
import { loadGatewayConfig } from '../src/config.ts';

describe('gateway health thresholds from the environment', () => {
  it('defaults to the runbook (95 % / 90 %, 3 s / 7 s)', () => {
    expect(loadGatewayConfig({})).toMatchObject({ HEALTH_RATE_GREEN: 0.95, HEALTH_RATE_YELLOW: 0.9, HEALTH_LATENCY_YELLOW_MS: 3_000, HEALTH_LATENCY_RED_MS: 7_000 });
  });

  it('takes other success-rate thresholds', () => {
    expect(loadGatewayConfig({ HEALTH_RATE_GREEN: '0.99', HEALTH_RATE_YELLOW: '0.97' })).toMatchObject({ HEALTH_RATE_GREEN: 0.99, HEALTH_RATE_YELLOW: 0.97 });
  });

  it.each([
    [{ HEALTH_RATE_GREEN: '0.9', HEALTH_RATE_YELLOW: '0.95' }, 'HEALTH_RATE_YELLOW'],
    [{ HEALTH_RATE_GREEN: '95' }, 'HEALTH_RATE_GREEN'],
    [{ HEALTH_RATE_YELLOW: '0' }, 'HEALTH_RATE_YELLOW'],
    [{ HEALTH_LATENCY_YELLOW_MS: '8000' }, 'HEALTH_LATENCY_YELLOW_MS'],
  ])('refuses %j, naming %s', (env, variable) => {
    expect(() => loadGatewayConfig(env)).toThrow(variable);
  });
});
