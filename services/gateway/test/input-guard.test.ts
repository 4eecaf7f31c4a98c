import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { classifyError, FRAMEWORK_ERRORS } from '../src/plugins/errors.ts';
import { inspectInput, MAX_REPORTED_PROBLEMS, oversizedFields, serializedBytes } from '../src/plugins/input-guard.ts';
import { decodeCursor, encodeCursor } from '../src/routes/pagination.ts';
import { COLUMN_LIMITS, isoDateTime } from '../src/routes/schemas.ts';

const nest = (depth: number, leaf: unknown = 1, kind: 'object' | 'array' = 'object'): unknown => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = kind === 'object' ? { a: v } : [v];
  return v;
};

describe('inspectInput (the edge walker)', () => {
  it('accepts ordinary input: unicode, emoji, paired surrogates, numbers, nulls', () => {
    expect(inspectInput({ id: 'évt-1', text: 'Hi 👍🏽 你好', n: [1, 2.5, -3, null, true], deep: nest(30) }, 'body')).toEqual([]);
    expect(inspectInput(undefined, 'body')).toEqual([]);
    expect(inspectInput('plain', 'params')).toEqual([]);
  });

  it('names the path of a NUL character, in values and in keys', () => {
    expect(inspectInput({ payload: { items: ['ok', 'a\u0000b'] } }, 'body')).toEqual([
      { field: 'body.payload.items.1', message: 'must not contain NUL characters (U+0000)' },
    ]);
    expect(inspectInput({ vars: { 'na\u0000me': 'x' } }, 'body')).toEqual([
      { field: 'body.vars.na?me', message: 'key must not contain NUL characters (U+0000)' },
    ]);
    expect(inspectInput({ externalId: 'u\u0000' }, 'params')[0]!.field).toBe('params.externalId');
  });

  it('refuses lone surrogates, high or low, anywhere in a string', () => {
    for (const s of ['\uD800', 'x\uD83D', '\uDC00x', 'a\uDFFFb', '\uDBFF\uDBFF\uDC00']) {
      expect(inspectInput({ s }, 'querystring'), JSON.stringify(s)).toEqual([{ field: 'querystring.s', message: 'must not contain unpaired UTF-16 surrogates' }]);
    }
    expect(inspectInput({ s: '\uD83D\uDE00' }, 'body')).toEqual([]);
  });

  it('bounds the nesting at 32 levels (the body itself is level 1), without recursing', () => {
    expect(inspectInput(nest(32), 'body')).toEqual([]);
    const deep = inspectInput(nest(33), 'body');
    expect(deep).toHaveLength(1);
    expect(deep[0]!.message).toBe('nested deeper than 32 levels of objects/arrays');
    expect(deep[0]!.field.split('.')).toHaveLength(33);
    // 100,000 levels: reported, no stack overflow (JSON.parse builds such a value happily).
    const huge = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    expect(inspectInput({ payload: huge }, 'body')[0]!.message).toMatch(/nested deeper/);
    expect(inspectInput(nest(10_000, 1, 'array'), 'body', 5)).toHaveLength(1);
  });

  it('refuses non-finite numbers (1e400 parses to Infinity)', () => {
    expect(inspectInput(JSON.parse('{"n": 1e400, "m": -1e400}'), 'body').map((p) => p.field)).toEqual(['body.n', 'body.m']);
  });

  it('reports problems in document order, at most MAX_REPORTED_PROBLEMS', () => {
    expect(inspectInput({ a: '\u0000', b: { c: '\uD800' } }, 'body').map((p) => p.field)).toEqual(['body.a', 'body.b.c']);
    expect(inspectInput(Array.from({ length: 100 }, () => '\u0000'), 'body')).toHaveLength(MAX_REPORTED_PROBLEMS);
  });

  it('never throws and flags every string fast-check can build with a NUL or a lone surrogate', () => {
    const anyUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    fc.assert(fc.property(fc.string({ unit: anyUnit, maxLength: 40 }), (s) => {
      const bad = s.includes('\u0000') || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(s);
      expect(inspectInput({ [`k${s.length}`]: s }, 'body').length > 0).toBe(bad);
    }), { seed: 11, numRuns: 500 });
    fc.assert(fc.property(fc.jsonValue({ maxDepth: 6 }), (v) => {
      expect(() => inspectInput(v, 'body')).not.toThrow();
    }), { seed: 12, numRuns: 300 });
  });
});

describe('oversizedFields (the event payload bound)', () => {
  it('measures UTF-8 JSON bytes at the path, each array element for *', () => {
    expect(serializedBytes({ a: 'é' })).toBe(10);
    const body = { events: [{ payload: { x: 'a'.repeat(100) } }, { payload: { x: 'a' } }, { id: 'no payload' }] };
    expect(oversizedFields(body, { path: ['events', '*', 'payload'], maxBytes: 50 })).toEqual([
      { field: 'body.events.0.payload', message: 'must be at most 50 bytes serialized as JSON' },
    ]);
    expect(oversizedFields({ payload: { x: '€'.repeat(20) } }, { path: ['payload'], maxBytes: 60 })).toHaveLength(1); // 60 bytes of text + 8
    expect(oversizedFields('not an object', { path: ['payload'], maxBytes: 1 })).toEqual([]);
    expect(oversizedFields({ events: 'nope' }, { path: ['events', '*', 'payload'], maxBytes: 1 })).toEqual([]);
  });
});

