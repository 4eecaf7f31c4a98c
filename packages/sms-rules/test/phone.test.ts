import { describe, expect, it } from 'vitest';
import { checkDestinationAllowed, normalizePhone, senderCountry } from '../src/phone.ts';

function e164Of(input: string, options?: Parameters<typeof normalizePhone>[1]): string {
  const result = normalizePhone(input, options);
  if (!result.ok) throw new Error(`expected ${input} to parse, got ${result.error.code}`);
  return result.e164;
}

describe('normalizePhone', () => {
  it.each([
    ['(415) 555-2671', '+14155552671'],
    ['415-555-2671', '+14155552671'],
    ['415.555.2671', '+14155552671'],
    ['4155552671', '+14155552671'],
    ['1 415 555 2671', '+14155552671'],
    ['+1 (415) 555-2671', '+14155552671'],
    ['  +1 202 456 1111  ', '+12024561111'],
    ['tel:+14155552671', '+14155552671'],
    ['011 44 20 7946 0958', '+442079460958'],
  ])('normalises the national/international form %j to %s', (input, expected) => {
    expect(e164Of(input)).toBe(expected);
  });

  it('normalises the seeds\' 555 examples (possible, though not assigned) to E.164', () => {
    expect(normalizePhone('(555) 123-4567')).toEqual({ ok: true, e164: '+15551234567', country: 'US', valid: false });
    expect(e164Of('555-123-4567')).toBe('+15551234567');
    expect(e164Of('1 555 123 4567')).toBe('+15551234567');
    expect(e164Of('5551234567')).toBe('+15551234567');
    expect(e164Of('15551234567')).toBe('+15551234567');
  });

  it('gives an E.164 number whose region has no known ranges the country of the calling code', () => {
    expect(normalizePhone('+15551234567')).toEqual({ ok: true, e164: '+15551234567', country: 'US', valid: false });
    expect(normalizePhone('+15551234567', { defaultCountry: 'CA' })).toMatchObject({ ok: true, country: 'CA' });
  });

  it('parses international numbers with their own country', () => {
    expect(normalizePhone('+44 20 7946 0958')).toEqual({ ok: true, e164: '+442079460958', country: 'GB', valid: true });
    expect(normalizePhone('+33 6 12 34 56 78')).toMatchObject({ ok: true, e164: '+33612345678', country: 'FR' });
  });

  it('uses the default country for national forms', () => {
    expect(normalizePhone('020 7946 0958', { defaultCountry: 'GB' })).toMatchObject({ ok: true, e164: '+442079460958', country: 'GB' });
    expect(normalizePhone('06 12 34 56 78', { defaultCountry: 'FR' })).toMatchObject({ ok: true, e164: '+33612345678' });
    // The same digits read as a US number have the wrong length.
    expect(normalizePhone('020 7946 0958').ok).toBe(false);
  });

  it.each(['+15005550006', '+15005550001', '+15005550009'])('accepts the Twilio test number %s, even in strict mode', (n) => {
    expect(normalizePhone(n)).toMatchObject({ ok: true, e164: n, valid: true });
    expect(normalizePhone(n, { requireValid: true })).toMatchObject({ ok: true, e164: n });
  });

  it('rejects possible-but-unassigned numbers only with requireValid', () => {
    expect(normalizePhone('(555) 123-4567', { requireValid: true })).toEqual({
      ok: false,
      error: { code: 'invalid_phone', message: expect.stringContaining('+15551234567') },
    });
    expect(normalizePhone('(212) 555-0123', { requireValid: true })).toMatchObject({ ok: true, e164: '+12125550123', valid: true });
  });

  it('marks non-geographic numbers with a null country', () => {
    expect(normalizePhone('+800 1234 5678')).toMatchObject({ ok: true, e164: '+80012345678', country: null });
  });

  it.each([
    ['', 'empty'],
    ['   ', 'empty'],
    ['abc', 'not_a_number'],
    ['12', 'too_short'],
    ['123', 'too_short'],
    ['+999 123 456', 'invalid_country'],
    ['+1 202 456 1111 1111', 'too_long'],
    ['2024561111 ext. 5', 'has_extension'],
    ['1'.repeat(65), 'too_long'],
  ])('rejects %j with %s', (input, code) => {
    const result = normalizePhone(input);
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.code).toBe(code);
      expect(result.error.message.length).toBeGreaterThan(0);
    }
  });

  it.each([
    ['0000000000', 'impossible_number'],
    ['(000) 000-0000', 'impossible_number'],
    ['+1 000 000 0000', 'impossible_number'],
    ['+44 0000 000000', 'impossible_number'],
    ['+800 0000 0000', 'impossible_number'],
    ['+١٤١٥٥٥٥٢٦٧١', 'non_ascii_digits'], // Arabic-Indic
    ['+۱۴۱۵۵۵۵۲۶۷۱', 'non_ascii_digits'], // Extended Arabic-Indic (Persian)
    ['４１５５５５２６７１', 'non_ascii_digits'], // fullwidth
    ['+1 415 555 ２６７１', 'non_ascii_digits'], // one fullwidth group in an ASCII number
    ['+१४१५५५५२६७१', 'non_ascii_digits'], // Devanagari
  ])('refuses the impossible number %j (%s) although libphonenumber finds it possible', (input, code) => {
    expect(normalizePhone(input)).toMatchObject({ ok: false, error: { code } });
    expect(normalizePhone(input, { requireValid: true })).toMatchObject({ ok: false, error: { code } });
  });

  it.each(['+15005550006', '+15005550001', '+15005550009', '+15005550002', '+15005550003', '+15005550004'])(
    'keeps the Twilio test number %s usable (possible, ASCII, not zeros)',
    (n) => expect(normalizePhone(n)).toMatchObject({ ok: true, e164: n }),
  );

  it('keeps possible numbers with zeros in them, and the fictional ranges tests use', () => {
    expect(normalizePhone('+1 202 000 0000')).toMatchObject({ ok: true, e164: '+12020000000' });
    expect(normalizePhone('+14151000001')).toMatchObject({ ok: true, valid: false });
  });

  it('treats null and undefined as empty', () => {
    expect(normalizePhone(null)).toMatchObject({ ok: false, error: { code: 'empty' } });
    expect(normalizePhone(undefined)).toMatchObject({ ok: false, error: { code: 'empty' } });
  });

  it('refuses an unsupported default country as a programming error', () => {
    expect(() => normalizePhone('4155552671', { defaultCountry: 'XX' })).toThrow(RangeError);
  });
});

