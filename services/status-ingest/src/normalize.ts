import { normalizePhone } from '@hub/sms-rules';

export { normalizeText, type NormalizedText, type TextFix } from '@hub/contracts';

/**
 * Channels whose addresses are phone numbers (`whatsapp:+14155550123`, `rcs:+1…`). Other
 * prefixes (`messenger:<page-scoped id>`, and any Twilio adds later) are kept raw and
 * mapped to no phone.
 */
const PHONE_CHANNELS = new Set(['sms', 'mms', 'whatsapp', 'rcs']);

/**
 * Channels on which an opt-out or opt-in keyword changes the phone's SMS subscription, as
 * Twilio applies them: its STOP filtering covers SMS and MMS, and since 2026-03 RCS opt-outs
 * are unified with SMS/MMS (a STOP over RCS blocks SMS from the same sender, and back).
 * A WhatsApp STOP opts the user out of WhatsApp messaging from that sender only (Advanced
 * Opt-Out "custom opt-out settings also apply to WhatsApp senders": WhatsApp messaging), so
 * it does not opt the phone out of SMS here either: it is logged and counted. The hub sends
 * SMS only, so the SMS subscription is the one that matters; see docs/operations.md.
 */
export const SMS_SUBSCRIPTION_CHANNELS: ReadonlySet<string> = new Set(['sms', 'mms', 'rcs']);

export interface ParsedAddress {
  /** The address as sent (normalised text). */
  raw: string;
  /** `sms` when there is no prefix; else the prefix, lower-cased. */
  channel: string;
  /** The phone number behind a phone-based address, E.164; null when none can be derived. */
  e164: string | null;
}

const PREFIX = /^([A-Za-z][A-Za-z0-9_-]{0,30}):(.*)$/s;

/** Splits a Twilio address into channel and phone: `whatsapp:+14155550123` → whatsapp, +14155550123. */
export function parseAddress(raw: string): ParsedAddress {
  const m = PREFIX.exec(raw);
  const channel = m ? m[1]!.toLowerCase() : 'sms';
  const rest = (m ? m[2]! : raw).trim();
  if (!PHONE_CHANNELS.has(channel)) return { raw, channel, e164: null };
  // A prefixed address carries E.164 (with its +); a bare one is what Twilio sent for SMS,
  // normally E.164 too (a short code or alphanumeric sender maps to no phone).
  if (m && !rest.startsWith('+')) return { raw, channel, e164: null };
  const phone = normalizePhone(rest);
  return { raw, channel, e164: phone.ok && /^\+[1-9]\d{1,14}$/.test(phone.e164) ? phone.e164 : null };
}
