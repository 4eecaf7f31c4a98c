import { describe, expect, it } from 'vitest';
import { findLinks, generateShortCode, lengthWithShortLinks, replaceLinks, SHORT_CODE_PATTERN } from '../src/links.ts';

const urls = (text: string) => findLinks(text).map((l) => l.url);

describe('findLinks', () => {
  it('finds http and https links with their positions', () => {
    const text = 'Open https://a.example/x?y=1 or http://b.example';
    expect(findLinks(text)).toEqual([
      { url: 'https://a.example/x?y=1', start: 5, end: 28 },
      { url: 'http://b.example', start: 32, end: 48 },
    ]);
  });

  it.each([
    ['See https://x.org/a.', 'https://x.org/a'],
    ['See https://x.org/a, then', 'https://x.org/a'],
    ['Really? https://x.org/a?!', 'https://x.org/a'],
    ["It's at 'https://x.org/a'", 'https://x.org/a'],
    ['(see https://x.org/a)', 'https://x.org/a'],
    ['[https://x.org/a]', 'https://x.org/a'],
    ['Done: https://x.org/a;', 'https://x.org/a'],
    ['https://x.org/a...', 'https://x.org/a'],
    ['"https://x.org/a"', 'https://x.org/a'],
    ['<https://x.org/a>', 'https://x.org/a'],
  ])('drops trailing punctuation in %j', (text, url) => expect(urls(text)).toEqual([url]));

  it('keeps balanced brackets and inner punctuation that belong to the URL', () => {
    expect(urls('https://en.wikipedia.org/wiki/Foo_(bar)')).toEqual(['https://en.wikipedia.org/wiki/Foo_(bar)']);
    expect(urls('(https://en.wikipedia.org/wiki/Foo_(bar))')).toEqual(['https://en.wikipedia.org/wiki/Foo_(bar)']);
    expect(urls('https://x.org/a.b/c?d=e,f&g=h#i')).toEqual(['https://x.org/a.b/c?d=e,f&g=h#i']);
    expect(urls('https://x.org:8443/p')).toEqual(['https://x.org:8443/p']);
  });

  it('matches the scheme in any case', () => {
    expect(urls('HTTPS://X.ORG/A')).toEqual(['HTTPS://X.ORG/A']);
  });

  it('ignores what is not a link', () => {
    expect(findLinks('no links here, www.example.com, ftp://x.org, mailto:a@b.c')).toEqual([]);
    expect(findLinks('https:// nothing')).toEqual([]);
    expect(findLinks('https://')).toEqual([]);
    expect(findLinks('xhttps://x.org')).toEqual([]);
  });

  it('finds links next to non-ASCII text', () => {
    expect(urls('Voir:https://x.org/é ok')).toEqual(['https://x.org/é']);
  });
});

describe('replaceLinks', () => {
  it('replaces each link and keeps the rest of the text', () => {
    let n = 0;
    const out = replaceLinks('A https://a.org/1. B (https://b.org/2) C', () => `https://s.io/${++n}`);
    expect(out).toBe('A https://s.io/1. B (https://s.io/2) C');
  });

  it('shortens a repeated URL once and reuses the short link', () => {
    const calls: string[] = [];
    const out = replaceLinks('https://a.org and https://a.org again', (url) => {
      calls.push(url);
      return 'https://s.io/x';
    });
    expect(out).toBe('https://s.io/x and https://s.io/x again');
    expect(calls).toEqual(['https://a.org']);
  });

  it('does not rescan replacements and leaves text without links untouched', () => {
    expect(replaceLinks('go https://a.org', () => 'https://a.org/https://a.org')).toBe('go https://a.org/https://a.org');
    expect(replaceLinks('nothing to do', () => 'X')).toBe('nothing to do');
  });
});

describe('generateShortCode', () => {
  const counter = () => {
    let next = 0;
    return (n: number) => Uint8Array.from({ length: n }, () => next++ % 256);
  };

  it('maps bytes to base62 deterministically', () => {
    expect(generateShortCode(counter())).toBe('0123456789');
    expect(generateShortCode(counter(), 12)).toBe('0123456789AB');
  });

  it('uses the whole alphabet', () => {
    const code = generateShortCode(counter(), 62);
    expect(code).toBe('0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz');
  });

  it('rejects bytes that would bias the alphabet (≥ 248)', () => {
    const bytes = [248, 255, 250, 61, 62, 247];
    let i = 0;
    const source = (n: number) => Uint8Array.from({ length: n }, () => bytes[i++] ?? 0);
    // 61 → 'z', 62 → '0', 247 → 247 % 62 = 61 → 'z', then zeros.
    expect(generateShortCode(source)).toBe('z0z0000000');
  });

  it('produces codes of at least 56 bits and matches the public pattern', () => {
    const code = generateShortCode(counter());
    expect(code).toMatch(SHORT_CODE_PATTERN);
    expect(code.length * Math.log2(62)).toBeGreaterThanOrEqual(56);
  });

  it('gives different codes for different random bytes', () => {
    const a = generateShortCode(() => new Uint8Array(20).fill(1));
    const b = generateShortCode(() => new Uint8Array(20).fill(2));
    expect(a).toBe('1111111111');
    expect(b).toBe('2222222222');
  });

  it('refuses lengths that are too short to be unguessable, or absurd', () => {
    expect(() => generateShortCode(counter(), 9)).toThrow(RangeError);
    expect(() => generateShortCode(counter(), 6)).toThrow(RangeError);
    expect(() => generateShortCode(counter(), 10.5)).toThrow(RangeError);
    expect(() => generateShortCode(counter(), 65)).toThrow(RangeError);
  });

  it('fails instead of looping forever on a broken random source', () => {
    expect(() => generateShortCode(() => new Uint8Array(20).fill(255))).toThrow(/random source/);
    expect(() => generateShortCode(() => new Uint8Array(0))).toThrow(/random source/);
  });
});

describe('lengthWithShortLinks', () => {
  const base = 'http://127.0.0.1:3000/'; // trailing slash dropped: links are http://127.0.0.1:3000/l/<10>
  it('counts each link at the short link length, whatever its own length', () => {
    expect(lengthWithShortLinks(`Read https://docs.example.com/${'x'.repeat(200)} now`, base)).toBe(5 + 34 + 4);
    expect(lengthWithShortLinks('Go http://x.co', base)).toBe(3 + 34);
    expect(lengthWithShortLinks('a http://a.io/1 b http://a.io/1', base)).toBe(2 + 34 + 3 + 34);
  });
  it('is the code point count of a text without links', () => {
    expect(lengthWithShortLinks('🎉 no links', base)).toBe(10);
  });
});
