import { deferralOps, deliveryFailed } from '@hub/channel-kit';
import { deliveryTopic, type Clock, type EmailStatusUpdate } from '@hub/contracts';
import { recordChannelOptIn, recordChannelOptOut, type Prisma, type PrismaClient } from '@hub/db';
import type { Logger } from '@hub/logger';
import { markUndeliverable } from './attempts.ts';
import { emailRetryDecision, type RetrySettings } from './retry.ts';

/**
 * Applies the provider's events about our emails (notify.email.status.v1, in order per
 * message: the topic is keyed by message id), each in one transaction with its delivery:
 *
 *   processed            sending → sent (the provider has it: settles a send of unknown outcome)
 *   delivered            sending|sent → delivered; the delivery → delivered
 *   hard_bounce          → bounced; the delivery fails (hard_bounce); the address becomes undeliverable
 *   soft_bounce          retried with backoff (a new attempt) up to max attempts, then fails (soft_bounce)
 *   dropped              → failed (the provider refused to send it: its reason is recorded)
 *   complaint            recorded; the user is opted out of all email, audited (source complaint)
 *   unsubscribe          the user is opted out of all email (source provider_unsubscribe)
 *   open / click / deferred / resubscribe   recorded (resubscribe opts back in)
 *
 * Statuses never move backwards and a final one is final: a "processed" after "delivered",
 * or any event about an attempt older than the current one, is recorded but not applied. A
 * replayed webhook (same provider event id) adds nothing: a unique index.
 */
export interface StatusDeps {
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
  selfTopic: string;
  retry: RetrySettings;
  random: () => number;
}

export type StatusOutcome = 'applied' | 'recorded' | 'replay' | 'unknown_message';

const RANK: Record<string, number> = { pending: 0, scheduled: 0, sending: 1, sent: 2, delivered: 3, bounced: 3, failed: 3, cancelled: 3 };
const FINAL = new Set(['delivered', 'bounced', 'failed', 'cancelled']);

type Tx = Prisma.TransactionClient;

export async function applyEmailStatus(deps: StatusDeps, update: EmailStatusUpdate): Promise<StatusOutcome> {
  if (FAST_KINDS.has(update.kind)) return applyInOneStatement(deps.prisma, update);
  return deps.prisma.$transaction(async (tx) => {
    const [message] = await tx.$queryRaw<{ id: string; status: string; attempt_count: number; max_attempts: number; user_id: string; email_address: string; notification_delivery_id: string | null }[]>`
      SELECT id::text, status::text, attempt_count, max_attempts, user_id::text, email_address, notification_delivery_id::text
        FROM email_messages WHERE id = ${update.messageId}::uuid FOR UPDATE`;
    if (!message) return 'unknown_message';
    const current = update.attempt === 0 || update.attempt === message.attempt_count;
    const effect = current ? decide(update, message.status) : null;
    const inserted = await tx.$executeRaw`
      INSERT INTO email_message_events (email_message_id, status, event, provider_event_id, attempt, smtp_status, detail, source, applied, occurred_at)
      VALUES (${message.id}::uuid, ${effect?.status ?? null}::email_status, ${update.raw}, ${update.providerEventId}, ${update.attempt || message.attempt_count},
              ${update.smtpStatus}, ${update.reason}, ${update.source}, ${effect !== null}, ${new Date(update.occurredAt)})
      ON CONFLICT (provider_event_id) DO NOTHING`;
    if (inserted === 0) return 'replay';
    await addressEffects(tx, update, message, deps.clock.now());
    if (!effect) return 'recorded';
    await applyEffect(tx, deps, update, message, effect);
    return 'applied';
  });
}

/**
 * The events every email gets (processed, delivered) and the engagement ones touch only the
 * message and its delivery: applied in one statement — the same rules as `decide` below,
 * in SQL — instead of an interactive transaction of five (the email path's main cost in
 * the bench). The others (bounces, complaints, unsubscribes) go through `decide`.
 */
const FAST_KINDS: ReadonlySet<string> = new Set(['processed', 'delivered', 'open', 'click', 'deferred']);

