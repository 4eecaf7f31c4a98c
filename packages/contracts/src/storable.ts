/**
 * What PostgreSQL (text and jsonb) and the hub's own code can store: no NUL character, no
 * lone UTF-16 surrogate (PostgreSQL refuses both; Node would silently turn a lone surrogate
 * into U+FFFD), and JSON no deeper than MAX_JSON_DEPTH (PostgreSQL's stack depth, and our
 * own recursive code, refuse very deep values). One rule for the gateway's edge and the bus.
 */
export const MAX_JSON_DEPTH = 32;

const NUL = '\u0000';
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

export type UnstorableProblem = 'nul_character' | 'lone_surrogate' | 'too_deep';

export interface Unstorable {
  /** Dotted path of the offending value ("payload.items.3.name"), "" for the root. */
  path: string;
  problem: UnstorableProblem;
}

/** The problem with one string, or null when PostgreSQL can store it. */
export function stringProblem(s: string): UnstorableProblem | null {
  if (s.includes(NUL)) return 'nul_character';
  if (LONE_SURROGATE.test(s)) return 'lone_surrogate';
  return null;
}

/**
 * The first value (string, or object key) in a parsed JSON value that cannot be stored, or
 * null. Iterative, so a value nested 100,000 deep is reported, not a stack overflow.
 */
export function findUnstorable(value: unknown, maxDepth = MAX_JSON_DEPTH): Unstorable | null {
  const stack: { v: unknown; path: string[]; depth: number }[] = [{ v: value, path: [], depth: 0 }];
  while (stack.length > 0) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = stringProblem(v);
      if (problem) return { path: path.join('.'), problem };
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) return { path: path.join('.'), problem: 'too_deep' };
    const entries: [string, unknown][] = Array.isArray(v) ? v.map((item, i) => [String(i), item]) : Object.entries(v);
    for (const [k, item] of entries) {
      const keyProblem = stringProblem(k);
      // eslint-disable-next-line no-control-regex -- the NUL is what is being replaced
      if (keyProblem) return { path: [...path, k.replace(/[\uD800-\uDFFF\u0000]/g, '?')].join('.'), problem: keyProblem };
      stack.push({ v: item, path: [...path, k], depth: depth + 1 });
    }
  }
  return null;
}

/** Earliest and latest instants PostgreSQL's timestamptz and JavaScript's Date both hold as ISO text. */
export const MIN_STORABLE_TIME = Date.parse('0001-01-01T00:00:00.000Z');
export const MAX_STORABLE_TIME = Date.parse('9999-12-31T23:59:59.999Z');

export function isStorableTime(iso: string): boolean {
  const t = Date.parse(iso);
  return Number.isFinite(t) && t >= MIN_STORABLE_TIME && t <= MAX_STORABLE_TIME;
}

/** What normalising a field changed (for the log line and the metric). */
export type TextFix = 'nul_stripped' | 'surrogate_replaced' | 'truncated';

export interface NormalizedText {
  value: string;
  fixes: TextFix[];
}

const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');

/**
 * Makes provider text storable and publishable: NUL removed (PostgreSQL text refuses it),
 * lone UTF-16 surrogates replaced by U+FFFD (not encodable as UTF-8), then cut to `max`
 * UTF-16 code units without splitting a surrogate pair (so at most `max` characters, what a
 * varchar(max) counts). The result always passes the topic schemas' storable-text check.
 */
export function normalizeText(input: string, max: number): NormalizedText {
  const fixes: TextFix[] = [];
  let value = input;
  if (value.includes('\u0000')) {
    value = value.replaceAll('\u0000', '');
    fixes.push('nul_stripped');
  }
  if (LONE_SURROGATE.test(value)) {
    value = value.replace(LONE_SURROGATES, '\uFFFD');
    fixes.push('surrogate_replaced');
  }
  if (value.length > max) {
    let end = max;
    const last = value.charCodeAt(end - 1);
    if (end > 0 && last >= 0xd800 && last <= 0xdbff) end--; // keep the pair whole: drop its first half too
    value = value.slice(0, end);
    fixes.push('truncated');
  }
  return { value, fixes };
}

