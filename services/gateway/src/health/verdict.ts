/**
 * The runbook's health criteria as pure functions (seeds: Twilio SMS Integration Runbook):
 * green — provider API < 3 s, delivery success > 95 %, no auth errors;
 * yellow — provider API 3–7 s, delivery success 90–95 %;
 * red — provider unreachable or timing out (> 7 s), success < 90 %, 401 auth errors,
 * and (the hub's own dependencies) database or Kafka unreachable.
 * The account checks (balance, sender) are graded in account.ts.
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
  /** Email bounce rate (bounced / accepted by the relay) at or above this is yellow… */
  emailBounceYellow: number;
  /** …and at or above this red (mailbox providers throttle senders above a few per cent). */
  emailBounceRed: number;
  /** Email complaint rate (complained / accepted) at or above this is yellow (Gmail's bulk-sender target: 0.1 %)… */
  emailComplaintYellow: number;
  /** …and at or above this red (Gmail's and Yahoo's limit: 0.3 %). */
  emailComplaintRed: number;
  /** Average SMS delivery time (acceptance by the provider to its "delivered" callback) at or above this is yellow (runbook: alert > 30 s)… */
  deliveryTimeYellowMs: number;
  /** …and at or above this red (the runbook gives no red figure: the hub's choice, 2 minutes). */
  deliveryTimeRedMs: number;
  /** Provider account balance below this (in the account's currency) is yellow (runbook: normal > $50)… */
  balanceYellow: number;
  /** …and below this red (runbook: alert < $20). */
  balanceRed: number;
  /** How often the background account checks (balance, sender) ask the provider. */
  accountRefreshMs: number;
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
  emailBounceYellow: 0.02,
  emailBounceRed: 0.05,
  emailComplaintYellow: 0.001,
  emailComplaintRed: 0.003,
  deliveryTimeYellowMs: 30_000,
  deliveryTimeRedMs: 120_000,
  balanceYellow: 50,
  balanceRed: 20,
  accountRefreshMs: 60_000,
};

/** The average delivery time against its thresholds; too few deliveries to judge is green. */
export function deliveryTimeLight(averageMs: number | null, delivered: number, t: Pick<HealthThresholds, 'deliveryTimeYellowMs' | 'deliveryTimeRedMs' | 'minSample'>): { status: Light; sufficient: boolean } {
  const sufficient = averageMs !== null && delivered >= t.minSample;
  if (!sufficient) return { status: 'green', sufficient };
  return { status: ceilingLight(averageMs, t.deliveryTimeYellowMs, t.deliveryTimeRedMs), sufficient };
}

/** A rate against its yellow / red thresholds (at or above each); green below. */
export function ceilingLight(rate: number | null, yellow: number, red: number): Light {
  if (rate === null) return 'green';
  if (rate >= red) return 'red';
  if (rate >= yellow) return 'yellow';
  return 'green';
}

const WORST: Record<Light, number> = { green: 0, yellow: 1, red: 2 };

/**
 * Email's verdict in the window: the relay success rate (accepted / (accepted + failed)) by
 * the delivery-rate thresholds, the bounce rate and the complaint rate by their ceilings;
 * the worst of the three. Fewer than minSample outcomes: too few to judge, green.
 */
export function emailLight(f: { accepted: number; failed: number; bounced: number; complained: number }, t: Pick<HealthThresholds, 'rateGreen' | 'rateYellow' | 'minSample' | 'emailBounceYellow' | 'emailBounceRed' | 'emailComplaintYellow' | 'emailComplaintRed'>): {
  status: Light; sufficient: boolean; successRate: number | null; bounceRate: number | null; complaintRate: number | null;
} {
  const success = deliveryRateLight(f.accepted, f.failed, t);
  const bounceRate = f.accepted > 0 ? f.bounced / f.accepted : null;
  const complaintRate = f.accepted > 0 ? f.complained / f.accepted : null;
  if (!success.sufficient) return { status: 'green', sufficient: false, successRate: success.rate, bounceRate, complaintRate };
  const lights = [success.status, ceilingLight(bounceRate, t.emailBounceYellow, t.emailBounceRed), ceilingLight(complaintRate, t.emailComplaintYellow, t.emailComplaintRed)];
  const status = lights.reduce((w, l) => (WORST[l] > WORST[w] ? l : w), 'green' as Light);
  return { status, sufficient: true, successRate: success.rate, bounceRate, complaintRate };
}

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