async function applyInOneStatement(prisma: PrismaClient, update: EmailStatusUpdate): Promise<StatusOutcome> {
  const at = new Date(update.occurredAt);
  const rows = await prisma.$queryRaw<{ found: boolean; inserted: boolean; applied: boolean }[]>`
    WITH cur AS (
      SELECT id, status, attempt_count, notification_delivery_id FROM email_messages WHERE id = ${update.messageId}::uuid FOR UPDATE
    ), eff AS (
      SELECT cur.*, CASE
          WHEN NOT (${update.attempt}::int = 0 OR ${update.attempt}::int = cur.attempt_count) THEN NULL
          WHEN ${update.kind} = 'processed' AND cur.status = 'sending' THEN 'sent'
          WHEN ${update.kind} = 'delivered' AND cur.status IN ('pending', 'scheduled', 'sending', 'sent') THEN 'delivered'
          WHEN ${update.kind} IN ('open', 'click') AND cur.status IN ('sending', 'sent') THEN 'delivered'
        END::email_status AS next
        FROM cur
    ), ins AS (
      INSERT INTO email_message_events (email_message_id, status, event, provider_event_id, attempt, smtp_status, detail, source, applied, occurred_at)
      SELECT eff.id, eff.next, ${update.raw}, ${update.providerEventId}, COALESCE(NULLIF(${update.attempt}::int, 0), eff.attempt_count),
             ${update.smtpStatus}, ${update.reason}, ${update.source}, eff.next IS NOT NULL, ${at}
        FROM eff
      ON CONFLICT (provider_event_id) DO NOTHING
      RETURNING email_message_id
    ), m AS (
      UPDATE email_messages e
         SET status = COALESCE(eff.next, e.status),
             sent_at = CASE WHEN eff.next IS NOT NULL THEN COALESCE(e.sent_at, ${at}) ELSE e.sent_at END,
             delivered_at = CASE WHEN eff.next = 'delivered' THEN ${at} ELSE e.delivered_at END,
             opened_at = CASE WHEN ${update.kind} IN ('open', 'click') THEN COALESCE(e.opened_at, ${at}) ELSE e.opened_at END,
             provider_message_id = COALESCE(e.provider_message_id, ${update.providerMessageId}),
             updated_at = now()
        FROM eff, ins
       WHERE e.id = eff.id AND (eff.next IS NOT NULL OR ${update.kind} IN ('open', 'click'))
    ), d AS (
      UPDATE notification_deliveries d
         SET status = CASE WHEN eff.next = 'delivered' THEN 'delivered'::delivery_status ELSE 'sent'::delivery_status END,
             delivered_at = CASE WHEN eff.next = 'delivered' THEN ${at} ELSE d.delivered_at END,
             sent_at = COALESCE(d.sent_at, ${at}), external_id = eff.id::text, updated_at = now()
        FROM eff, ins
       WHERE d.id = eff.notification_delivery_id AND eff.next IS NOT NULL
         AND d.status IN ('pending', 'deferred', 'sent') AND NOT (eff.next = 'sent' AND d.status = 'sent')
    )
    SELECT EXISTS (SELECT 1 FROM cur) AS found, EXISTS (SELECT 1 FROM ins) AS inserted, EXISTS (SELECT 1 FROM eff WHERE next IS NOT NULL) AS applied`;
  const r = rows[0];
  if (!r?.found) return 'unknown_message';
  if (!r.inserted) return 'replay';
  return r.applied ? 'applied' : 'recorded';
}

interface Effect {
  status: 'sent' | 'delivered' | 'bounced' | 'failed' | 'scheduled' | null;
}

/** What the event does to the message, or null when it only is recorded. */
function decide(update: EmailStatusUpdate, status: string): Effect | null {
  const move = (to: 'sent' | 'delivered' | 'bounced' | 'failed'): Effect | null => (!FINAL.has(status) && RANK[to]! > (RANK[status] ?? 0) ? { status: to } : null);
  switch (update.kind) {
    case 'processed':
      return status === 'sending' ? { status: 'sent' } : null;
    case 'delivered':
      return move('delivered');
    case 'hard_bounce':
      return move('bounced');
    case 'dropped':
      return move('failed');
    case 'soft_bounce':
      return status === 'sending' || status === 'sent' ? { status: 'scheduled' } : null;
    case 'open':
    case 'click':
      // An open proves delivery when the delivered event was lost.
      return status === 'sending' || status === 'sent' ? { status: 'delivered' } : null;
    case 'deferred':
    case 'complaint':
    case 'unsubscribe':
    case 'resubscribe':
      return null;
  }
}

