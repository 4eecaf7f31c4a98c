import type { PrismaClient } from '@hub/db';
import type { Clock, InboundSms } from '@hub/contracts';
import type { Logger } from '@hub/logger';
import { classifyKeyword, normalizePhone } from '@hub/sms-rules';
import { recordOptIn, recordOptOut } from '@hub/db';
import { normalizeText, SMS_SUBSCRIPTION_CHANNELS } from './normalize.ts';

/** sms_opt_out_events.phone_number is varchar(20). */
const PHONE_COLUMN = 20;

export type InboundOutcome = 'opted_out' | 'opted_in' | 'no_keyword' | 'duplicate' | 'other_channel';

export interface InboundDeps {
  prisma: PrismaClient;
  log: Logger;
  clock: Clock;
  /** Counts keywords that change nothing because of the sender's channel (optional). */
  onUnmapped?: (channel: string, reason: 'other_channel' | 'no_phone') => void;
}

/**
 * Applies an inbound message: opt-out and opt-in keywords change the SMS subscription of the
 * sender's phone at once — for SMS, MMS and RCS senders (Twilio applies those opt-outs to
 * SMS too). A keyword from another channel (WhatsApp, Messenger…) changes nothing: Twilio's
 * WhatsApp opt-out covers WhatsApp messaging only, and a Messenger id is no phone. It is
 * logged and counted (`hub_inbound_unmapped_total`). See docs/operations.md.
 */
export async function applyInbound(deps: InboundDeps, sms: InboundSms): Promise<InboundOutcome> {
  const keyword = classifyKeyword(sms.body);
  if (keyword.kind !== 'opt_out' && keyword.kind !== 'opt_in') return 'no_keyword';
  if (!SMS_SUBSCRIPTION_CHANNELS.has(sms.channel)) {
    deps.onUnmapped?.(sms.channel, 'other_channel');
    deps.log.warn({ sid: sms.sid, channel: sms.channel, from: sms.from, phone: sms.fromE164, keyword: keyword.keyword },
      'keyword from a non-SMS channel: the SMS subscription is unchanged (Twilio applies it to that channel only)');
    return 'other_channel';
  }
  // The phone behind the sender (rcs:+1… carries one); an SMS sender that is no phone number
  // (a short code) is audited as sent, cut to the column.
  const e164 = sms.fromE164 ?? (sms.channel === 'sms' ? phoneOf(sms.from) : null);
  if (!e164) {
    deps.onUnmapped?.(sms.channel, 'no_phone');
    deps.log.warn({ sid: sms.sid, channel: sms.channel, from: sms.from, keyword: keyword.keyword }, 'keyword from an address that is no phone number: audited, matches no user');
  }
  const phoneNumber = e164 ?? normalizeText(sms.from, PHONE_COLUMN).value;
  const change = { userId: null, phoneNumber, source: 'inbound_sms' as const, keyword: keyword.keyword, messageSid: sms.sid, at: deps.clock.now() };
  return deps.prisma.$transaction(async (tx) => {
    // A redelivered inbound message changes nothing twice.
    if ((await tx.smsOptOutEvent.count({ where: { messageSid: sms.sid } })) > 0) return 'duplicate' as const;
    if (keyword.kind === 'opt_out') {
      const cancelled = await recordOptOut(tx, change);
      deps.log.info({ sid: sms.sid, keyword: keyword.keyword, channel: sms.channel, cancelled }, 'opted out by inbound keyword');
      return 'opted_out' as const;
    }
    await recordOptIn(tx, change);
    deps.log.info({ sid: sms.sid, keyword: keyword.keyword, channel: sms.channel }, 'opted in by inbound keyword');
    return 'opted_in' as const;
  });
}

function phoneOf(from: string): string | null {
  const phone = normalizePhone(from);
  return phone.ok ? phone.e164 : null;
}
