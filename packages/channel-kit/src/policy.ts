import { dailyCapDecision, isValidTimezone, localDayBounds, parseHHMM, quietHoursDecision, type DayBounds } from '@hub/sms-rules';
import { preferenceEnabled, type ChannelPreferenceRow } from './preferences.ts';

/**
 * The policy every channel shares, decided when the adapter is about to send (the state may
 * have changed since the router fanned out): the channel preference for the event type,
 * quiet hours where the channel has them (urgent bypasses; others are deferred to the end of
 * the window, never dropped), and the channel's daily cap in the user's local day (urgent
 * bypasses it but counts toward it). Address checks (verified, opted out, undeliverable) are
 * the channel's own and come before this.
 */
export type ChannelPolicyDecision =
  | { action: 'send' }
  | { action: 'skip'; reason: 'preference_off' | 'daily_limit' }
  | { action: 'defer'; until: Date }
  | { action: 'fail'; code: 'invalid_timezone' | 'invalid_quiet_hours'; message: string };

export interface ChannelPolicyInput {
  now: Date;
  eventType: string;
  urgent: boolean;
  preferences: readonly ChannelPreferenceRow[];
  /** null: the channel has no quiet hours (email), or the user set none. */
  quietHours: { start: string | null; end: string | null } | null;
  timezone: string;
  /** null: no cap on this channel. */
  dailyLimit: number | null;
  sentToday: number;
}

export function decideChannelPolicy(input: ChannelPolicyInput): ChannelPolicyDecision {
  if (!preferenceEnabled(input.preferences, input.eventType)) return { action: 'skip', reason: 'preference_off' };
  if (!input.urgent && input.quietHours && input.quietHours.start !== null && input.quietHours.end !== null) {
    if (!isValidTimezone(input.timezone)) return { action: 'fail', code: 'invalid_timezone', message: `unknown IANA timezone ${JSON.stringify(input.timezone)}` };
    for (const [name, value] of [['quiet_hours_start', input.quietHours.start], ['quiet_hours_end', input.quietHours.end]] as const) {
      if (parseHHMM(value) === null) return { action: 'fail', code: 'invalid_quiet_hours', message: `${name} ${JSON.stringify(value)} is not a 24-hour HH:MM time` };
    }
    const quiet = quietHoursDecision({ now: input.now, timezone: input.timezone, start: input.quietHours.start, end: input.quietHours.end, urgent: false });
    if (quiet.action === 'defer') return { action: 'defer', until: quiet.until };
  }
  if (input.dailyLimit !== null) {
    const cap = dailyCapDecision({ sentToday: input.sentToday, limit: input.dailyLimit, urgent: input.urgent });
    if (!cap.allowed) return { action: 'skip', reason: 'daily_limit' };
  }
  return { action: 'send' };
}

/** The user's local day (for the daily cap); an unknown zone counts the UTC day. */
export function localCapDay(now: Date, timezone: string): DayBounds {
  return localDayBounds(now, isValidTimezone(timezone) ? timezone : 'UTC');
}
