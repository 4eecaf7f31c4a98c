/**
 * When an SMS goes out: now, at the provider (Twilio-native scheduling), or through the
 * hub's scheduler. Pure: time and configuration are passed in.
 */

export interface SchedulingWindow {
  /** SendAt must be at least this far ahead… */
  minLeadMs: number;
  /** …and at most this far. */
  maxLeadMs: number;
}

/**
 * The window in which the hub asks Twilio to hold a message (SendAt). Twilio's reference
 * has said 900 s (15 min) and, lately, 300 s as the minimum, and 7 days then 35 days as the
 * maximum; the seeds' runbook says "up to 7 days". The hub uses the intersection — 15 min to
 * 7 days — so a request is valid under every version of the rule, with margin for the
 * time the request takes to reach Twilio. Outside it the scheduler holds the message.
 */
export const TWILIO_SCHEDULING_WINDOW: SchedulingWindow = { minLeadMs: 15 * 60_000, maxLeadMs: 7 * 86_400_000 };

/** A send time at most this far ahead is "now" (clock skew between router, scheduler and adapter). */
export const DUE_TOLERANCE_MS = 1_000;

export type SendTiming =
  | { mode: 'now' }
  | { mode: 'native'; sendAt: Date }
  | { mode: 'scheduler'; until: Date };

export interface SendTimingInput {
  now: Date;
  /** The event's requested send time, if any. */
  scheduledFor: Date | null;
  /** A Messaging Service is configured (Twilio schedules only through one). */
  nativeAvailable: boolean;
  window?: SchedulingWindow;
}

export function sendTiming(input: SendTimingInput): SendTiming {
  const { now, scheduledFor } = input;
  if (!scheduledFor || Number.isNaN(scheduledFor.getTime())) return { mode: 'now' };
  const lead = scheduledFor.getTime() - now.getTime();
  if (lead <= DUE_TOLERANCE_MS) return { mode: 'now' };
  const window = input.window ?? TWILIO_SCHEDULING_WINDOW;
  if (input.nativeAvailable && lead >= window.minLeadMs && lead <= window.maxLeadMs) return { mode: 'native', sendAt: scheduledFor };
  return { mode: 'scheduler', until: scheduledFor };
}