describe('checkDestinationAllowed', () => {
  it('allows a destination in the list, in any case', () => {
    expect(checkDestinationAllowed('+14155552671', ['US', 'CA'])).toEqual({ allowed: true, country: 'US' });
    expect(checkDestinationAllowed('+14165550123', ['us', 'ca'])).toEqual({ allowed: true, country: 'CA' });
  });

  it('refuses a country outside the list and names it', () => {
    expect(checkDestinationAllowed('+442079460958', ['US', 'CA'])).toEqual({ allowed: false, reason: 'country_not_allowed', country: 'GB' });
  });

  it('does not treat every +1 number as US (Jamaica is +1 876)', () => {
    expect(checkDestinationAllowed('+18765551234', ['US', 'CA'])).toEqual({ allowed: false, reason: 'country_not_allowed', country: 'JM' });
    expect(checkDestinationAllowed('+18765551234', ['US', 'JM'])).toEqual({ allowed: true, country: 'JM' });
  });

  it('counts fictional +1 555 numbers and Twilio test numbers as US', () => {
    expect(checkDestinationAllowed('+15551234567', ['US'])).toEqual({ allowed: true, country: 'US' });
    expect(checkDestinationAllowed('+15005550006', ['US'])).toEqual({ allowed: true, country: 'US' });
  });

  it('allows everything with "*" and nothing with an empty list', () => {
    expect(checkDestinationAllowed('+442079460958', ['*'])).toEqual({ allowed: true, country: 'GB' });
    expect(checkDestinationAllowed('+80012345678', ['*'])).toEqual({ allowed: true, country: null });
    expect(checkDestinationAllowed('+14155552671', [])).toEqual({ allowed: false, reason: 'country_not_allowed', country: 'US' });
  });

  it('refuses a non-geographic number unless everything is allowed', () => {
    expect(checkDestinationAllowed('+80012345678', ['US'])).toEqual({ allowed: false, reason: 'country_not_allowed', country: null });
  });

  it('refuses what is not a phone number with its own reason', () => {
    expect(checkDestinationAllowed('not a phone', ['*'])).toEqual({ allowed: false, reason: 'invalid_phone', country: null });
  });
});

describe('senderCountry', () => {
  it('is the country of a geographic E.164 sender, the home country deciding within a shared calling code', () => {
    expect(senderCountry('+15005550006')).toBe('US');
    expect(senderCountry('+14165550123')).toBe('CA');
    expect(senderCountry('+447700900123', 'CA')).toBe('GB');
    expect(senderCountry('+15551234567', 'CA')).toBe('CA');
  });
  it('is null for senders that are no geographic number', () => {
    for (const from of [undefined, null, '', '12345', 'HubAlerts', '+80012345678', '+999']) expect(senderCountry(from)).toBeNull();
  });
});
