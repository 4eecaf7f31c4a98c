import { describe, expect, it } from 'vitest';
import { FaultBook, magicFault, phaseOf } from '../src/faults.ts';
import { decodeEncodedWords, headerRecord } from '../src/headers.ts';
import { escapeHtml } from '../src/http/html.ts';
import { smtpApi } from '../src/parse.ts';
import { FAULTS } from '../src/types.ts';
import { unsubscribeUrl } from '../src/unsubscribe.ts';

describe('headers', () => {
  it('decodes Q and B words, joins adjacent words (a character split across two survives)', () => {
    expect(decodeEncodedWords('=?UTF-8?Q?Gr=C3?= =?UTF-8?Q?=BC=C3=9Fe_x?= tail')).toBe('Grüße x tail');
    expect(decodeEncodedWords('=?utf-8?B?R3LDvA==?= =?utf-8?B?w59l?=')).toBe('Grüße');
    expect(decodeEncodedWords('=?ISO-8859-1?Q?caf=E9?=')).toBe('café');
    expect(decodeEncodedWords('plain = text ?= no words')).toBe('plain = text ?= no words');
  });

  it('unfolds, lower-cases names, joins repeated headers with a newline', () => {
    expect(headerRecord([
      { key: 'received', line: 'Received: from a\r\n by b' },
      { key: 'received', line: 'Received: from c' },
      { key: 'subject', line: 'Subject: =?UTF-8?Q?a?=\r\n =?UTF-8?Q?b?=' },
    ])).toEqual({ received: 'from a by b\nfrom c', subject: 'ab' });
  });

  it('X-SMTPAPI: unique_args and category; anything malformed is ignored', () => {
    expect(smtpApi({ 'x-smtpapi': '{"unique_args":{"a":1},"category":"c"}' })).toEqual({ uniqueArgs: { a: 1 }, category: 'c' });
    expect(smtpApi({ 'x-smtpapi': '[1]' })).toEqual({ uniqueArgs: {}, category: null });
    expect(smtpApi({ 'x-smtpapi': '{"unique_args":[1],"category":3}' })).toEqual({ uniqueArgs: {}, category: null });
    expect(smtpApi({})).toEqual({ uniqueArgs: {}, category: null });
  });
});

describe('faults', () => {
  it('every fault has a phase', () => {
    for (const f of FAULTS) expect(['rcpt', 'data', 'after']).toContain(phaseOf(f));
  });

  it('magic local parts at any domain, +tag and case ignored', () => {
    expect(magicFault('Bounce+abc@Example.com')).toBe('hard_bounce_later');
    expect(magicFault('softbounce@x.org')).toBe('soft_bounce_later');
    expect(magicFault('bouncer@x.org')).toBeNull();
    expect(magicFault('ann@bounce.org')).toBeNull();
  });

  it('an address rule over "*" over magic; used only in its phase; times counted down', () => {
    const book = new FaultBook();
    book.set('*', 'temp_fail_data', 1);
    book.set('Ann@x.com', 'perm_fail_rcpt');
    expect(book.take('ann@x.com', 'rcpt')).toBe('perm_fail_rcpt');
    expect(book.take('bounce@x.com', 'after')).toBeNull(); // '*' is its rule, of another phase
    expect(book.take('bounce@x.com', 'data')).toBe('temp_fail_data');
    expect(book.take('bounce@x.com', 'after')).toBe('hard_bounce_later'); // '*' used up
    expect(() => book.set('*', 'slow_data', 0)).toThrow(/positive/);
  });
});

describe('small helpers', () => {
  it('escapeHtml', () => expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;'));
  it('unsubscribeUrl takes the first http(s) entry', () => {
    expect(unsubscribeUrl('<mailto:a@b>, <https://u.test/x?y=1>, <http://v.test/>')).toBe('https://u.test/x?y=1');
    expect(unsubscribeUrl('<mailto:a@b>')).toBeNull();
  });
});
