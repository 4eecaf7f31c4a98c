import { z } from 'zod';
import { isValidTimezone, parseHHMM } from '@hub/sms-rules';

/** Shared zod schemas of the gateway's routes (params, error body, common fields). */

export const errorSchema = z.object({ error: z.object({ code: z.string(), message: z.string() }).passthrough() });

/** The error responses every authenticated route can give; spread into `response`. */
export const authErrors = { 400: errorSchema, 401: errorSchema, 403: errorSchema } as const;

export const externalIdSchema = z.string().min(1).max(200).describe('the recipient id in the upstream system (users.external_id)');

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

export const isoDateTime = z.iso.datetime({ offset: true });

export const iso = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
