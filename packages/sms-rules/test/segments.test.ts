import { describe, expect, it } from 'vitest';
import {
  countSegments,
  detectEncoding,
  GSM7_BASIC_CHARS,
  GSM7_EXTENSION_CHARS,
  gsm7Septets,
  nonGsm7Chars,
  splitSegments,
} from '../src/segments.ts';

describe('GSM-7 character sets', () => {
  it('has the 127 printable basic characters and the 10 extension characters', () => {
    expect(GSM7_BASIC_CHARS.size).toBe(127);
    expect(GSM7_EXTENSION_CHARS.size).toBe(10);
    expect(GSM7_BASIC_CHARS.has('\u001b')).toBe(false);
    for (const c of GSM7_EXTENSION_CHARS) expect(GSM7_BASIC_CHARS.has(c)).toBe(false);
  });

  it.each(['A', 'z', '0', '@', '£', '$', '¥', 'è', 'Ç', 'Ø', 'Δ', 'Ω', 'ß', 'É', '¡', '¿', 'Ñ', 'ü', 'à', '\n', '\r', ' '])(
    'counts basic %j as one septet',
    (c) => expect(gsm7Septets(c)).toBe(1),
  );

  it.each(['€', '[', ']', '{', '}', '~', '^', '|', '\\', '\f'])('counts extension %j as two septets', (c) => {
    expect(gsm7Septets(c)).toBe(2);
  });

  it.each(['ç', 'á', 'ó', '’', '“', '—', '…', '😀', '中', '\t', '`'])('knows %j is not GSM-7', (c) => {
    expect(gsm7Septets(c)).toBeNull();
  });
});

describe('countSegments: GSM-7', () => {
  it('counts the empty string as 0 segments of GSM-7', () => {
    expect(countSegments('')).toEqual({ encoding: 'GSM-7', segments: 0, units: 0, perSegment: 160, ucs2Chars: [] });
  });

  it('fits 160 septets in one segment and needs two for 161', () => {
    expect(countSegments('a'.repeat(160))).toMatchObject({ encoding: 'GSM-7', segments: 1, units: 160, perSegment: 160 });
    expect(countSegments('a'.repeat(161))).toMatchObject({ segments: 2, units: 161, perSegment: 153 });
  });

  it('uses 153 septets per concatenated segment', () => {
    expect(countSegments('a'.repeat(306)).segments).toBe(2);
    expect(countSegments('a'.repeat(307)).segments).toBe(3);
    expect(countSegments('a'.repeat(459)).segments).toBe(3);
    expect(countSegments('a'.repeat(460)).segments).toBe(4);
  });

  it('counts extension characters twice', () => {
    expect(countSegments('€')).toMatchObject({ encoding: 'GSM-7', units: 2, segments: 1 });
    expect(countSegments('{}[]~^|\\€\f')).toMatchObject({ units: 20 });
    // 80 euro signs are 160 septets: one segment; one more character tips it over.
    expect(countSegments('€'.repeat(80))).toMatchObject({ units: 160, segments: 1 });
    expect(countSegments('€'.repeat(80) + 'a')).toMatchObject({ units: 161, segments: 2 });
  });

  it('never splits an escape pair across segments', () => {
    // 152 septets then a two-septet "€": it cannot share segment one, which ends at 152.
    const text = 'a'.repeat(152) + '€' + 'b'.repeat(10);
    const parts = splitSegments(text);
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe('a'.repeat(152));
    expect(parts[1]?.startsWith('€')).toBe(true);
    expect(countSegments(text).segments).toBe(2);
  });

  it('can need an extra segment because of an unsplittable escape pair', () => {
    // 306 septets would fit two segments of 153, but the pair at 153–154 moves to segment two.
    const text = 'a'.repeat(152) + '€' + 'a'.repeat(152);
    expect(countSegments(text)).toMatchObject({ units: 306, segments: 3 });
  });
});

describe('countSegments: UCS-2', () => {
  it('switches to UCS-2 for a single non-GSM character and lists what forced it', () => {
    const info = countSegments('Caf\u00e9 ok, but “smart quotes” and ç');
    expect(info.encoding).toBe('UCS-2');
    expect(info.ucs2Chars).toEqual(['“', '”', 'ç']);
  });

  it('fits 70 code units in one segment and 67 per concatenated segment', () => {
    expect(countSegments('ç'.repeat(70))).toMatchObject({ encoding: 'UCS-2', segments: 1, units: 70, perSegment: 70 });
    expect(countSegments('ç'.repeat(71))).toMatchObject({ segments: 2, units: 71, perSegment: 67 });
    expect(countSegments('ç'.repeat(134)).segments).toBe(2);
    expect(countSegments('ç'.repeat(135)).segments).toBe(3);
  });

  it('counts an emoji as two UTF-16 units', () => {
    expect(countSegments('😀')).toMatchObject({ encoding: 'UCS-2', units: 2, segments: 1, ucs2Chars: ['😀'] });
    expect(countSegments('😀'.repeat(35))).toMatchObject({ units: 70, segments: 1 });
    expect(countSegments('😀'.repeat(36))).toMatchObject({ units: 72, segments: 2 });
  });

  it('counts GSM extension characters as one unit once the message is UCS-2', () => {
    expect(countSegments('€😀')).toMatchObject({ encoding: 'UCS-2', units: 3, ucs2Chars: ['😀'] });
  });

  it('never splits a surrogate pair across segments', () => {
    // 66 units then an emoji: the pair cannot straddle units 67/68.
    const text = 'ç'.repeat(66) + '😀' + 'ç'.repeat(10);
    const parts = splitSegments(text);
    expect(parts).toHaveLength(2);
    expect(parts[0]).toBe('ç'.repeat(66));
    expect(parts[1]?.startsWith('😀')).toBe(true);
    for (const part of parts) expect(part.length).toBeLessThanOrEqual(67);
    expect(parts.join('')).toBe(text);
  });

  it('needs an extra segment when pairs cannot fill segments exactly', () => {
    // 67 emoji = 134 units = exactly two segments of 67 by units, but 67 is odd: each segment
    // carries 33 emoji (66 units), so 67 emoji need three segments.
    expect(countSegments('😀'.repeat(67))).toMatchObject({ units: 134, segments: 3 });
  });
});

describe('splitSegments', () => {
  it('returns nothing for the empty string and the whole text when it fits one segment', () => {
    expect(splitSegments('')).toEqual([]);
    expect(splitSegments('hello')).toEqual(['hello']);
  });

  it('reassembles into the original text', () => {
    const text = 'The quick brown fox € jumps {over} the lazy dog. '.repeat(8);
    const parts = splitSegments(text);
    expect(parts.join('')).toBe(text);
    expect(parts.length).toBe(countSegments(text).segments);
  });
});

describe('detectEncoding / nonGsm7Chars', () => {
  it('detects the encoding', () => {
    expect(detectEncoding('Plain [text] {with} €')).toBe('GSM-7');
    expect(detectEncoding('Tab\there')).toBe('UCS-2');
  });

  it('lists distinct non-GSM characters in order of appearance', () => {
    expect(nonGsm7Chars('a😀b😀ç')).toEqual(['😀', 'ç']);
    expect(nonGsm7Chars('all gsm')).toEqual([]);
  });
});
