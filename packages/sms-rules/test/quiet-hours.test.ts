import { describe, expect, it } from 'vitest';
import { parseHHMM, quietHoursDecision, type QuietHoursInput } from '../src/quiet-hours.ts';

const at = (s: string) => new Date(s);

function decide(overrides: Partial<QuietHoursInput> & Pick<QuietHoursInput, 'now'>) {
  return quietHoursDecision({ timezone: 'America/New_York', start: '22:00', end: '07:00', urgent: false, ...overrides });
}

describe('parseHHMM', () => {
  it.each([
    ['00:00', { hour: 0, minute: 0 }],
    ['07:30', { hour: 7, minute: 30 }],
    ['23:59', { hour: 23, minute: 59 }],
    [' 21:00 ', { hour: 21, minute: 0 }],
  ])('parses %j', (input, expected) => expect(parseHHMM(input)).toEqual(expected));

  it.each(['24:00', '7:30', '07:60', '0730', '07:30:00', '', 'ab:cd', '-1:00'])('rejects %j', (input) => {
    expect(parseHHMM(input)).toBeNull();
  });
});

describe('quietHoursDecision: no window', () => {
  it('sends when start or end is null', () => {
    expect(decide({ now: at('2024-07-01T06:00:00Z'), start: null })).toEqual({ action: 'send', reason: 'no_window' });
    expect(decide({ now: at('2024-07-01T06:00:00Z'), end: null })).toEqual({ action: 'send', reason: 'no_window' });
  });

  it('treats start == end as no window, not a 24-hour one', () => {
    expect(decide({ now: at('2024-07-01T06:00:00Z'), start: '22:00', end: '22:00' })).toEqual({ action: 'send', reason: 'no_window' });
    expect(decide({ now: at('2024-07-01T04:00:00Z'), start: '00:00', end: '00:00' })).toEqual({ action: 'send', reason: 'no_window' });
  });
});

describe('quietHoursDecision: a window crossing midnight (22:00–07:00, New York, EDT = UTC−4)', () => {
  it('sends before the window starts', () => {
    expect(decide({ now: at('2024-07-02T01:59:59Z') })).toEqual({ action: 'send', reason: 'outside_window' }); // 21:59:59
  });

  it('defers from the start minute to 07:00 the next morning', () => {
    expect(decide({ now: at('2024-07-02T02:00:00Z') })).toEqual({ action: 'defer', until: at('2024-07-02T11:00:00Z') }); // 22:00
    expect(decide({ now: at('2024-07-02T03:59:00Z') })).toEqual({ action: 'defer', until: at('2024-07-02T11:00:00Z') }); // 23:59
  });

  it('defers after midnight to 07:00 the same morning', () => {
    expect(decide({ now: at('2024-07-02T04:00:00Z') })).toEqual({ action: 'defer', until: at('2024-07-02T11:00:00Z') }); // 00:00
    expect(decide({ now: at('2024-07-02T10:59:59Z') })).toEqual({ action: 'defer', until: at('2024-07-02T11:00:00Z') }); // 06:59:59
  });

  it('sends from the end minute on (the window is [start, end))', () => {
    expect(decide({ now: at('2024-07-02T11:00:00Z') })).toEqual({ action: 'send', reason: 'outside_window' }); // 07:00
    expect(decide({ now: at('2024-07-02T16:00:00Z') })).toEqual({ action: 'send', reason: 'outside_window' }); // noon
  });

  it('defers across the end of a month and a year', () => {
    expect(decide({ now: at('2025-01-01T03:30:00Z') })).toEqual({ action: 'defer', until: at('2025-01-01T12:00:00Z') }); // 22:30 Dec 31 EST
  });

  it('lets urgent messages through', () => {
    expect(decide({ now: at('2024-07-02T04:00:00Z'), urgent: true })).toEqual({ action: 'send', reason: 'urgent' });
  });
});

describe('quietHoursDecision: a window within one day', () => {
  it('defers inside 13:00–15:00 to 15:00 and sends outside', () => {
    const base = { start: '13:00', end: '15:00', timezone: 'Europe/London' };
    expect(decide({ ...base, now: at('2024-07-01T12:00:00Z') })).toEqual({ action: 'defer', until: at('2024-07-01T14:00:00Z') }); // 13:00 BST
    expect(decide({ ...base, now: at('2024-07-01T11:59:00Z') })).toMatchObject({ action: 'send' }); // 12:59
    expect(decide({ ...base, now: at('2024-07-01T14:00:00Z') })).toMatchObject({ action: 'send' }); // 15:00
  });

  it('handles a window starting at midnight', () => {
    const base = { start: '00:00', end: '06:00', timezone: 'UTC' };
    expect(decide({ ...base, now: at('2024-07-01T00:00:00Z') })).toEqual({ action: 'defer', until: at('2024-07-01T06:00:00Z') });
    expect(decide({ ...base, now: at('2024-06-30T23:59:00Z') })).toMatchObject({ action: 'send' });
  });
});

