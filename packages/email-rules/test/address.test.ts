import { describe, expect, it } from 'vitest';
import { emailLookupKey, normalizeEmailAddress } from '../src/index.ts';

describe('normalizeEmailAddress', () => {
  it.each([
    ['  John.Doe@Example.COM ', 'John.Doe@example.com', 'example.com'],
    ['user+tag@sub.example.co.uk', 'user+tag@sub.example.co.uk', 'sub.example.co.uk'],
    ['user@bücher.de', 'user@xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['user@BÜCHER.DE', 'user@xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['x@XN--BCHER-KVA.DE', 'x@xn--bcher-kva.de', 'xn--bcher-kva.de'],
    ['"quoted"@example.com', '"quoted"@example.com', 'example.com'],
  ])('%j → %s', (input, address, domain) => {
    expect(normalizeEmailAddress(input)).toEqual({ ok: true, address, domain });
  });

  const maxLocal = 'a'.repeat(64);
  const label63 = 'b'.repeat(63);
  const at254 = `${maxLocal}@${label63}.${label63}.${'c'.repeat(57)}.com`;

  it('accepts exactly 254 characters and refuses 255+', () => {
    expect(at254).toHaveLength(254);
    expect(normalizeEmailAddress(at254).ok).toBe(true);
    expect(normalizeEmailAddress(`${maxLocal}@${label63}.${label63}.${'c'.repeat(58)}.com`)).toMatchObject({ ok: false, code: 'invalid_email' });
    expect(normalizeEmailAddress(`a@${'x'.repeat(5000)}.com`)).toMatchObject({ ok: false, code: 'invalid_email' });
  });

  it.each([
    ['display name', 'John <john@example.com>'],
    ['angle brackets', '<john@example.com>'],
    ['trailing dot in the domain', 'a@example.com.'],
    ['consecutive dots in the local part', 'a..b@example.com'],
    ['consecutive dots in the domain', 'a@example..com'],
    ['leading dot', '.a@example.com'],
    ['trailing dot in the local part', 'a.@example.com'],
    ['non-ASCII local part', 'ü@example.com'],
    ['IP domain', 'a@127.0.0.1'],
    ['IP literal', 'a@[127.0.0.1]'],
    ['no TLD', 'a@localhost'],
    ['a one-letter TLD', 'a@x.c'],
    ['two @', 'a@@example.com'],
    ['no @', 'example.com'],
    ['empty local part', '@example.com'],
    ['empty domain', 'a@'],
    ['underscore in the domain', 'a@x_y.com'],
    ['hyphen-led label', 'a@-x.com'],
    ['local part over 64', `${'a'.repeat(65)}@example.com`],
    ['CRLF header injection', 'a@example.com\r\nBcc: victim@example.org'],
    ['LF injection', 'a@example.com\nBcc: victim@example.org'],
    ['a trailing newline', 'a@example.com\n'],
    ['a CR in the local part', 'a\r@example.com'],
    ['a tab', 'a\t@example.com'],
    ['a NUL', 'a\u0000@example.com'],
    ['a Unicode line separator', 'a@example.com\u2028'],
    ['blank', '   '],
    ['a space inside', 'a b@example.com'],
    ['a comma list', 'a@example.com, b@example.com'],
  ])('refuses %s', (_what, input) => {
    const r = normalizeEmailAddress(input);
    expect(r).toMatchObject({ ok: false, code: 'invalid_email' });
    if (!r.ok) expect(r.message.length).toBeGreaterThan(0);
  });

  it('refuses what is not a string', () => {
    expect(normalizeEmailAddress(42 as unknown as string)).toMatchObject({ ok: false, code: 'invalid_email' });
  });
});

describe('emailLookupKey', () => {
  it('lower-cases the whole address, local part included', () => {
    const r = normalizeEmailAddress('John.Doe@Example.COM');
    expect(r.ok && emailLookupKey(r.address)).toBe('john.doe@example.com');
    expect(emailLookupKey('A@B.C')).toBe(emailLookupKey('a@b.c'));
  });
});
