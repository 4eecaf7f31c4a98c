import { describe, expect, it } from 'vitest';
import { heldForOptedOutWhere, isHeldByProvider, sentInDayWhere } from '../src/held.ts';

const base = { status: 'scheduled', twilioSid: 'SM1', scheduledFor: new Date('2026-06-02T10:00:00Z'), nextRetryAt: null };

describe('messages held by the provider', () => {
  it('is a scheduled message with a sid and a send time, and no retry waiting', () => {
    expect(isHeldByProvider(base)).toBe(true);
    expect(isHeldByProvider({ ...base, nextRetryAt: new Date() })).toBe(false); // a retry waiting in the hub
    expect(isHeldByProvider({ ...base, twilioSid: null })).toBe(false);
    expect(isHeldByProvider({ ...base, scheduledFor: null })).toBe(false);
    expect(isHeldByProvider({ ...base, status: 'sent' })).toBe(false);
  });

  it('counts toward the cap of the day it is sent, other messages on the day they were handed over', () => {
    const day = { start: new Date('2026-06-01T04:00:00Z'), end: new Date('2026-06-02T04:00:00Z') };
    const where = sentInDayWhere('u1', day, 'm1');
    expect(where).toMatchObject({ userId: 'u1', id: { not: 'm1' } });
    expect(where.OR).toEqual([
      { scheduledFor: null, status: { in: ['sending', 'queued', 'sent', 'delivered'] }, sendStartedAt: { gte: day.start, lt: day.end } },
      {
        scheduledFor: { gte: day.start, lt: day.end },
        OR: [{ status: { in: ['sending', 'queued', 'sent', 'delivered'] } }, { status: 'scheduled', twilioSid: { not: null }, scheduledFor: { not: null }, nextRetryAt: null }],
      },
    ]);
    expect(sentInDayWhere('u1', day)).not.toHaveProperty('id');
  });

  it('selects held messages of opted-out users still ahead of their send time', () => {
    const now = new Date('2026-06-01T12:00:00Z');
    expect(heldForOptedOutWhere(now)).toEqual({
      status: 'scheduled', twilioSid: { not: null }, nextRetryAt: null, scheduledFor: { gt: now }, user: { smsPreferences: { optedOut: true } },
    });
  });
});
