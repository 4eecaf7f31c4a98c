import { z } from 'zod';
import { isStorableTime, MAX_STORABLE_TIME, MIN_STORABLE_TIME } from '@hub/contracts';
import { isValidTimezone, parseHHMM } from '@hub/sms-rules';

/** Shared zod schemas of the gateway's routes (params, error body, common fields). */

export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }).passthrough() });

/** The error responses every authenticated route can give; spread into `response`. */
export const authErrors = { 400: errorSchema, 401: errorSchema, 403: errorSchema } as const;

/**
 * Lengths of the VARCHAR columns the API writes or filters on (prisma/schema.prisma); a
 * unit test compares them with the schema, so a column and its input cannot drift apart.
 * Use `dbString('users.external_id')` for an input stored in (or compared with) a column.
 */
export const COLUMN_LIMITS = {
  'users.external_id': 200,
  'users.timezone': 64,
  'users.locale': 35,
  'user_sms_preferences.phone_number': 20,
  'user_sms_preferences.opt_out_reason': 100,
  'notification_subscriptions.event_type': 100,
  'notification_events.id': 128,
  'notification_events.event_type': 100,
  'notification_events.target_user_id': 200,
  'notification_events.source': 100,
  'notification_deliveries.channel': 20,
  'sms_messages.template_key': 100,
  'sms_templates.template_key': 100,
  'sms_templates.name': 255,
  'sms_click_tracking.short_code': 32,
} as const;

export type LimitedColumn = keyof typeof COLUMN_LIMITS;

/** A string that fits `column` (at most its VARCHAR length). */
export const dbString = (column: LimitedColumn) => z.string().max(COLUMN_LIMITS[column]);

export const externalIdSchema = dbString('users.external_id').min(1).describe('the recipient id in the upstream system (users.external_id)');

export const userParams = z.object({ externalId: externalIdSchema });

export const timezoneSchema = z.string().max(64).refine(isValidTimezone, 'must be an IANA time zone, e.g. Europe/London');

export const hhmmSchema = z.string().refine((v) => parseHHMM(v) !== null && v.length === 5, 'must be a 24-hour HH:MM time, e.g. 22:00');

/** BCP 47 language tag (en-US, fr, pt-BR), canonicalised by Intl. */
export const localeSchema = z.string().min(2).max(35).refine((v) => {
  try {
    return Intl.getCanonicalLocales(v).length === 1;
  } catch {
    return false;
  }
}, 'must be a BCP 47 language tag, e.g. en-US');

/**
 * An ISO 8601 instant with offset that PostgreSQL's timestamptz and JavaScript's Date both
 * hold: 0001-01-01T00:00:00.000Z to 9999-12-31T23:59:59.999Z (as an instant, i.e. after the
 * offset is applied). Year 0000 and 5+-digit years are refused (400), not a database error.
 */
export const isoDateTime = z.iso
  .datetime({ offset: true })
  .refine(isStorableTime, `must be between ${new Date(MIN_STORABLE_TIME).toISOString()} and ${new Date(MAX_STORABLE_TIME).toISOString()}`);

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
