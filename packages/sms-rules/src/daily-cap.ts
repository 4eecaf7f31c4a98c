import { addDays, firstInstantAtOrAfter, wallTimeOf } from './local-time.ts';

/**
 * Daily cap per user, counted in the user's local calendar day.
 *
 * Policy:
 * - Urgent messages bypass the cap: an alert the user asked to receive (urgent_alerts) is
 *   never dropped for having been preceded by routine messages.
 * - Urgent messages still count toward the cap by default (`urgentCountsAgainstCap`,
 *   default true): the cap exists to bound how many texts a person gets per day and what
 *   they cost, and an urgent text is a text. Pass false, with `urgentSentToday`, to let
 *   routine messages use the whole cap whatever the urgent traffic.
 * - `limit` null means no cap; 0 means no routine SMS at all; a negative or NaN limit is
 *   treated as 0 (fail closed), Infinity as no cap.
 * - The caller counts `sentToday` over `localDayBounds(now, timezone)`: messages that were
 *   handed to the provider (or are being), not failed or skipped ones.
 */

export interface DayBounds {
  /** First instant of the local day (inclusive). */
  start: Date;
  /** First instant of the next local day (exclusive). */
  end: Date;
}

/**
 * The UTC instants bounding the local calendar day that contains `now`. A day is 23 or
 * 25 hours long on DST transition days; where midnight itself falls in a gap (e.g. Chile,
 * whose clocks jump from 00:00 to 01:00), the day starts at the first valid instant.
 */
export function localDayBounds(now: Date, timezone: string): DayBounds {
  if (Number.isNaN(now.getTime())) throw new RangeError('localDayBounds: now is an invalid Date');
  const local = wallTimeOf(now, timezone);
  const today = { year: local.year, month: local.month, day: local.day };
  const start = firstInstantAtOrAfter(timezone, { ...today, hour: 0, minute: 0 });
  const end = firstInstantAtOrAfter(timezone, { ...addDays(today, 1), hour: 0, minute: 0 });
  return { start, end };
}

export interface DailyCapInput {
  /** Messages already sent to the user in their local day, urgent ones included. */
  sentToday: number;
  /** Of those, how many were urgent (only used when urgentCountsAgainstCap is false). */
  urgentSentToday?: number;
  limit: number | null;
  urgent: boolean;
  /** Default true: urgent messages use up the cap for routine ones. */
  urgentCountsAgainstCap?: boolean;
}

export type DailyCapDecision =
  /** `remaining` is how many routine messages are left today, null when there is no cap. */
  | { allowed: true; reason: 'urgent' | 'no_limit' | 'under_limit'; remaining: number | null }
  | { allowed: false; reason: 'daily_limit'; remaining: 0 };

export function dailyCapDecision(input: DailyCapInput): DailyCapDecision {
  const limit = effectiveLimit(input.limit);
  const counted = countedToday(input);
  const remaining = limit === Infinity ? null : Math.max(0, limit - counted);
  if (input.urgent) return { allowed: true, reason: 'urgent', remaining };
  if (limit === Infinity) return { allowed: true, reason: 'no_limit', remaining };
  if (counted < limit) return { allowed: true, reason: 'under_limit', remaining };
  return { allowed: false, reason: 'daily_limit', remaining: 0 };
}

function effectiveLimit(limit: number | null): number {
  if (limit === null || limit === Infinity) return Infinity;
  if (!Number.isFinite(limit) || limit < 0) return 0;
  return Math.floor(limit);
}

function countedToday(input: DailyCapInput): number {
  // A count we cannot read (NaN) is treated as "over any limit": fail closed.
  if (Number.isNaN(input.sentToday)) return Infinity;
  const sent = Math.max(0, input.sentToday);
  if (input.urgentCountsAgainstCap ?? true) return sent;
  return Math.max(0, sent - Math.max(0, input.urgentSentToday ?? 0));
}