describe('classifyError (the error handler)', () => {
  it('never throws, whatever is thrown: numeric codes (kafkajs), strings, undefined, hostile getters', () => {
    const kafka = Object.assign(new Error('The group is rebalancing'), { code: 27, retriable: true });
    const hostile = new Proxy({}, { get: () => { throw new Error('boom'); } });
    for (const err of [kafka, 'a string', undefined, null, 42, { code: 12 }, { statusCode: '400' }, hostile, new Error('postgres://u:hunter2@db')]) {
      expect(classifyError(err)).toEqual({ status: 503, code: 'unavailable', message: 'the hub could not complete the request; retry later', internal: true });
    }
  });

  it('maps Fastify framework errors to stable lower-case hub codes', () => {
    expect(classifyError({ code: 'FST_ERR_BAD_URL', statusCode: 400, message: "'/x/%zz' is not a valid url component" })).toMatchObject({ status: 400, code: 'invalid_url' });
    expect(classifyError({ code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH', statusCode: 400 })).toMatchObject({ status: 400, code: 'invalid_content_length' });
    expect(classifyError({ code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE', statusCode: 415 })).toMatchObject({ status: 415, code: 'unsupported_media_type' });
    expect(classifyError({ code: 'FST_ERR_SOMETHING_NEW', statusCode: 400, message: 'm' })).toMatchObject({ status: 400, code: 'something_new' });
    expect(classifyError({ code: 'FST_ERR_HOOK_TIMEOUT', statusCode: 500 })).toMatchObject({ status: 503, code: 'unavailable' });
    expect(classifyError(Object.assign(new SyntaxError('Object contains forbidden prototype property'), { statusCode: 400 }))).toMatchObject({ status: 400, code: 'invalid_json' });
    expect(classifyError({ statusCode: 429, message: 'Rate limit exceeded, retry in 1 minute' })).toMatchObject({ status: 429, code: 'rate_limited' });
    expect(classifyError({ statusCode: 405 })).toMatchObject({ status: 405, code: 'method_not_allowed' });
    for (const known of Object.values(FRAMEWORK_ERRORS)) expect(known.code).toMatch(/^[a-z][a-z0-9_]*$/);
  });

  it('does not take a provider error status (Twilio: status 401, numeric code) for a client error', () => {
    expect(classifyError(Object.assign(new Error('Authenticate'), { status: 401, code: 20003 }))).toMatchObject({ status: 503, code: 'unavailable' });
  });
});

describe('cursor', () => {
  const good = { createdAt: new Date('2026-01-02T03:04:05.678Z'), id: '0b9f1c2e-1111-4222-8333-944445555666' };
  const raw = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

  it('round-trips what encodeCursor writes', () => {
    expect(decodeCursor(encodeCursor(good))).toEqual(good);
  });

  it('refuses crafted cursors: dates outside PostgreSQL/JS range, impossible dates, ids that are not UUIDs, garbage', () => {
    for (const text of [
      `0000-01-01T00:00:00.000Z|${good.id}`,
      `+275760-09-13T00:00:00.000Z|${good.id}`,
      `2026-02-30T00:00:00.000Z|${good.id}`,
      `2026-01-02T03:04:05Z|${good.id}`,
      `2026-01-02T03:04:05.678+01:00|${good.id}`,
      `2026-01-02T03:04:05.678Z|${'-'.repeat(36)}`,
      `2026-01-02T03:04:05.678Z|${good.id}|x`,
      `2026-01-02T03:04:05.678Z|${good.id.toUpperCase()}`,
      `2026-01-02T03:04:05.678Z|${good.id}\u0000`,
      'no-separator',
    ]) expect(decodeCursor(raw(text)), text).toBeNull();
    for (const s of ['', 'not a cursor!', `${encodeCursor(good)}%00`, 'x'.repeat(500)]) expect(decodeCursor(s), s).toBeNull();
  });
});

describe('schemas', () => {
  it('isoDateTime holds only instants PostgreSQL and Date both store (0001–9999)', () => {
    for (const ok of ['0001-01-01T00:00:00Z', '2026-06-01T12:00:00+02:00', '9999-12-31T23:59:59.999Z']) expect(isoDateTime.safeParse(ok).success, ok).toBe(true);
    for (const bad of ['0000-01-01T00:00:00Z', '0001-01-01T00:00:00+01:00', '9999-12-31T23:59:59-14:00', '+275760-09-13T00:00:00Z', '2026-02-30T00:00:00Z', '2026-06-01']) {
      expect(isoDateTime.safeParse(bad).success, bad).toBe(false);
    }
  });

  it('COLUMN_LIMITS match the VARCHAR lengths in prisma/schema.prisma', () => {
    const schema = readFileSync(new URL('../../../prisma/schema.prisma', import.meta.url), 'utf8');
    const columns = new Map<string, number>();
    for (const model of schema.matchAll(/^model \w+ \{([\s\S]*?)^\}/gm)) {
      const table = /@@map\("([^"]+)"\)/.exec(model[1]!)?.[1];
      for (const line of model[1]!.split('\n')) {
        const m = /^\s*(\w+)\s+String\??.*@db\.VarChar\((\d+)\)/.exec(line);
        if (!m || !table) continue;
        const column = /@map\("([^"]+)"\)/.exec(line)?.[1] ?? m[1]!;
        columns.set(`${table}.${column}`, Number(m[2]));
      }
    }
    for (const [column, max] of Object.entries(COLUMN_LIMITS)) expect(columns.get(column), column).toBe(max);
  });
});
