import type { Prisma, PrismaClient } from '@hub/db';
import { ProviderError, type SmsProvider } from '@hub/sms-provider';

/** Thrown inside a transaction when a conditional write found the row changed: rolls back, then 409. */
export class LostRace extends Error {
  constructor() {
    super('lost a race with a concurrent change');
  }
}

const FINAL_DELIVERY = new Set(['delivered', 'failed', 'skipped', 'cancelled']);

interface CancellableDelivery {
  id: string;
  status: string;
  /** As read: the sms-adapter counts an attempt on the delivery row when it starts one. */
  attempts: number;
  smsMessages: { id: string; status: string; twilioSid: string | null }[];
}

/** A delivery Twilio holds until its SendAt: "sent" to the provider, cancellable there. */
const isNativeScheduled = (d: CancellableDelivery) => {
  const sms = d.smsMessages[0];
  return d.status === 'sent' && sms?.status === 'scheduled' && sms.twilioSid !== null;
};

/** Why a delivery cannot be cancelled (as of this read), or null when it can. */
export function cancelRefusal(d: CancellableDelivery): { code: 'already_final' | 'send_in_progress' | 'already_sent'; message: string } | null {
  const sms = d.smsMessages[0];
  if (FINAL_DELIVERY.has(d.status)) return { code: 'already_final', message: `the delivery is already ${d.status}` };
  // A send of unknown outcome (being sent, or crashed mid-send): cancelling could not stop it.
  if (sms?.status === 'sending') return { code: 'send_in_progress', message: 'the SMS is being sent (or its outcome is not known yet); it can no longer be cancelled' };
  if (isNativeScheduled(d)) return null;
  if (d.status === 'sent' || (sms && sms.status !== 'pending' && sms.status !== 'scheduled')) {
    return { code: 'already_sent', message: `the SMS was already handed to the provider (${sms?.status ?? d.status})` };
  }
  return null;
}

/**
 * Cancels one delivery in the caller's transaction, every write conditional on the state
 * cancelRefusal judged: the message first (the sms-adapter claims the message row before the
 * delivery row, so the same order here avoids deadlocks), then the delivery, then its jobs.
 * Throws LostRace when the adapter (or another request) moved either row meanwhile.
 */
export async function cancelDeliveryTx(tx: Prisma.TransactionClient, d: CancellableDelivery, reason: string): Promise<void> {
  const sms = d.smsMessages[0];
  if (sms) {
    const moved = await tx.smsMessage.updateMany({ where: { id: sms.id, status: { in: ['pending', 'scheduled'] } }, data: { status: 'cancelled' } });
    if (moved.count === 0) throw new LostRace();
  }
  const from = isNativeScheduled(d) ? (['sent'] as const) : (['pending', 'deferred'] as const);
  // `attempts` as read: an attempt the adapter began since (its first attempt leaves the
  // delivery "pending") makes this a lost race, not a cancelled delivery whose SMS goes out.
  const moved = await tx.notificationDelivery.updateMany({ where: { id: d.id, status: { in: [...from] }, attempts: d.attempts }, data: { status: 'cancelled', skipReason: reason } });
  if (moved.count === 0) throw new LostRace();
  await tx.scheduledJob.updateMany({ where: { refId: d.id, status: 'pending' }, data: { status: 'cancelled' } });
}

export type CancelOutcome = { ok: true } | { ok: false; code: 'already_final' | 'send_in_progress' | 'already_sent'; message: string };

/**
 * Cancels one delivery as read: refused when cancelRefusal says so; a message Twilio holds
 * (native scheduling) is cancelled there first; then the conditional writes, whose lost race
 * is a refusal too. Shared by the delivery and the event cancel routes.
 */
export async function cancelDelivery(prisma: PrismaClient, provider: SmsProvider | undefined, d: CancellableDelivery, reason: string): Promise<CancelOutcome> {
  const refusal = cancelRefusal(d);
  if (refusal) return { ok: false, ...refusal };
  const nativeSid = isNativeScheduled(d) ? d.smsMessages[0]!.twilioSid : null;
  if (nativeSid && provider) {
    try {
      await provider.cancel(nativeSid);
    } catch (err) {
      if (err instanceof ProviderError && err.code === 'not_cancelable') return { ok: false, code: 'already_sent', message: 'the provider has already sent the message' };
      throw err;
    }
  }
  try {
    await prisma.$transaction((tx) => cancelDeliveryTx(tx, d, reason));
  } catch (err) {
    if (err instanceof LostRace) return { ok: false, code: 'send_in_progress', message: 'the delivery started sending (or changed) meanwhile; it can no longer be cancelled' };
    throw err;
  }
  return { ok: true };
}
