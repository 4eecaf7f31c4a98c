import type { PrismaClient } from '@hub/db';
import { describeError, type Bus } from '@hub/bus';
import { HEADERS, smsStatusSchema, TOPICS, type Clock } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import type { SmsProvider } from '@hub/sms-provider';

export interface ReconcilerDeps {
  prisma: PrismaClient;
  bus: Bus;
  log: Logger;
  clock: Clock;
  provider: SmsProvider;
  /** A message accepted by the provider but without a final status for this long is looked up. */
  staleAfterMs: number;
  intervalMs: number;
  batchSize?: number;
}

/**
 * Callbacks can be lost (status-ingest down, a network cut). Messages the provider accepted
 * that stay non-final too long are fetched from the provider and their status is published
 * to notify.sms.status.v1 (source "lookup"), where it is applied like any callback: ranked,
 * idempotent, in one transaction with the delivery.
 */
export async function reconcileStale(deps: ReconcilerDeps): Promise<number> {
  const cutoff = new Date(deps.clock.now().getTime() - deps.staleAfterMs);
  const stale = await deps.prisma.smsMessage.findMany({
    where: { status: { in: ['queued', 'sending', 'sent'] }, twilioSid: { not: null }, updatedAt: { lt: cutoff } },
    select: { id: true, twilioSid: true },
    orderBy: { updatedAt: 'asc' },
    take: deps.batchSize ?? 100,
  });
  let published = 0;
  for (const m of stale) {
    try {
      const found = await deps.provider.fetch(m.twilioSid!);
      await deps.bus.publish(TOPICS.smsStatus, smsStatusSchema, [{
        key: m.id,
        value: { messageId: m.id, sid: found.sid, status: found.status, errorCode: found.errorCode, errorMessage: found.errorMessage, receivedAt: deps.clock.now().toISOString(), source: 'lookup' },
        headers: { [HEADERS.messageId]: m.id, [HEADERS.correlationId]: m.id, [HEADERS.source]: 'reconciler' },
      }]);
      // Touch the row so it is not looked up again before the status is applied.
      await deps.prisma.smsMessage.updateMany({ where: { id: m.id, updatedAt: { lt: cutoff } }, data: { updatedAt: deps.clock.now() } });
      published++;
    } catch (err) {
      deps.log.warn({ messageId: m.id, sid: m.twilioSid, err: describeError(err) }, 'provider lookup failed; will retry');
    }
  }
  if (published > 0) deps.log.info({ published }, 'stale messages reconciled from the provider');
  return published;
}

export function startReconciler(deps: ReconcilerDeps): { stop(): Promise<void> } {
  let running = true;
  let current: Promise<unknown> = Promise.resolve();
  const timer = setInterval(() => {
    if (!running) return;
    current = reconcileStale(deps).catch((err) => deps.log.warn({ err: describeError(err) }, 'reconciler cycle failed'));
  }, deps.intervalMs);
  timer.unref();
  return {
    stop: async () => {
      running = false;
      clearInterval(timer);
      await current;
    },
  };
}
