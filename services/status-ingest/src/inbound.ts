import type { PrismaClient } from '@hub/db';
import type { Clock, InboundSms } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import { classifyKeyword, normalizePhone } from '@hub/sms-rules';
import { recordOptIn, recordOptOut } from '@hub/db';

/** Applies an inbound SMS: opt-out and opt-in keywords change preferences at once. */
export async function applyInbound(deps: { prisma: PrismaClient; log: Logger; clock: Clock }, sms: InboundSms): Promise<void> {
  const keyword = classifyKeyword(sms.body);
  if (keyword.kind !== 'opt_out' && keyword.kind !== 'opt_in') return;
  const phone = normalizePhone(sms.from);
  const phoneNumber = phone.ok ? phone.e164 : sms.from;
  const change = { userId: null, phoneNumber, source: 'inbound_sms' as const, keyword: keyword.keyword, messageSid: sms.sid, at: deps.clock.now() };
  await deps.prisma.$transaction(async (tx) => {
    // A redelivered inbound message changes nothing twice.
    if ((await tx.smsOptOutEvent.count({ where: { messageSid: sms.sid } })) > 0) return;
    if (keyword.kind === 'opt_out') {
      const cancelled = await recordOptOut(tx, change);
      deps.log.info({ sid: sms.sid, keyword: keyword.keyword, cancelled }, 'opted out by inbound keyword');
    } else {
      await recordOptIn(tx, change);
      deps.log.info({ sid: sms.sid, keyword: keyword.keyword }, 'opted in by inbound keyword');
    }
  });
}
