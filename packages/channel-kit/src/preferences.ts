/**
 * Preferences per user × event type × channel (notification_preferences). A row for the
 * exact event type wins over the channel-wide row ('*'); no row means enabled. Channels may
 * add their own rules on top (SMS keeps the seeds' per-category toggles).
 */
export interface ChannelPreferenceRow {
  event_type: string;
  enabled: boolean;
}

export const ALL_EVENT_TYPES = '*';

export function preferenceEnabled(rows: readonly ChannelPreferenceRow[], eventType: string): boolean {
  const exact = rows.find((r) => r.event_type === eventType);
  if (exact) return exact.enabled;
  const all = rows.find((r) => r.event_type === ALL_EVENT_TYPES);
  return all ? all.enabled : true;
}
