import { preferenceEnabled, type ChannelPreferenceRow } from '@hub/channel-kit';
import { checkDestinationAllowed, dailyCapDecision, isValidTimezone, localDayBounds, parseHHMM, quietHoursDecision, type DayBounds } from '@hub/sms-rules';

export type PolicySkipReason =
  | 'no_phone'
  | 'unverified'
  | 'opted_out'
  | 'preference_off'
  | 'daily_limit'
  | 'country_not_allowed';

/** Stored settings the rules cannot work with: a permanent failure of the delivery, not a retry. */
export type PolicyFailCode = 'invalid_timezone' | 'invalid_quiet_hours';

export type PolicyDecision =
  | { action: 'send'; urgent: boolean }
  | { action: 'skip'; reason: PolicySkipReason; detail?: string }
  | { action: 'defer'; until: Date }
  | { action: 'fail'; code: PolicyFailCode; message: string };

export interface PolicyInput {
  now: Date;
  eventType: string;
  priority: 'low' | 'normal' | 'high' | 'urgent';
  prefs: {
    phoneNumber: string | null;
    phoneVerified: boolean;
    optedOut: boolean;
    taskReminders: boolean;
    dailyBriefSms: boolean;
    urgentAlerts: boolean;
    quietHoursStart: string | null;
    quietHoursEnd: string | null;
    timezone: string;
    dailySmsLimit: number;
  } | null;
  /** notification_preferences rows for SMS (per event type or '*'): a disabled one skips. */
  channelPreferences?: readonly ChannelPreferenceRow[];
  /** Messages handed to the provider in the user's local day (see capDayBounds). */
  sentToday: number;
  allowedCountries: readonly string[];
}

/** Which preference toggle governs an event type; others are governed by subscriptions alone. */
export function preferenceFor(eventType: string, priority: PolicyInput['priority']): 'taskReminders' | 'dailyBriefSms' | 'urgentAlerts' | null {
  if (priority === 'urgent' || eventType === 'task.urgent' || eventType.startsWith('urgent.')) return 'urgentAlerts';
  if (eventType === 'task.reminder' || eventType === 'task.due') return 'taskReminders';
  if (eventType === 'brief.ready' || eventType.startsWith('daily_brief.')) return 'dailyBriefSms';
  return null;
}

/** The timezone the rules use: the SMS preferences' own, else the user's. */
export function effectiveTimezone(prefsTimezone: string | null | undefined, userTimezone: string): string {
  return prefsTimezone && prefsTimezone.trim() !== '' ? prefsTimezone : userTimezone;
}

/**
 * The local day over which the daily cap is counted. An unknown zone never throws here:
 * the policy fails such a delivery (invalid_timezone) unless it is urgent, and urgent
 * messages bypass the cap, so the UTC day is only a harmless stand-in.
 */
export function capDayBounds(now: Date, timezone: string): DayBounds {
  return localDayBounds(now, isValidTimezone(timezone) ? timezone : 'UTC');
}

/**
 * The SMS policy, decided when the adapter is about to send (state may have changed since
 * the router fanned out): opt-out, verification, destination country, preference, stored
 * settings, quiet hours (urgent bypasses; others are deferred to the window's end), daily
 * cap (urgent bypasses it but counts toward it: see @hub/sms-rules daily-cap).
 *
 * Never throws on stored data: an unknown timezone or a malformed quiet-hours bound is a
 * `fail` (recorded on the delivery) for a non-urgent message — retrying cannot fix it —
 * while an urgent one still goes out.
 */
export function decidePolicy(input: PolicyInput): PolicyDecision {
  const { prefs } = input;
  if (!prefs || !prefs.phoneNumber) return { action: 'skip', reason: 'no_phone' };
  if (prefs.optedOut) return { action: 'skip', reason: 'opted_out' };
  if (!prefs.phoneVerified) return { action: 'skip', reason: 'unverified' };
  const destination = checkDestinationAllowed(prefs.phoneNumber, [...input.allowedCountries]);
  if (!destination.allowed) return { action: 'skip', reason: 'country_not_allowed', detail: destination.country ?? undefined };
  const toggle = preferenceFor(input.eventType, input.priority);
  if (toggle && !prefs[toggle]) return { action: 'skip', reason: 'preference_off' };
  if (!preferenceEnabled(input.channelPreferences ?? [], input.eventType)) return { action: 'skip', reason: 'preference_off' };
  const urgent = toggle === 'urgentAlerts';
  if (!urgent) {
    const invalid = invalidSettings(prefs);
    if (invalid) return { action: 'fail', ...invalid };
    const quiet = quietHoursDecision({ now: input.now, timezone: prefs.timezone, start: prefs.quietHoursStart, end: prefs.quietHoursEnd, urgent });
    if (quiet.action === 'defer') return { action: 'defer', until: quiet.until };
  }
  const cap = dailyCapDecision({ sentToday: input.sentToday, limit: prefs.dailySmsLimit, urgent });
  if (!cap.allowed) return { action: 'skip', reason: 'daily_limit' };
  return { action: 'send', urgent };
}

function invalidSettings(prefs: NonNullable<PolicyInput['prefs']>): { code: PolicyFailCode; message: string } | null {
  if (!isValidTimezone(prefs.timezone)) return { code: 'invalid_timezone', message: `unknown IANA timezone ${JSON.stringify(prefs.timezone)} in the user's SMS preferences` };
  // Only a complete window is a window (sms-rules: a null bound means no quiet hours).
  if (prefs.quietHoursStart === null || prefs.quietHoursEnd === null) return null;
  for (const [name, value] of [['quiet_hours_start', prefs.quietHoursStart], ['quiet_hours_end', prefs.quietHoursEnd]] as const) {
    if (parseHHMM(value) === null) return { code: 'invalid_quiet_hours', message: `${name} ${JSON.stringify(value)} is not a 24-hour HH:MM time` };
  }
  return null;
}
