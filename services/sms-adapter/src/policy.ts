import { checkDestinationAllowed, dailyCapDecision, quietHoursDecision } from '@hub/sms-rules';

export type PolicySkipReason =
  | 'no_phone'
  | 'unverified'
  | 'opted_out'
  | 'preference_off'
  | 'daily_limit'
  | 'country_not_allowed';

export type PolicyDecision =
  | { action: 'send'; urgent: boolean }
  | { action: 'skip'; reason: PolicySkipReason; detail?: string }
  | { action: 'defer'; until: Date };

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

/**
 * The SMS policy, decided when the adapter is about to send (state may have changed since
 * the router fanned out): opt-out, verification, destination country, preference, quiet
 * hours (urgent bypasses; others are deferred to the window's end), daily cap.
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
  const urgent = toggle === 'urgentAlerts';
  const quiet = quietHoursDecision({ now: input.now, timezone: prefs.timezone, start: prefs.quietHoursStart, end: prefs.quietHoursEnd, urgent });
  if (quiet.action === 'defer') return { action: 'defer', until: quiet.until };
  const cap = dailyCapDecision({ sentToday: input.sentToday, limit: prefs.dailySmsLimit, urgent });
  if (!cap.allowed) return { action: 'skip', reason: 'daily_limit' };
  return { action: 'send', urgent };
}