async function applyEffect(tx: Tx, deps: StatusDeps, update: EmailStatusUpdate, m: { id: string; attempt_count: number; max_attempts: number; user_id: string; notification_delivery_id: string | null }, effect: Effect): Promise<void> {
  const at = new Date(update.occurredAt);
  const deliveryId = m.notification_delivery_id;
  switch (effect.status) {
    case 'sent':
      await tx.$executeRaw`UPDATE email_messages SET status = 'sent', provider_message_id = COALESCE(provider_message_id, ${update.providerMessageId}), sent_at = COALESCE(sent_at, ${at}), updated_at = now() WHERE id = ${m.id}::uuid`;
      if (deliveryId) await tx.notificationDelivery.updateMany({ where: { id: deliveryId, status: { in: ['pending', 'deferred'] } }, data: { status: 'sent', externalId: m.id, sentAt: at } });
      return;
    case 'delivered':
      await tx.$executeRaw`UPDATE email_messages SET status = 'delivered', delivered_at = ${at}, sent_at = COALESCE(sent_at, ${at}), provider_message_id = COALESCE(provider_message_id, ${update.providerMessageId}), updated_at = now() WHERE id = ${m.id}::uuid`;
      if (deliveryId) await tx.notificationDelivery.updateMany({ where: { id: deliveryId, status: { in: ['pending', 'deferred', 'sent'] } }, data: { status: 'delivered', deliveredAt: at, externalId: m.id, sentAt: at } });
      return;
    case 'bounced':
    case 'failed': {
      const code = update.kind === 'hard_bounce' ? 'hard_bounce' : 'dropped';
      await tx.$executeRaw`UPDATE email_messages SET status = ${effect.status}::email_status, error_code = ${code}, error_message = ${update.reason}, next_retry_at = NULL,
                                  bounced_at = CASE WHEN ${code} = 'hard_bounce' THEN ${at} ELSE bounced_at END,
                                  bounce_type = CASE WHEN ${code} = 'hard_bounce' THEN 'hard' ELSE bounce_type END, updated_at = now() WHERE id = ${m.id}::uuid`;
      if (deliveryId) await deliveryFailed(tx as unknown as PrismaClient, deliveryId, code, update.reason ?? update.raw, at);
      return;
    }
    case 'scheduled': {
      // A soft bounce: the provider gave up for now (mailbox full, greylisted, throttled).
      const decision = emailRetryDecision({ code: 'soft_bounce', attempt: m.attempt_count, maxAttempts: m.max_attempts, random: deps.random, settings: deps.retry });
      const now = deps.clock.now();
      if (decision.action === 'fail' || !deliveryId) {
        await tx.$executeRaw`UPDATE email_messages SET status = 'bounced', bounce_type = 'soft', bounced_at = ${at}, error_code = 'soft_bounce', error_message = ${update.reason}, updated_at = now() WHERE id = ${m.id}::uuid`;
        if (deliveryId) await deliveryFailed(tx as unknown as PrismaClient, deliveryId, 'soft_bounce', update.reason ?? 'soft bounce', at);
        return;
      }
      const until = new Date(now.getTime() + decision.delayMs);
      const delivery = await tx.notificationDelivery.findUnique({ where: { id: deliveryId }, include: { event: true } });
      if (!delivery) return;
      await tx.$executeRaw`UPDATE email_messages SET status = 'scheduled', next_retry_at = ${until}, error_code = 'soft_bounce', error_message = ${update.reason}, updated_at = now() WHERE id = ${m.id}::uuid`;
      const request = {
        deliveryId, eventId: delivery.eventId, userId: delivery.userId, channel: 'email', eventType: delivery.event.eventType,
        priority: delivery.event.priority, reason: 'retry' as const, requestedAt: now.toISOString(),
      };
      const ops = deferralOps(tx as unknown as PrismaClient, {
        request, until, topic: deps.selfTopic, kind: 'email_retry', reason: 'retry', dedupeKey: `soft-bounce:${m.id}:${m.attempt_count}`, now,
        lastError: { code: 'soft_bounce', message: update.reason },
      });
      for (const op of ops) await op;
      deps.log.info({ messageId: m.id, until }, 'soft bounce: retry scheduled');
      return;
    }
    case null:
      return;
  }
}

/** What an event says about the address or the user, whatever the message's state. */
async function addressEffects(tx: Tx, update: EmailStatusUpdate, m: { id: string; user_id: string; email_address: string }, now: Date): Promise<void> {
  const at = new Date(update.occurredAt);
  switch (update.kind) {
    case 'hard_bounce':
      await markUndeliverable(tx as unknown as PrismaClient, { userId: m.user_id, address: m.email_address, reason: `hard bounce ${update.smtpStatus ?? ''} ${update.reason ?? ''}`.trim() }, now);
      return;
    case 'complaint':
      await tx.$executeRaw`UPDATE email_messages SET complained_at = COALESCE(complained_at, ${at}), updated_at = now() WHERE id = ${m.id}::uuid`;
      await recordChannelOptOut(tx, { channel: 'email', userId: m.user_id, address: m.email_address, scope: 'all', source: 'complaint', detail: `message ${m.id}`, at });
      return;
    case 'unsubscribe':
      await recordChannelOptOut(tx, { channel: 'email', userId: m.user_id, address: m.email_address, scope: 'all', source: 'provider_unsubscribe', detail: `message ${m.id}`, at });
      return;
    case 'resubscribe':
      await recordChannelOptIn(tx, { channel: 'email', userId: m.user_id, address: m.email_address, scope: 'all', source: 'provider_unsubscribe', detail: `message ${m.id}`, at });
      return;
    case 'open':
    case 'click':
      await tx.$executeRaw`UPDATE email_messages SET opened_at = COALESCE(opened_at, ${at}), updated_at = now() WHERE id = ${m.id}::uuid`;
      return;
    default:
      return;
  }
}

export const emailSelfTopic = (topic: (t: string) => string) => topic(deliveryTopic('email'));
