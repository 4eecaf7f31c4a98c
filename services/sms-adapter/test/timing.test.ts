import { describe, expect, it } from 'vitest';
import { DUE_TOLERANCE_MS, sendTiming, TWILIO_SCHEDULING_WINDOW } from '../src/timing.ts';

const now = new Date('2026-06-01T12:00:00Z');
const at = (ms: number) => new Date(now.getTime() + ms);
const MIN = 60_000;
const DAY = 86_400_000;

describe('send timing', () => {
  it('sends now without a send time, or when it is due (within the skew tolerance)', () => {
    expect(sendTiming({ now, scheduledFor: null, nativeAvailable: true })).toEqual({ mode: 'now' });
    expect(sendTiming({ now, scheduledFor: at(-5 * MIN), nativeAvailable: true })).toEqual({ mode: 'now' });
    expect(sendTiming({ now, scheduledFor: at(DUE_TOLERANCE_MS), nativeAvailable: true })).toEqual({ mode: 'now' });
    expect(sendTiming({ now, scheduledFor: new Date(Number.NaN), nativeAvailable: true })).toEqual({ mode: 'now' });
  });
  it('uses Twilio-native scheduling inside the 15 min – 7 days window with a Messaging Service', () => {
    expect(TWILIO_SCHEDULING_WINDOW).toEqual({ minLeadMs: 15 * MIN, maxLeadMs: 7 * DAY });
    expect(sendTiming({ now, scheduledFor: at(15 * MIN), nativeAvailable: true })).toEqual({ mode: 'native', sendAt: at(15 * MIN) });
    expect(sendTiming({ now, scheduledFor: at(7 * DAY), nativeAvailable: true })).toEqual({ mode: 'native', sendAt: at(7 * DAY) });
    expect(sendTiming({ now, scheduledFor: at(2 * DAY), nativeAvailable: true })).toEqual({ mode: 'native', sendAt: at(2 * DAY) });
  });
  it('falls back to the scheduler outside the window or without a Messaging Service', () => {
    expect(sendTiming({ now, scheduledFor: at(15 * MIN - 1), nativeAvailable: true })).toEqual({ mode: 'scheduler', until: at(15 * MIN - 1) });
    expect(sendTiming({ now, scheduledFor: at(7 * DAY + 1), nativeAvailable: true })).toEqual({ mode: 'scheduler', until: at(7 * DAY + 1) });
    expect(sendTiming({ now, scheduledFor: at(DAY), nativeAvailable: false })).toEqual({ mode: 'scheduler', until: at(DAY) });
  });
  it('takes another window', () => {
    const window = { minLeadMs: 5 * MIN, maxLeadMs: 35 * DAY };
    expect(sendTiming({ now, scheduledFor: at(6 * MIN), nativeAvailable: true, window })).toEqual({ mode: 'native', sendAt: at(6 * MIN) });
    expect(sendTiming({ now, scheduledFor: at(30 * DAY), nativeAvailable: true, window })).toEqual({ mode: 'native', sendAt: at(30 * DAY) });
  });
});
