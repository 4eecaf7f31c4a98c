import { addDays, assertTimezone, instantsAt, wallTimeOf, type LocalDate } from './local-time.ts';

/**
 * Quiet hours: a daily window of local wall-clock time during which non-urgent SMS wait.
 *
 * - The window is [start, end): 22:00–07:00 is quiet from 22:00:00 up to 06:59:59, and a
 *   message at 07:00 goes out. start > end means the window crosses midnight.
 * - start == end is *no* window (not 24 hours): "never text me" is what the per-type
 *   toggles and opt-out are for; an accidental 00:00–00:00 must not silence every SMS.
 * - A missing start or end (null) means no quiet hours.
 * - Urgent messages bypass quiet hours.
 * - Inside the window a message is deferred, never dropped, to the window's end: the first
 *   instant after `now` at which the local clock reads `end`. On a fall-back day an end
 *   time that occurs twice resolves to its first occurrence still in the future; on a
 *   spring-forward day an end time that never occurs resolves to the end of the gap (the
 *   next valid instant, e.g. 03:00 EDT for a 02:30 end in New York).
 * - Membership is decided by the local wall clock, so in the repeated hour of a fall-back
 *   night both passes of, say, 01:15 are inside a window that covers 01:15.
 * Invalid input (unknown zone, malformed HH:MM, invalid Date) throws a RangeError: it is a
 * bug or bad data to be fixed at the boundary (see isValidTimezone/parseHHMM), not a policy.
 */

export interface HHMM {
  hour: number;
  minute: number;
}

const HHMM_PATTERN = /^([01]\d|2[0-3]):([0-5]\d)$/;

/** "07:30" → { hour: 7, minute: 30 }; null for anything that is not a 24-hour HH:MM. */
export function parseHHMM(value: string): HHMM | null {
  const match = HHMM_PATTERN.exec(value.trim());
  if (!match) return null;
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

export interface QuietHoursInput {
  now: Date;
  timezone: string;
  start: string | null;
  end: string | null;
  urgent: boolean;
}

export type QuietHoursDecision =
  | { action: 'send'; reason: 'no_window' | 'urgent' | 'outside_window' }
  | { action: 'defer'; until: Date };

export function quietHoursDecision(input: QuietHoursInput): QuietHoursDecision {
  const { now, timezone } = input;
  if (Number.isNaN(now.getTime())) throw new RangeError('quietHoursDecision: now is an invalid Date');
  if (input.start === null || input.end === null) return { action: 'send', reason: 'no_window' };
  // Urgent goes out whatever the settings say, even if they are malformed.
  if (input.urgent) return { action: 'send', reason: 'urgent' };
  const start = requireHHMM(input.start, 'start');
  const end = requireHHMM(input.end, 'end');
  const startMin = start.hour * 60 + start.minute;
  const endMin = end.hour * 60 + end.minute;
  if (startMin === endMin) return { action: 'send', reason: 'no_window' };
  assertTimezone(timezone);

  const local = wallTimeOf(now, timezone);
  const nowMin = local.hour * 60 + local.minute;
  const crossesMidnight = startMin > endMin;
  const inside = crossesMidnight ? nowMin >= startMin || nowMin < endMin : nowMin >= startMin && nowMin < endMin;
  if (!inside) return { action: 'send', reason: 'outside_window' };

  // The window ends on the same local date, unless it crosses midnight and we are in its
  // evening part. Look one more day ahead in case that occurrence is already behind `now`
  // (possible only around a fall-back transition).
  const today: LocalDate = { year: local.year, month: local.month, day: local.day };
  const endDate = crossesMidnight && nowMin >= startMin ? addDays(today, 1) : today;
  for (const date of [endDate, addDays(endDate, 1)]) {
    const until = instantsAt(timezone, { ...date, ...end }).find((instant) => instant.getTime() > now.getTime());
    if (until) return { action: 'defer', until };
  }
  throw new Error('quietHoursDecision: no end of the quiet window found after now');
}

function requireHHMM(value: string, name: string): HHMM {
  const parsed = parseHHMM(value);
  if (!parsed) throw new RangeError(`quiet hours ${name} "${value}" is not HH:MM (00:00–23:59)`);
  return parsed;
}
