import {
  getCountryCallingCode,
  isSupportedCountry,
  parsePhoneNumberWithError,
  ParseError,
  validatePhoneNumberLength,
  type CountryCode,
  type PhoneNumber,
} from 'libphonenumber-js/max';
import metadata from 'libphonenumber-js/max/metadata';

/**
 * Phone numbers: parse what people type, store E.164.
 *
 * Validity policy (see README): by default a number is accepted when it is *possible*
 * (right length for its country's numbering plan), not only when it is *valid* (in a
 * range the metadata knows to be assigned). Reasons:
 * - libphonenumber's ranges lag reality (new area codes, ported ranges); rejecting a real
 *   subscriber because our metadata is old is worse than one failed Verify attempt;
 * - every number is proven by Twilio Verify before any non-verification SMS, which is the
 *   real test of "can receive SMS";
 * - fictional numbers (+1 555 …) used by the seeds, the sandbox and demos are possible but
 *   not valid, and the hub must run end to end without a real phone.
 * The result says whether the number is also `valid`; `{ requireValid: true }` turns the
 * strict check on (e.g. for bulk imports that never go through Verify). Twilio's magic test
 * numbers (+1 500 555 000x) are valid in libphonenumber's metadata, so they pass either way.
 * Extensions are rejected: an extension cannot receive an SMS.
 *
 * "Possible" alone lets through numbers no one can own, each of which would cost a Verify
 * call: libphonenumber only checks the length of `0000000000`, and it reads Arabic-Indic
 * (٤١٥…), Persian or fullwidth (４１５…) digits as if they were ASCII. Two refusals on top
 * of isPossible, both before any provider call:
 * - digits other than ASCII 0-9 (`non_ascii_digits`): a number is typed or pasted in ASCII
 *   everywhere the hub takes one; another script's digits mean a copy from a rendered page or
 *   a spoofing attempt, and the E.164 we would store would not be what the user saw;
 * - a national significant number of zeros only (`impossible_number`): never assigned in
 *   any numbering plan (libphonenumber calls even `+800 0000 0000` "valid": its toll-free
 *   pattern is loose, so isValid could not be the rule here either).
 * isValid is deliberately not the default rule: it refuses the fictional +1 555 numbers and
 * unassigned exchanges (+1 415 1xx …) the seeds, demos and tests use, while the Twilio test
 * numbers (+1 500 555 0006 / 0001 / 0009 …) pass every rule above (unit-tested).
 */

export const PHONE_ERROR_CODES = [
  'empty',
  'not_a_number',
  'invalid_country',
  'too_short',
  'too_long',
  'has_extension',
  'invalid_phone',
  'non_ascii_digits',
  'impossible_number',
] as const;
export type PhoneErrorCode = (typeof PHONE_ERROR_CODES)[number];

export interface PhoneError {
  code: PhoneErrorCode;
  message: string;
}

export type NormalizedPhone =
  | {
      ok: true;
      /** E.164: "+" then up to 15 digits. */
      e164: string;
      /** ISO 3166-1 alpha-2 country, or null for non-geographic numbers (+800, +882…). */
      country: string | null;
      /** True when the number is in a range known to be assigned (libphonenumber isValid). */
      valid: boolean;
    }
  | { ok: false; error: PhoneError };

export interface NormalizePhoneOptions {
  /** Country assumed for numbers typed without an international prefix. Default 'US'. */
  defaultCountry?: string;
  /** Reject numbers that are possible but not valid. Default false (see above). */
  requireValid?: boolean;
}

/** Longer input than this is not a phone number; refusing early bounds the parser's work. */
const MAX_INPUT_LENGTH = 64;
/** A decimal digit (Unicode Nd) that is not ASCII 0-9: Arabic-Indic, Devanagari, fullwidth… */
const NON_ASCII_DIGIT = /(?![0-9])\p{Nd}/u;

export function normalizePhone(input: string | null | undefined, options: NormalizePhoneOptions = {}): NormalizedPhone {
  const defaultCountry = options.defaultCountry ?? 'US';
  if (!isSupportedCountry(defaultCountry)) {
    throw new RangeError(`normalizePhone: unsupported default country "${defaultCountry}"`);
  }
  const text = typeof input === 'string' ? input.trim() : '';
  if (text === '') return fail('empty', 'phone number is empty');
  if (text.length > MAX_INPUT_LENGTH) return fail('too_long', `phone number is longer than ${MAX_INPUT_LENGTH} characters`);
  if (NON_ASCII_DIGIT.test(text)) return fail('non_ascii_digits', 'phone number must be written with ASCII digits 0-9');

  let parsed: PhoneNumber;
  try {
    parsed = parsePhoneNumberWithError(text, defaultCountry);
  } catch (err) {
    if (err instanceof ParseError) return fromParseError(err.message);
    throw err;
  }
  if (parsed.ext) return fail('has_extension', 'a number with an extension cannot receive SMS');
  if (!parsed.isPossible()) {
    return fromParseError(validatePhoneNumberLength(text, defaultCountry) ?? 'INVALID_LENGTH');
  }
  if (/^0+$/.test(parsed.nationalNumber)) return fail('impossible_number', `${parsed.number} cannot be a phone number (all zeros)`);
  const valid = parsed.isValid();
  if (options.requireValid && !valid) {
    return fail('invalid_phone', `${parsed.number} is not an assigned phone number`);
  }
  return { ok: true, e164: parsed.number, country: countryOf(parsed, defaultCountry), valid };
}

