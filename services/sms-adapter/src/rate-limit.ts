import type { PrismaClient } from '@hub/db';
import { HOUR_MS, rateLimitDecision, rateLimitLookback, type RateLimitDecision, type RateLimits } from '@hub/sms-rules';

/**
 * The per-user rate limit (packages/sms-rules rate-limit.ts) over what the database holds:
 * the start times of the user's attempts handed to the provider in the past hour (status
 * sending or later, an accepted message that later failed included), newest first, at most
 * as many as the larger limit. Natively scheduled messages are not counted here (their time
 * is their SendAt; the daily cap covers them).
 */
export async function checkRateLimit(prisma: PrismaClient, args: { userId: string; now: Date; limits: RateLimits; excludeId?: string | undefined }): Promise<RateLimitDecision> {
  const take = rateLimitLookback(args.limits);
  if (take === 0) return { allowed: true };
  const since = new Date(args.now.getTime() - HOUR_MS);
  const rows = await prisma.$queryRaw<{ at: Date }[]>`
    SELECT send_started_at AS at FROM sms_messages
     WHERE user_id = ${args.userId}::uuid AND send_started_at > ${since}::timestamptz AND scheduled_for IS NULL
       AND (status IN ('sending', 'queued', 'sent', 'delivered', 'undelivered') OR (status = 'failed' AND twilio_sid IS NOT NULL))
       AND (${args.excludeId ?? null}::uuid IS NULL OR id <> ${args.excludeId ?? null}::uuid)
     ORDER BY send_started_at DESC
     LIMIT ${take}`;
  return rateLimitDecision({ now: args.now, recentSends: rows.map((r) => r.at), limits: args.limits });
}
