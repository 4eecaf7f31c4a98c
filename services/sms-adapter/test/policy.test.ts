import { describe, expect, it } from 'vitest';
import { capDayBounds, decidePolicy, effectiveTimezone, preferenceFor, type PolicyInput } from '../src/policy.ts';

const base = (over: Partial<PolicyInput> = {}, prefs: Partial<NonNullable<PolicyInput['prefs']>> = {}): PolicyInput => ({
  now: new Date('2026-06-01T15:00:00Z'),
  eventType: 'task.reminder',
  priority: 'normal',
  sentToday: 0,
  allowedCountries: ['US', 'CA'],
  prefs: {
    phoneNumber: '+15005550006',
    phoneVerified: true,
    optedOut: false,
    taskReminders: true,
    dailyBriefSms: true,
    urgentAlerts: true,
    quietHoursStart: null,
    quietHoursEnd: null,
    timezone: 'UTC',
    dailySmsLimit: 10,
    ...prefs,
  },
  ...over,
});

describe('sms policy', () => {
  it('sends when every rule allows it', () => {
    expect(decidePolicy(base())).toEqual({ action: 'send', urgent: false });
  });
  it('skips without preferences or phone', () => {
    expect(decidePolicy(base({ prefs: null }))).toMatchObject({ action: 'skip', reason: 'no_phone' });
    expect(decidePolicy(base({}, { phoneNumber: null }))).toMatchObject({ action: 'skip', reason: 'no_phone' });
  });
  it('opt-out wins over everything, even urgent', () => {
    expect(decidePolicy(base({ priority: 'urgent' }, { optedOut: true }))).toMatchObject({ action: 'skip', reason: 'opted_out' });
  });
  it('skips an unverified phone', () => {
    expect(decidePolicy(base({}, { phoneVerified: false }))).toMatchObject({ action: 'skip', reason: 'unverified' });
  });
  it('skips a destination outside the allowed countries', () => {
    expect(decidePolicy(base({}, { phoneNumber: '+442079460958' }))).toMatchObject({ action: 'skip', reason: 'country_not_allowed', detail: 'GB' });
  });
  it('honours the per-type preference toggles', () => {
    expect(decidePolicy(base({}, { taskReminders: false }))).toMatchObject({ action: 'skip', reason: 'preference_off' });
    expect(decidePolicy(base({ eventType: 'brief.ready' }, { dailyBriefSms: false }))).toMatchObject({ action: 'skip', reason: 'preference_off' });
    expect(decidePolicy(base({ eventType: 'other.thing' }, { taskReminders: false, dailyBriefSms: false }))).toMatchObject({ action: 'send' });
  });
  it('defers inside quiet hours to the end of the window, but not urgent', () => {
    const quiet = { quietHoursStart: '22:00', quietHoursEnd: '07:00', timezone: 'America/New_York' };
    const at = new Date('2026-06-02T03:00:00Z'); // 23:00 in New York (EDT)
    expect(decidePolicy(base({ now: at }, quiet))).toEqual({ action: 'defer', until: new Date('2026-06-02T11:00:00Z') });
    expect(decidePolicy(base({ now: at, priority: 'urgent' }, quiet))).toEqual({ action: 'send', urgent: true });
  });
  it('skips over the daily cap, except urgent', () => {
    expect(decidePolicy(base({ sentToday: 10 }))).toMatchObject({ action: 'skip', reason: 'daily_limit' });
    expect(decidePolicy(base({ sentToday: 9 }))).toMatchObject({ action: 'send' });
    expect(decidePolicy(base({ sentToday: 10, eventType: 'task.urgent' }))).toEqual({ action: 'send', urgent: true });
  });
  it('maps event types to preference toggles', () => {
    expect(preferenceFor('task.reminder', 'normal')).toBe('taskReminders');
    expect(preferenceFor('brief.ready', 'low')).toBe('dailyBriefSms');
    expect(preferenceFor('anything', 'urgent')).toBe('urgentAlerts');
    expect(preferenceFor('user.signup', 'normal')).toBeNull();
  });

  it('fails (does not throw) on an unknown timezone, but urgent still goes', () => {
    const bad = { timezone: 'Mars/Olympus_Mons', quietHoursStart: '22:00', quietHoursEnd: '07:00' };
    expect(decidePolicy(base({}, bad))).toMatchObject({ action: 'fail', code: 'invalid_timezone' });
    expect(decidePolicy(base({}, { timezone: 'Mars/Olympus_Mons' }))).toMatchObject({ action: 'fail', code: 'invalid_timezone' });
    expect(decidePolicy(base({ priority: 'urgent' }, bad))).toEqual({ action: 'send', urgent: true });
  });
  it('fails on a malformed quiet-hours bound; a single bound is no window', () => {
    expect(decidePolicy(base({}, { quietHoursStart: '25:00', quietHoursEnd: '07:00' }))).toMatchObject({ action: 'fail', code: 'invalid_quiet_hours' });
    expect(decidePolicy(base({}, { quietHoursStart: '22:00', quietHoursEnd: '7am' }))).toMatchObject({ action: 'fail', code: 'invalid_quiet_hours' });
    expect(decidePolicy(base({}, { quietHoursStart: 'nonsense', quietHoursEnd: null }))).toMatchObject({ action: 'send' });
    expect(decidePolicy(base({ eventType: 'task.urgent' }, { quietHoursStart: '25:00', quietHoursEnd: '07:00' }))).toEqual({ action: 'send', urgent: true });
  });
  it('skip reasons come before setting errors (an opted-out user with a bad zone is skipped)', () => {
    expect(decidePolicy(base({}, { optedOut: true, timezone: 'Nope/Nope' }))).toMatchObject({ action: 'skip', reason: 'opted_out' });
  });
  it('counts the cap over the local day, and never throws on a bad zone', () => {
    const now = new Date('2026-06-02T03:00:00Z'); // 23:00 on June 1st in New York
    expect(capDayBounds(now, 'America/New_York')).toEqual({ start: new Date('2026-06-01T04:00:00Z'), end: new Date('2026-06-02T04:00:00Z') });
    expect(capDayBounds(now, 'Not/AZone')).toEqual({ start: new Date('2026-06-02T00:00:00Z'), end: new Date('2026-06-03T00:00:00Z') });
  });
  it('urgent bypasses the cap but a routine message after it is still capped', () => {
    expect(decidePolicy(base({ sentToday: 2, priority: 'urgent' }, { dailySmsLimit: 2 }))).toEqual({ action: 'send', urgent: true });
    expect(decidePolicy(base({ sentToday: 3 }, { dailySmsLimit: 2 }))).toMatchObject({ action: 'skip', reason: 'daily_limit' });
    expect(decidePolicy(base({ sentToday: 0 }, { dailySmsLimit: 0 }))).toMatchObject({ action: 'skip', reason: 'daily_limit' });
  });
  it('prefers the preferences timezone over the user one', () => {
    expect(effectiveTimezone('Europe/Paris', 'UTC')).toBe('Europe/Paris');
    expect(effectiveTimezone(null, 'America/Chicago')).toBe('America/Chicago');
    expect(effectiveTimezone(' ', 'UTC')).toBe('UTC');
  });
});