export type DestinationCheck =
  | { allowed: true; country: string | null }
  | { allowed: false; reason: 'country_not_allowed'; country: string | null }
  | { allowed: false; reason: 'invalid_phone'; country: null };

/**
 * Whether a destination is in the allowed list of countries (ISO alpha-2, any case).
 * "*" allows every destination; an empty list allows none (fail closed: SMS abroad costs
 * money, so "nothing configured" must not mean "everything"). NANP is not one country:
 * +1 876 is Jamaica, so a US/CA-only list refuses it even though it starts with +1.
 */
export function checkDestinationAllowed(e164: string, allowedCountries: readonly string[]): DestinationCheck {
  const phone = normalizePhone(e164);
  if (!phone.ok) return { allowed: false, reason: 'invalid_phone', country: null };
  const allowed = new Set(allowedCountries.map((c) => c.trim().toUpperCase()));
  if (allowed.has('*')) return { allowed: true, country: phone.country };
  if (phone.country !== null && allowed.has(phone.country)) return { allowed: true, country: phone.country };
  return { allowed: false, reason: 'country_not_allowed', country: phone.country };
}

/** Whether a code is an ISO 3166-1 alpha-2 country libphonenumber knows (upper case). */
export function isPhoneCountry(code: string): boolean {
  return isSupportedCountry(code);
}

/**
 * The country of a sender (TWILIO_FROM_NUMBER), the default destination allow-list: a hub
 * that sends from a US number sends to the US unless told otherwise (SMS abroad costs money
 * and needs per-country registration). Null when the sender is no geographic E.164 number:
 * none configured (a Messaging Service alone), a short code, an alphanumeric sender ID, a
 * non-geographic +800 number, or something unparseable. `homeCountry` decides numbers
 * libphonenumber cannot place within a shared calling code (+1 555 …).
 */
export function senderCountry(from: string | null | undefined, homeCountry = 'US'): string | null {
  const text = from?.trim() ?? '';
  if (!text.startsWith('+')) return null;
  const phone = normalizePhone(text, { defaultCountry: homeCountry });
  return phone.ok ? phone.country : null;
}

export type AllowListSource = 'SMS_ALLOWED_COUNTRIES' | 'TWILIO_FROM_NUMBER' | 'SMS_DEFAULT_COUNTRY';

/**
 * The destination allow-list (the seeds' cost control), the same for every service that
 * sends or verifies: the explicit list when configured, else the sender's own country,
 * else the hub's home country.
 */
export function allowedDestinations(explicit: readonly string[] | undefined, from: string | null | undefined, homeCountry: string): { countries: string[]; source: AllowListSource } {
  if (explicit && explicit.length > 0) return { countries: [...explicit], source: 'SMS_ALLOWED_COUNTRIES' };
  const sender = senderCountry(from, homeCountry);
  return sender ? { countries: [sender], source: 'TWILIO_FROM_NUMBER' } : { countries: [homeCountry], source: 'SMS_DEFAULT_COUNTRY' };
}

/**
 * The number's country. libphonenumber leaves it undefined when no region's ranges match
 * (e.g. +1 555 …); we then take the default country if it shares the calling code, else the
 * calling code's main country (US for +1, GB for +44), and null for non-geographic codes.
 */
function countryOf(phone: PhoneNumber, defaultCountry: CountryCode): string | null {
  if (phone.country) return phone.country;
  if (getCountryCallingCode(defaultCountry) === phone.countryCallingCode) return defaultCountry;
  const main = metadata.country_calling_codes[phone.countryCallingCode]?.[0];
  return main !== undefined && isSupportedCountry(main) ? main : null;
}

function fromParseError(reason: string): NormalizedPhone {
  switch (reason) {
    case 'NOT_A_NUMBER':
      return fail('not_a_number', 'not a phone number');
    case 'INVALID_COUNTRY':
      return fail('invalid_country', 'unknown country calling code, or a national number without one');
    case 'TOO_SHORT':
      return fail('too_short', 'phone number is too short');
    case 'TOO_LONG':
      return fail('too_long', 'phone number is too long');
    default:
      return fail('invalid_phone', 'phone number has an impossible length for its country');
  }
}

function fail(code: PhoneErrorCode, message: string): NormalizedPhone {
  return { ok: false, error: { code, message } };
}
