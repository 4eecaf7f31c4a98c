import type { PrismaClient } from '@hub/db';

export const VERIFICATION_WINDOW_MS = 60 * 60 * 1000;

/** Starts that failed on the provider's side (5xx, network, auth) do not count against the user. */
const NOT_COUNTED = ['provider_error'];

export type StartSlot = { ok: true; id: string; startsLeft: number } | { ok: false; retryAfterSeconds: number };

/**
 * Seconds until a start is allowed again: the oldest start still in the window leaves it.
 * `starts` are the creation times inside the window, any order. At least 1.
 */
export function retryAfterSeconds(starts: Date[], now: Date, windowMs = VERIFICATION_WINDOW_MS, maxStarts = starts.length): number {
  const sorted = [...starts].sort((a, b) => a.getTime() - b.getTime());
  // With n starts and room for maxStarts, the (n - maxStarts + 1)-th oldest has to leave.
  const leaving = sorted[Math.max(0, sorted.length - maxStarts)] ?? now;
  return Math.max(1, Math.ceil((leaving.getTime() + windowMs - now.getTime()) / 1000));
}

/**
 * Reserves one verification start for a user, or says when the next one is allowed. The
 * user's row is locked for the count and the insert, so concurrent starts cannot overshoot.
 */
export async function reserveVerificationStart(
  prisma: PrismaClient,
  args: { userId: string; phone: string; now: Date; maxStarts: number; windowMs?: number },
): Promise<StartSlot> {
  const windowMs = args.windowMs ?? VERIFICATION_WINDOW_MS;
  const since = new Date(args.now.getTime() - windowMs);
  return prisma.$transaction(async (tx) => {
    await tx.$queryRaw`SELECT id FROM users WHERE id = ${args.userId}::uuid FOR UPDATE`;
    const recent = await tx.phoneVerification.findMany({
      where: { userId: args.userId, createdAt: { gt: since }, status: { notIn: NOT_COUNTED } },
      select: { createdAt: true },
    });
    if (recent.length >= args.maxStarts) {
      return { ok: false as const, retryAfterSeconds: retryAfterSeconds(recent.map((r) => r.createdAt), args.now, windowMs, args.maxStarts) };
    }
    const row = await tx.phoneVerification.create({ data: { userId: args.userId, phoneNumber: args.phone, status: 'starting', createdAt: args.now } });
    return { ok: true as const, id: row.id, startsLeft: args.maxStarts - recent.length - 1 };
  });
}
