import { describe, expect, it } from 'vitest';
import { addDays, firstInstantAtOrAfter, instantsAt, isValidTimezone, resolveWallTime, wallTimeOf } from '../src/local-time.ts';

const at = (s: string) => new Date(s);

describe('isValidTimezone', () => {
  it.each(['America/New_York', 'Europe/London', 'Asia/Kolkata', 'UTC', 'Etc/GMT+5', 'Australia/Lord_Howe', 'US/Pacific', 'Europe/Kiev'])('accepts %s', (tz) => {
    expect(isValidTimezone(tz)).toBe(true);
  });

  it.each(['', '  ', 'Mars/Olympus', 'Pacific', 'America/NewYork', 'GMT+25', 'UTC+3', '+05:00'])('rejects %j', (tz) => {
    expect(isValidTimezone(tz)).toBe(false);
  });

  it('rejects non-strings', () => {
    expect(isValidTimezone(null)).toBe(false);
    expect(isValidTimezone(5)).toBe(false);
  });
});

describe('resolveWallTime', () => {
  it('maps an ordinary wall time to one instant', () => {
    expect(resolveWallTime('America/New_York', { year: 2024, month: 7, day: 1, hour: 9, minute: 0 })).toEqual({
      kind: 'unique',
      instant: at('2024-07-01T13:00:00Z'),
    });
  });

  it('resolves a time in the New York spring-forward gap to the end of the gap', () => {
    // 2024-03-10: 02:00 EST becomes 03:00 EDT (07:00Z); 02:30 never happens.
    expect(resolveWallTime('America/New_York', { year: 2024, month: 3, day: 10, hour: 2, minute: 30 })).toEqual({
      kind: 'gap',
      next: at('2024-03-10T07:00:00Z'),
    });
  });

  it('returns both occurrences of a time in the New York fall-back overlap, earliest first', () => {
    expect(resolveWallTime('America/New_York', { year: 2024, month: 11, day: 3, hour: 1, minute: 30 })).toEqual({
      kind: 'ambiguous',
      earlier: at('2024-11-03T05:30:00Z'),
      later: at('2024-11-03T06:30:00Z'),
    });
  });

  it('handles the London transitions', () => {
    expect(resolveWallTime('Europe/London', { year: 2024, month: 3, day: 31, hour: 1, minute: 30 })).toEqual({
      kind: 'gap',
      next: at('2024-03-31T01:00:00Z'),
    });
    expect(resolveWallTime('Europe/London', { year: 2024, month: 10, day: 27, hour: 1, minute: 30 })).toEqual({
      kind: 'ambiguous',
      earlier: at('2024-10-27T00:30:00Z'),
      later: at('2024-10-27T01:30:00Z'),
    });
  });

  it('handles a half-hour DST shift (Lord Howe Island)', () => {
    // 2024-10-06 02:00 +10:30 becomes 02:30 +11:00; 02:15 never happens.
    expect(resolveWallTime('Australia/Lord_Howe', { year: 2024, month: 10, day: 6, hour: 2, minute: 15 })).toEqual({
      kind: 'gap',
      next: at('2024-10-05T15:30:00Z'),
    });
  });

  it('handles a skipped calendar day (Samoa, 30 December 2011)', () => {
    expect(resolveWallTime('Pacific/Apia', { year: 2011, month: 12, day: 30, hour: 12, minute: 0 })).toEqual({
      kind: 'gap',
      next: at('2011-12-30T10:00:00Z'),
    });
  });

  it('throws on an unknown zone', () => {
    expect(() => resolveWallTime('Nowhere/Land', { year: 2024, month: 1, day: 1, hour: 0, minute: 0 })).toThrow(RangeError);
  });
});

describe('instantsAt / firstInstantAtOrAfter', () => {
  it('picks the first occurrence in an overlap and the gap end in a gap', () => {
    const overlap = { year: 2024, month: 11, day: 3, hour: 1, minute: 0 };
    expect(instantsAt('America/New_York', overlap)).toEqual([at('2024-11-03T05:00:00Z'), at('2024-11-03T06:00:00Z')]);
    expect(firstInstantAtOrAfter('America/New_York', overlap)).toEqual(at('2024-11-03T05:00:00Z'));
    expect(firstInstantAtOrAfter('America/New_York', { year: 2024, month: 3, day: 10, hour: 2, minute: 0 })).toEqual(
      at('2024-03-10T07:00:00Z'),
    );
  });
});

describe('wallTimeOf / addDays', () => {
  it('reads the local wall time of an instant', () => {
    expect(wallTimeOf(at('2024-11-03T06:30:00Z'), 'America/New_York')).toEqual({ year: 2024, month: 11, day: 3, hour: 1, minute: 30, second: 0 });
    expect(wallTimeOf(at('2024-01-01T04:59:59Z'), 'America/New_York')).toMatchObject({ year: 2023, month: 12, day: 31, hour: 23 });
  });

  it('adds calendar days across month, year and leap-day boundaries', () => {
    expect(addDays({ year: 2024, month: 2, day: 28 }, 1)).toEqual({ year: 2024, month: 2, day: 29 });
    expect(addDays({ year: 2023, month: 2, day: 28 }, 1)).toEqual({ year: 2023, month: 3, day: 1 });
    expect(addDays({ year: 2024, month: 12, day: 31 }, 1)).toEqual({ year: 2025, month: 1, day: 1 });
    expect(addDays({ year: 2025, month: 1, day: 1 }, -1)).toEqual({ year: 2024, month: 12, day: 31 });
  });
});