describe('quietHoursDecision: the user\'s timezone decides', () => {
  it('reads the same instant differently in different zones', () => {
    const now = at('2024-07-02T03:00:00Z'); // 23:00 in New York, 04:00 in London, 08:30 in Kolkata
    expect(decide({ now, timezone: 'America/New_York' })).toEqual({ action: 'defer', until: at('2024-07-02T11:00:00Z') });
    expect(decide({ now, timezone: 'Europe/London' })).toEqual({ action: 'defer', until: at('2024-07-02T06:00:00Z') });
    expect(decide({ now, timezone: 'Asia/Kolkata' })).toEqual({ action: 'send', reason: 'outside_window' });
  });
});

describe('quietHoursDecision: DST days', () => {
  it('New York spring forward: a 07:00 end is 11:00Z (EDT) on the morning after the change', () => {
    // 2024-03-10 00:30 EST = 05:30Z, inside 22:00–07:00; 07:00 that day is already EDT.
    expect(decide({ now: at('2024-03-10T05:30:00Z') })).toEqual({ action: 'defer', until: at('2024-03-10T11:00:00Z') });
  });

  it('New York spring forward: an end inside the gap resolves to the next valid instant', () => {
    // Window 01:00–02:30; 02:30 does not exist on 2024-03-10, the clock jumps 02:00 → 03:00 EDT.
    const base = { start: '01:00', end: '02:30' };
    expect(decide({ ...base, now: at('2024-03-10T06:15:00Z') })).toEqual({ action: 'defer', until: at('2024-03-10T07:00:00Z') }); // 01:15 EST
  });

  it('New York fall back: a 07:00 end is 12:00Z (EST) after the change', () => {
    expect(decide({ now: at('2024-11-03T04:30:00Z') })).toEqual({ action: 'defer', until: at('2024-11-03T12:00:00Z') }); // 00:30 EDT
  });

  it('New York fall back: an end in the repeated hour is its first occurrence', () => {
    // Window 00:00–01:30; 01:30 happens at 05:30Z (EDT) and again at 06:30Z (EST).
    const base = { start: '00:00', end: '01:30' };
    expect(decide({ ...base, now: at('2024-11-03T04:10:00Z') })).toEqual({ action: 'defer', until: at('2024-11-03T05:30:00Z') }); // 00:10 EDT
  });

  it('New York fall back: in the second pass of the repeated hour, the end still ahead is used', () => {
    // 01:10 EST (06:10Z) reads inside 00:00–01:30 again; 05:30Z is past, so 06:30Z.
    const base = { start: '00:00', end: '01:30' };
    expect(decide({ ...base, now: at('2024-11-03T06:10:00Z') })).toEqual({ action: 'defer', until: at('2024-11-03T06:30:00Z') });
  });

  it('London spring forward: an end at 01:30 (in the gap) resolves to 02:00 BST = 01:00Z', () => {
    const base = { start: '23:00', end: '01:30', timezone: 'Europe/London' };
    expect(decide({ ...base, now: at('2024-03-30T23:30:00Z') })).toEqual({ action: 'defer', until: at('2024-03-31T01:00:00Z') }); // 23:30 GMT
    expect(decide({ ...base, now: at('2024-03-31T00:59:00Z') })).toEqual({ action: 'defer', until: at('2024-03-31T01:00:00Z') }); // 00:59 GMT
  });

  it('London fall back: an end at 01:30 resolves to the first occurrence (BST)', () => {
    const base = { start: '23:00', end: '01:30', timezone: 'Europe/London' };
    expect(decide({ ...base, now: at('2024-10-26T22:30:00Z') })).toEqual({ action: 'defer', until: at('2024-10-27T00:30:00Z') }); // 23:30 BST
  });

  it('London: a 22:00–07:00 night across each change lasts 8 or 10 hours of real time', () => {
    const base = { timezone: 'Europe/London' };
    expect(decide({ ...base, now: at('2024-03-30T22:00:00Z') })).toEqual({ action: 'defer', until: at('2024-03-31T06:00:00Z') }); // 22:00 GMT → 07:00 BST
    expect(decide({ ...base, now: at('2024-10-26T21:00:00Z') })).toEqual({ action: 'defer', until: at('2024-10-27T07:00:00Z') }); // 22:00 BST → 07:00 GMT
  });
});

describe('quietHoursDecision: invalid input', () => {
  it('throws on an unknown timezone, a malformed time or an invalid Date', () => {
    expect(() => decide({ now: at('2024-07-02T04:00:00Z'), timezone: 'Mars/Base' })).toThrow(RangeError);
    expect(() => decide({ now: at('2024-07-02T04:00:00Z'), start: '25:00' })).toThrow(/start/);
    expect(() => decide({ now: at('2024-07-02T04:00:00Z'), end: '7am' })).toThrow(/end/);
    expect(() => decide({ now: new Date('nope') })).toThrow(RangeError);
  });

  it('still lets urgent messages through malformed settings', () => {
    expect(decide({ now: at('2024-07-02T04:00:00Z'), timezone: 'Mars/Base', urgent: true })).toEqual({ action: 'send', reason: 'urgent' });
  });
});
