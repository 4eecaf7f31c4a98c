import { describe, expect, it } from 'vitest';
import { dailyCapDecision, localDayBounds } from '../src/daily-cap.ts';

const at = (s: string) => new Date(s);
const HOUR = 3_600_000;
const hours = (b: { start: Date; end: Date }) => (b.end.getTime() - b.start.getTime()) / HOUR;

describe('localDayBounds', () => {
  it('gives the local calendar day as UTC instants', () => {
    const b = localDayBounds(at('2024-07-01T15:00:00Z'), 'America/New_York');
    expect(b).toEqual({ start: at('2024-07-01T04:00:00Z'), end: at('2024-07-02T04:00:00Z') });
    expect(hours(b)).toBe(24);
  });

  it('uses the local date, not the UTC date', () => {
    // 02:00Z on 2 July is still 1 July in New York (22:00 EDT) but 2 July in London.
    expect(localDayBounds(at('2024-07-02T02:00:00Z'), 'America/New_York').start).toEqual(at('2024-07-01T04:00:00Z'));
    expect(localDayBounds(at('2024-07-02T02:00:00Z'), 'Europe/London').start).toEqual(at('2024-07-01T23:00:00Z'));
  });

  it('includes the first instant of the day and excludes the first instant of the next', () => {
    expect(localDayBounds(at('2024-07-01T04:00:00Z'), 'America/New_York').start).toEqual(at('2024-07-01T04:00:00Z'));
    expect(localDayBounds(at('2024-07-02T03:59:59.999Z'), 'America/New_York').start).toEqual(at('2024-07-01T04:00:00Z'));
    expect(localDayBounds(at('2024-07-02T04:00:00Z'), 'America/New_York').start).toEqual(at('2024-07-02T04:00:00Z'));
  });

  it('New York: spring-forward day is 23 hours, fall-back day 25', () => {
    const spring = localDayBounds(at('2024-03-10T12:00:00Z'), 'America/New_York');
    expect(spring).toEqual({ start: at('2024-03-10T05:00:00Z'), end: at('2024-03-11T04:00:00Z') });
    expect(hours(spring)).toBe(23);
    const fall = localDayBounds(at('2024-11-03T12:00:00Z'), 'America/New_York');
    expect(fall).toEqual({ start: at('2024-11-03T04:00:00Z'), end: at('2024-11-04T05:00:00Z') });
    expect(hours(fall)).toBe(25);
  });

  it('London: spring-forward day is 23 hours, fall-back day 25', () => {
    expect(hours(localDayBounds(at('2024-03-31T12:00:00Z'), 'Europe/London'))).toBe(23);
    expect(hours(localDayBounds(at('2024-10-27T12:00:00Z'), 'Europe/London'))).toBe(25);
    expect(localDayBounds(at('2024-10-27T12:00:00Z'), 'Europe/London')).toEqual({
      start: at('2024-10-26T23:00:00Z'),
      end: at('2024-10-28T00:00:00Z'),
    });
  });

  it('starts the day at the first valid instant when midnight itself is skipped (Chile)', () => {
    // 2024-09-08 in Santiago: 00:00 −04 becomes 01:00 −03, so the day starts at 04:00Z.
    const b = localDayBounds(at('2024-09-08T12:00:00Z'), 'America/Santiago');
    expect(b).toEqual({ start: at('2024-09-08T04:00:00Z'), end: at('2024-09-09T03:00:00Z') });
    expect(hours(b)).toBe(23);
  });

  it('keeps counting right on a half-hour-offset zone', () => {
    expect(localDayBounds(at('2024-07-01T20:00:00Z'), 'Asia/Kolkata')).toEqual({
      start: at('2024-07-01T18:30:00Z'),
      end: at('2024-07-02T18:30:00Z'),
    });
  });

  it('throws on an unknown zone or an invalid Date', () => {
    expect(() => localDayBounds(at('2024-07-01T00:00:00Z'), 'Not/AZone')).toThrow(RangeError);
    expect(() => localDayBounds(new Date(Number.NaN), 'UTC')).toThrow(RangeError);
  });
});

describe('dailyCapDecision', () => {
  it('allows routine messages under the limit and says how many remain', () => {
    expect(dailyCapDecision({ sentToday: 0, limit: 10, urgent: false })).toEqual({ allowed: true, reason: 'under_limit', remaining: 10 });
    expect(dailyCapDecision({ sentToday: 9, limit: 10, urgent: false })).toEqual({ allowed: true, reason: 'under_limit', remaining: 1 });
  });

  it('refuses routine messages at and over the limit', () => {
    expect(dailyCapDecision({ sentToday: 10, limit: 10, urgent: false })).toEqual({ allowed: false, reason: 'daily_limit', remaining: 0 });
    expect(dailyCapDecision({ sentToday: 12, limit: 10, urgent: false })).toEqual({ allowed: false, reason: 'daily_limit', remaining: 0 });
  });

  it('lets urgent messages bypass the cap', () => {
    expect(dailyCapDecision({ sentToday: 10, limit: 10, urgent: true })).toEqual({ allowed: true, reason: 'urgent', remaining: 0 });
    expect(dailyCapDecision({ sentToday: 50, limit: 0, urgent: true })).toMatchObject({ allowed: true, reason: 'urgent' });
  });

  it('counts urgent messages against the cap by default', () => {
    // 3 routine + 7 urgent = 10 sent: the next routine message is over a cap of 10.
    expect(dailyCapDecision({ sentToday: 10, urgentSentToday: 7, limit: 10, urgent: false })).toMatchObject({ allowed: false });
  });

  it('can leave urgent messages out of the count', () => {
    expect(
      dailyCapDecision({ sentToday: 10, urgentSentToday: 7, limit: 10, urgent: false, urgentCountsAgainstCap: false }),
    ).toEqual({ allowed: true, reason: 'under_limit', remaining: 7 });
    expect(
      dailyCapDecision({ sentToday: 17, urgentSentToday: 7, limit: 10, urgent: false, urgentCountsAgainstCap: false }),
    ).toMatchObject({ allowed: false });
  });

  it('has no cap when the limit is null or Infinity', () => {
    expect(dailyCapDecision({ sentToday: 1000, limit: null, urgent: false })).toEqual({ allowed: true, reason: 'no_limit', remaining: null });
    expect(dailyCapDecision({ sentToday: 1000, limit: Infinity, urgent: false })).toMatchObject({ allowed: true, reason: 'no_limit' });
  });

  it('allows no routine SMS with a limit of 0, and fails closed on a negative or NaN limit or count', () => {
    expect(dailyCapDecision({ sentToday: 0, limit: 0, urgent: false })).toMatchObject({ allowed: false });
    expect(dailyCapDecision({ sentToday: 0, limit: -5, urgent: false })).toMatchObject({ allowed: false });
    expect(dailyCapDecision({ sentToday: 0, limit: Number.NaN, urgent: false })).toMatchObject({ allowed: false });
    expect(dailyCapDecision({ sentToday: Number.NaN, limit: 10, urgent: false })).toMatchObject({ allowed: false });
  });

  it('rounds a fractional limit down', () => {
    expect(dailyCapDecision({ sentToday: 2, limit: 2.9, urgent: false })).toMatchObject({ allowed: false });
  });
});
