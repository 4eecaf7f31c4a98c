/**
 * What a recipient gets when the hub creates its SMS preferences (a first PATCH of its
 * preferences, a verified phone, a raw-number send): GATEWAY_DEFAULT_* settings, defaulting to
 * the seeds' user_sms_preferences defaults — task reminders and daily briefs off, urgent
 * alerts on, quiet hours 21:00–08:00 in the recipient's zone — so that nobody is texted at
 * night, or about something they never asked for, by accident.
 */
export interface RecipientDefaults {
  taskReminders: boolean;
  dailyBriefSms: boolean;
  urgentAlerts: boolean;
  /** HH:MM, or null (with quietHoursEnd null) for no quiet hours. */
  quietHoursStart: string | null;
  quietHoursEnd: string | null;
}

export const SEED_RECIPIENT_DEFAULTS: RecipientDefaults = {
  taskReminders: false,
  dailyBriefSms: false,
  urgentAlerts: true,
  quietHoursStart: '21:00',
  quietHoursEnd: '08:00',
};

declare module 'fastify' {
  interface FastifyInstance {
    /** Defaults of SMS preferences the gateway creates (see RecipientDefaults). */
    recipientDefaults: RecipientDefaults;
  }
}
