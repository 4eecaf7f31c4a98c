import { DateTime, IANAZone } from 'luxon';
import { assertNever } from './assert-never.ts';

/**
 * Local wall-clock time in an IANA zone ↔ UTC instants, with DST handled explicitly
 * rather than by whatever a library does with a time that does not exist or exists twice:
 * - a wall time in a spring-forward gap (02:30 in New York on the second Sunday of March)
 *   never happens; the first instant at which the local clock has passed it is the end of
 *   the gap (03:00 EDT), and that is what `firstInstantAtOrAfter` returns;
 * - a wall time in a fall-back overlap (01:30 in New York on the first Sunday of November)
 *   happens twice; `instantsAt` returns both, earliest first.
 */

export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

export interface WallTime extends LocalDate {
  hour: number;
  minute: number;
}

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

/**
 * Zone names already checked. IANAZone.isValidZone builds an Intl.DateTimeFormat on every
 * call (the costliest step of a delivery's policy decision); the answer for a name never
 * changes while the process runs. Bounded: names come from stored preferences.
 */
const zoneValidity = new Map<string, boolean>();
const MAX_CACHED_ZONES = 10_000;

/** True for a zone name the runtime's IANA database knows ("Europe/London", "UTC"). */
export function isValidTimezone(timezone: unknown): timezone is string {
  if (typeof timezone !== 'string' || timezone.trim() === '') return false;
  const known = zoneValidity.get(timezone);
  if (known !== undefined) return known;
  const valid = IANAZone.isValidZone(timezone);
  if (zoneValidity.size >= MAX_CACHED_ZONES) zoneValidity.clear();
  zoneValidity.set(timezone, valid);
  return valid;
}

export function assertTimezone(timezone: string): IANAZone {
  if (!isValidTimezone(timezone)) throw new RangeError(`unknown IANA timezone "${String(timezone)}"`);
  return IANAZone.create(timezone);
}

/** The local calendar date and time of an instant. */
export function wallTimeOf(instant: Date, timezone: string): WallTime & { second: number } {
  assertTimezone(timezone);
  const local = DateTime.fromMillis(instant.getTime(), { zone: timezone });
  return { year: local.year, month: local.month, day: local.day, hour: local.hour, minute: local.minute, second: local.second };
}

/** The calendar date `days` after `date` (pure calendar arithmetic, no zone involved). */
export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day) + days * DAY_MS);
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

export type WallTimeResolution =
  | { kind: 'unique'; instant: Date }
  | { kind: 'ambiguous'; earlier: Date; later: Date }
  | { kind: 'gap'; next: Date };

/** Every way a local wall time maps onto the UTC timeline. */
export function resolveWallTime(timezone: string, wall: WallTime): WallTimeResolution {
  const zone = assertTimezone(timezone);
  const asUtc = Date.UTC(wall.year, wall.month - 1, wall.day, wall.hour, wall.minute);
  // A zone changes offset at most once within a day either side of any wall time, so the
  // offsets a day before and a day after are the only candidates.
  const offsets = [...new Set([zone.offset(asUtc - DAY_MS), zone.offset(asUtc), zone.offset(asUtc + DAY_MS)])];
  const candidates = offsets.map((offset) => asUtc - offset * MINUTE_MS);
  const instants = candidates.filter((instant) => asUtc - zone.offset(instant) * MINUTE_MS === instant).sort((a, b) => a - b);
  const [first, second] = instants;
  if (first !== undefined && second !== undefined) return { kind: 'ambiguous', earlier: new Date(first), later: new Date(second) };
  if (first !== undefined) return { kind: 'unique', instant: new Date(first) };
  return { kind: 'gap', next: new Date(transitionBetween(zone, Math.min(...candidates), Math.max(...candidates))) };
}

/** The instants at which the local clock reads `wall`, earliest first (one, or two in an overlap); for a gap, its end. */
export function instantsAt(timezone: string, wall: WallTime): Date[] {
  const resolved = resolveWallTime(timezone, wall);
  switch (resolved.kind) {
    case 'unique':
      return [resolved.instant];
    case 'ambiguous':
      return [resolved.earlier, resolved.later];
    case 'gap':
      return [resolved.next];
    default:
      return assertNever(resolved, 'wall time resolution');
  }
}

/** The first instant at which the local clock reads `wall` or, if it never does (a gap), has just passed it. */
export function firstInstantAtOrAfter(timezone: string, wall: WallTime): Date {
  return instantsAt(timezone, wall)[0] as Date;
}

/** The first millisecond in (lo, hi] whose offset differs from lo's (binary search). */
function transitionBetween(zone: IANAZone, lo: number, hi: number): number {
  const before = zone.offset(lo);
  let low = lo;
  let high = hi;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (zone.offset(mid) === before) low = mid;
    else high = mid;
  }
  return high;
}
