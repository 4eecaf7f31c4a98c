import type { Prisma } from '@hub/db';
import type { DayBounds } from '@hub/sms-rules';

/**
 * Messages Twilio holds until their SendAt (native scheduling): status "scheduled", a sid,
 * a scheduled_for, and no retry waiting (a retry is also "scheduled", with next_retry_at).
 */
export function isHeldByProvider(m: { status: string; twilioSid: string | null; scheduledFor: Date | null; nextRetryAt: Date | null }): boolean {
  return m.status === 'scheduled' && m.twilioSid !== null && m.scheduledFor !== null && m.nextRetryAt === null;
}

const HELD: Prisma.SmsMessageWhereInput = { status: 'scheduled', twilioSid: { not: null }, scheduledFor: { not: null }, nextRetryAt: null };
const COUNTED = ['sending', 'queued', 'sent', 'delivered'] as const;

/**
 * The messages that count toward a user's daily cap in one local day: those handed to the
 * provider that day, and those held by the provider for that day (counted on the day they
 * go out, not the day they were scheduled). The adapter runs the same rule in SQL for many users
 * at once (hot-path.ts countSentInDays, tested equal to this filter).
 */
export function sentInDayWhere(userId: string, day: DayBounds, excludeId?: string): Prisma.SmsMessageWhereInput {
  const inDay = { gte: day.start, lt: day.end };
  return {
    userId,
    ...(excludeId ? { id: { not: excludeId } } : {}),
    OR: [
      { scheduledFor: null, status: { in: [...COUNTED] }, sendStartedAt: inDay },
      { scheduledFor: inDay, OR: [{ status: { in: [...COUNTED] } }, HELD] },
    ],
  };
}

/** Held messages of opted-out users, still ahead of their send time: to cancel at the provider. */
export function heldForOptedOutWhere(now: Date): Prisma.SmsMessageWhereInput {
  return { ...HELD, scheduledFor: { gt: now }, user: { smsPreferences: { optedOut: true } } };
}
