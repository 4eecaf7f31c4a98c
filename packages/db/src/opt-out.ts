import type { Prisma } from './generated/client.ts';

export interface OptChange {
  /** The user, when known; otherwise every user holding the phone number. */
  userId: string | null;
  phoneNumber: string;
  source: 'inbound_sms' | 'provider_error' | 'admin';
  keyword: string | null;
  messageSid: string | null;
  reason?: string;
  actor?: string;
  at: Date;
}

type Tx = Prisma.TransactionClient;

/**
 * One audit row per affected user (several users may share a number when none has verified
 * it yet), or one without a user when nobody holds the number, stamped with the change's
 * time (`at`: when the inbound SMS or provider error happened), not the time of the write.
 */
async function audit(tx: Tx, users: string[], change: OptChange, action: 'opt_out' | 'opt_in'): Promise<void> {
  const row = (userId: string | null) => ({
    userId,
    phoneNumber: change.phoneNumber,
    action,
    source: change.source,
    keyword: change.keyword,
    messageSid: change.messageSid,
    actor: change.actor ?? null,
    createdAt: change.at,
  });
  await tx.smsOptOutEvent.createMany({ data: users.length > 0 ? users.map(row) : [row(null)] });
}

async function usersFor(tx: Tx, change: OptChange): Promise<string[]> {
  if (change.userId) return [change.userId];
  const rows = await tx.userSmsPreferences.findMany({ where: { phoneNumber: change.phoneNumber }, select: { userId: true } });
  return rows.map((r) => r.userId);
}

/**
 * Opts a number out at once: preferences flag, audit rows, and every SMS delivery still
 * waiting (pending or deferred, including jobs in the scheduler) is cancelled.
 */
export async function recordOptOut(tx: Tx, change: OptChange): Promise<number> {
  const users = await usersFor(tx, change);
  await audit(tx, users, change, 'opt_out');
  if (users.length === 0) return 0;
  await tx.userSmsPreferences.updateMany({
    where: { userId: { in: users } },
    data: { optedOut: true, optedOutAt: change.at, optOutReason: change.reason ?? change.keyword ?? change.source },
  });
  const cancelled = await tx.$queryRaw<{ id: string }[]>`
    UPDATE notification_deliveries SET status = 'cancelled', skip_reason = 'opted_out', updated_at = now()
     WHERE user_id = ANY(${users}::uuid[]) AND channel = 'sms' AND status IN ('pending', 'deferred')
    RETURNING id::text`;
  const ids = cancelled.map((r) => r.id);
  if (ids.length > 0) {
    await tx.$executeRaw`UPDATE scheduled_jobs SET status = 'cancelled', updated_at = now() WHERE status = 'pending' AND ref_id = ANY(${ids})`;
    await tx.$executeRaw`
      UPDATE sms_messages SET status = 'cancelled', updated_at = now()
       WHERE notification_delivery_id = ANY(${ids}::uuid[]) AND status IN ('pending', 'scheduled')`;
  }
  return ids.length;
}

/** Opts a number back in (START / YES / UNSTOP, or an admin), with audit rows. */
export async function recordOptIn(tx: Tx, change: OptChange): Promise<void> {
  const users = await usersFor(tx, change);
  await audit(tx, users, change, 'opt_in');
  if (users.length > 0) {
    await tx.userSmsPreferences.updateMany({ where: { userId: { in: users } }, data: { optedOut: false, optedOutAt: null, optOutReason: null } });
  }
}
