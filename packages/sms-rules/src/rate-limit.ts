/**
 * Per-user SMS rate limits (the seeds' SMS_RATE_LIMIT_PER_MINUTE / _PER_HOUR, 10 and 100):
 * bounds on how many messages one person is handed in any rolling minute and hour, against
 * SMS bombing. Pure: the caller gives the start times of the user's recent sends (those
 * handed to the provider) and gets back whether one more may go now, or when it may.
 *
 * A window is rolling: with a limit of N per minute and N sends in the last 60 s, the next
 * may go once the oldest of the N most recent is 60 s old. Both windows must allow it; the
 * later of the two release times wins. A limit of 0 disables that window.
 */

export interface RateLimits {
  perMinute: number;
  perHour: number;
}

export type RateLimitDecision =
  | { allowed: true }
  | { allowed: false; window: 'minute' | 'hour'; until: Date; count: number; limit: number };

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;

/** How many recent send times the caller must load: the larger limit (the hour's, normally). */
export function rateLimitLookback(limits: RateLimits): number {
  return Math.max(limits.perMinute, limits.perHour, 0);
}

export function rateLimitDecision(input: { now: Date; recentSends: readonly Date[]; limits: RateLimits }): RateLimitDecision {
  const now = input.now.getTime();
  // Newest first; only the past hour matters.
  const sends = input.recentSends.map((d) => d.getTime()).filter((t) => t > now - HOUR_MS && t <= now).sort((a, b) => b - a);
  let worst: RateLimitDecision = { allowed: true };
  for (const [window, span, limit] of [['minute', MINUTE_MS, input.limits.perMinute], ['hour', HOUR_MS, input.limits.perHour]] as const) {
    if (limit <= 0) continue;
    const inWindow = sends.filter((t) => t > now - span);
    if (inWindow.length < limit) continue;
    // The limit-th most recent send must leave the window before one more may go.
    const until = new Date(inWindow[limit - 1]! + span);
    if (worst.allowed || until.getTime() > worst.until.getTime()) worst = { allowed: false, window, until, count: inWindow.length, limit };
  }
  return worst;
}
