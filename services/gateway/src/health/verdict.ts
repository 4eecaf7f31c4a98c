/**
 * The runbook's health criteria as pure functions (seeds: Twilio SMS Integration Runbook):
 * green — provider API < 3 s, delivery success > 95 %, no auth errors;
 * yellow — provider API 3–7 s, delivery success 90–95 %;
 * red — provider unreachable or timing out (> 7 s), success < 90 %, 401 auth errors,
 * and (the hub's own dependencies) database or Kafka unreachable.
 */

export type Light = 'green' | 'yellow' | 'red';
/** `unknown`: the figure could not be measured; it does not change the verdict by itself. */
export type CheckStatus = Light | 'unknown';

export interface HealthThresholds {
  /** Provider round trip at or above this is yellow. */
  latencyYellowMs: number;
  /** At or above this (or no answer by then) is red; also the probe's timeout. */
  latencyRedMs: number;
  /** Success rate strictly above this is green. */
  rateGreen: number;
  /** Success rate at or above this (and not green) is yellow; below is red. */
  rateYellow: number;
  /** Recent window for the delivery success rate. */
  rateWindowMs: number;
  /** Fewer final outcomes than this in the window: too few to judge, reported but green. */
  minSample: number;
  /** How long a verdict is reused, so /health stays cheap under frequent polling. */
  cacheMs: number;
  /** Timeout of the database and Kafka checks. */
  dependencyTimeoutMs: number;
}

export const DEFAULT_HEALTH_THRESHOLDS: HealthThresholds = {
  latencyYellowMs: 3_000,
  latencyRedMs: 7_000,
  rateGreen: 0.95,
  rateYellow: 0.9,
  rateWindowMs: 60 * 60 * 1000,
  minSample: 10,
  cacheMs: 10_000,
  dependencyTimeoutMs: 3_000,
};

export function latencyLight(ms: number, t: Pick<HealthThresholds, 'latencyYellowMs' | 'latencyRedMs'>): Light {
  if (ms >= t.latencyRedMs) return 'red';
  if (ms >= t.latencyYellowMs) return 'yellow';
  return 'green';
}

export function deliveryRateLight(delivered: number, failed: number, t: Pick<HealthThresholds, 'rateGreen' | 'rateYellow' | 'minSample'>): { rate: number | null; status: Light; sufficient: boolean } {
  const total = delivered + failed;
  const rate = total > 0 ? delivered / total : null;
  if (rate === null || total < t.minSample) return { rate, status: 'green', sufficient: false };
  if (rate > t.rateGreen) return { rate, status: 'green', sufficient: true };
  if (rate >= t.rateYellow) return { rate, status: 'yellow', sufficient: true };
  return { rate, status: 'red', sufficient: true };
}

const RANK: Record<CheckStatus, number> = { unknown: 0, green: 1, yellow: 2, red: 3 };

/** The worst of the checks; all unknown (nothing measured) is yellow, never green. */
export function overall(statuses: CheckStatus[]): Light {
  const worst = statuses.reduce<CheckStatus>((w, s) => (RANK[s] > RANK[w] ? s : w), 'unknown');
  return worst === 'unknown' ? 'yellow' : worst;
}

export function formatWindow(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}
