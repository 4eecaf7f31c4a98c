import { domainToASCII } from 'node:url';
import validator from 'validator';

/**
 * Email addresses as the hub stores and sends to them.
 *
 * - Input is trimmed; a bare address only (no display name, no comments, no IP-literal
 *   domain; the domain needs a TLD). Any control character anywhere (a CR/LF header-injection
 *   attempt, even a trailing one) is refused rather than trimmed away.
 * - The domain is lower-cased and an internationalised (IDN) domain converted to its ASCII
 *   (punycode) form; the local part is kept exactly as given (RFC 5321: it is case-sensitive,
 *   only the receiving host may fold it). A non-ASCII local part is refused.
 * - At most 254 characters in all (RFC 5321 path limit minus the brackets), 64 for the local part.
 * - `emailLookupKey` is the fully lower-cased form, for uniqueness and lookups: two
 *   addresses differing only in local-part case are the same person in practice.
 */
export type NormalizedEmail = { ok: true; address: string; domain: string } | { ok: false; code: 'invalid_email'; message: string };

export const MAX_EMAIL_LENGTH = 254;

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;

const invalid = (message: string): NormalizedEmail => ({ ok: false, code: 'invalid_email', message });

export function normalizeEmailAddress(input: string): NormalizedEmail {
  if (typeof input !== 'string') return invalid('not a string');
  if (CONTROL.test(input)) return invalid('contains a control character (CR, LF, tab …)');
  const trimmed = input.trim();
  if (trimmed === '') return invalid('empty');
  if (/[<>]/.test(trimmed)) return invalid('a bare address only: no display name or angle brackets');
  if (trimmed.length > MAX_EMAIL_LENGTH * 4) return invalid(`longer than ${MAX_EMAIL_LENGTH} characters`);
  const at = trimmed.lastIndexOf('@');
  if (at <= 0 || at === trimmed.length - 1) return invalid('not of the form local@domain');
  const local = trimmed.slice(0, at);
  const rawDomain = trimmed.slice(at + 1);
  if (rawDomain.endsWith('.')) return invalid('the domain ends with a dot');
  const domain = domainToASCII(rawDomain.toLowerCase());
  if (domain === '') return invalid('the domain is not a valid host name');
  const address = `${local}@${domain}`;
  if (address.length > MAX_EMAIL_LENGTH) return invalid(`longer than ${MAX_EMAIL_LENGTH} characters`);
  const valid = validator.isEmail(address, {
    allow_display_name: false,
    require_display_name: false,
    allow_utf8_local_part: false,
    require_tld: true,
    allow_ip_domain: false,
    domain_specific_validation: false,
    ignore_max_length: false,
  });
  if (!valid) return invalid('not a valid email address');
  return { ok: true, address, domain };
}

/** The key an address is unique by and looked up with: fully lower-cased. */
export function emailLookupKey(address: string): string {
  return address.toLowerCase();
}
