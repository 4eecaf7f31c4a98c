import { describe, expect, it } from 'vitest';
import { costByCountry, DEFAULT_PRICES, parsePriceTable, pricePerSegment } from '../src/pricing.ts';
import { previewTemplate, templateProblem } from '../src/routes/template-rules.ts';
import { retryAfterSeconds } from '../src/routes/verification-limit.ts';
import { quietHoursProblem } from '../src/routes/sms-preferences.ts';
import { welcomeEventId } from '../src/routes/phone-verification.ts';
import { eventIdSchema } from '@hub/contracts';

describe('price table', () => {
  it('has US/CA at 0.0079 and a default for the rest', () => {
    expect(pricePerSegment(DEFAULT_PRICES, 'US')).toBe(0.0079);
    expect(pricePerSegment(DEFAULT_PRICES, 'CA')).toBe(0.0079);
    expect(pricePerSegment(DEFAULT_PRICES, 'FR')).toBe(0.05);
    expect(pricePerSegment(DEFAULT_PRICES, null)).toBe(0.05);
  });

  it('parses overrides and refuses nonsense', () => {
    const t = parsePriceTable('gb=0.04, *=0.1');
    expect(t.perSegment).toMatchObject({ US: 0.0079, GB: 0.04, '*': 0.1 });
    expect(() => parsePriceTable('GBR=1')).toThrow(/bad price entry/);
    expect(() => parsePriceTable('US=cheap')).toThrow(/bad price entry/);
  });

  it('groups numbers by country, telling NANP countries apart', () => {
    const rows = [
      { phoneNumber: '+14155550100', messages: 2, segments: 3 },
      { phoneNumber: '+16135550100', messages: 1, segments: 1 },
      { phoneNumber: '+18765550100', messages: 1, segments: 2 },
      { phoneNumber: '+447700900123', messages: 1, segments: 1 },
    ];
    const byCountry = Object.fromEntries(costByCountry(rows, DEFAULT_PRICES).map((c) => [c.country, c]));
    expect(byCountry.US).toMatchObject({ messages: 2, segments: 3, estimatedCost: 0.0237 });
    expect(byCountry.CA).toMatchObject({ segments: 1, pricePerSegment: 0.0079 });
    expect(byCountry.JM).toMatchObject({ segments: 2, estimatedCost: 0.1 });
    expect(byCountry.GB).toMatchObject({ segments: 1, estimatedCost: 0.05 });
  });
});

describe('template rules', () => {
  it('requires every required var to appear in the text', () => {
    expect(templateProblem({ text: 'Hi {{name}}', requiredVars: ['name'], maxLength: 160 })).toBeNull();
    expect(templateProblem({ text: 'Hi {{name}}', requiredVars: ['name', 'date'], maxLength: 160 })).toMatchObject({ code: 'unknown_required_vars', vars: ['date'] });
  });

  it('refuses a template whose fixed text already exceeds max_length', () => {
    expect(templateProblem({ text: `${'x'.repeat(20)} {{a}}`, requiredVars: [], maxLength: 10 })).toMatchObject({ code: 'template_too_long', length: 20 });
  });

  it('previews GSM-7 and UCS-2 text with segments', () => {
    const gsm = previewTemplate({ text: 'Hello {{name}}' }, { name: 'Ann' }, BASE);
    expect(gsm).toEqual({ ok: true, preview: { text: 'Hello Ann', length: 9, encoding: 'GSM-7', segments: 1, ucs2Chars: [], vars: ['name'] } });
    const ucs = previewTemplate({ text: 'Привет {{name}} 👋' }, { name: 'Ann' }, BASE);
    expect(ucs.ok && ucs.preview).toMatchObject({ encoding: 'UCS-2', segments: 1, ucs2Chars: expect.arrayContaining(['П', '👋']) });
    expect(previewTemplate({ text: 'Hi {{name}}', requiredVars: ['name'] }, {}, BASE)).toEqual({ ok: false, error: { code: 'missing_vars', missing: ['name'] } });
  });

  it('previews links as the short links they become, and checks max_length on that text', () => {
    const long = `https://example.com/${'a'.repeat(200)}`;
    const p = previewTemplate({ text: 'Open {{url}}', maxLength: 60 }, { url: long }, BASE);
    expect(p).toEqual({ ok: true, preview: expect.objectContaining({ text: 'Open https://hub.test/l/xxxxxxxxxx', length: 34, segments: 1 }) });
    // A short URL grows into a longer short link: over max_length as the recipient would read it.
    expect(previewTemplate({ text: 'Open {{url}}', maxLength: 20 }, { url: 'https://x.io' }, BASE)).toEqual({ ok: false, error: { code: 'too_long', length: 34, maxLength: 20 } });
  });
});

const BASE = 'https://hub.test/';

describe('verification limit', () => {
  const now = new Date('2026-03-01T12:00:00Z');
  const minutesAgo = (m: number) => new Date(now.getTime() - m * 60_000);

  it('waits until the oldest start in the window leaves it', () => {
    const starts = [minutesAgo(50), minutesAgo(10), minutesAgo(40), minutesAgo(30), minutesAgo(20)];
    expect(retryAfterSeconds(starts, now, 3_600_000, 5)).toBe(600);
  });

  it('is at least one second', () => {
    expect(retryAfterSeconds([minutesAgo(60)], now, 3_600_000, 1)).toBe(1);
  });
});

describe('quiet hours', () => {
  it('must be both set or both null, and not empty', () => {
    expect(quietHoursProblem(null, null)).toBeNull();
    expect(quietHoursProblem('22:00', '07:00')).toBeNull();
    expect(quietHoursProblem('22:00', null)).toMatch(/together/);
    expect(quietHoursProblem('08:00', '08:00')).toMatch(/same time/);
  });
});

describe('welcome event id', () => {
  it('is a valid event id, stable for one user and phone', () => {
    const id = welcomeEventId('0b9f1c2e-1111-4222-8333-944445555666', '+14155550100');
    expect(id).toBe('welcome:0b9f1c2e-1111-4222-8333-944445555666:14155550100');
    expect(eventIdSchema.safeParse(id).success).toBe(true);
  });
});
