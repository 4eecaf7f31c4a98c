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

/** One problem of a walk: an unstorable value or key, too deep a value, or a non-finite number. */
export interface UnstorableAt {
  /** Path segments from the root, made printable (a key may itself be the problem). */
  path: string[];
  problem: UnstorableProblem | 'non_finite_number';
  /** The problem is in the object key that ends `path`, not in its value. */
  inKey: boolean;
}

/** The problem with one string, or null when PostgreSQL can store it. */
export function stringProblem(s: string): UnstorableProblem | null {
  if (s.includes(NUL)) return 'nul_character';
  if (LONE_SURROGATE.test(s)) return 'lone_surrogate';
  return null;
}

const LONE_SURROGATES = new RegExp(LONE_SURROGATE.source, 'g');
const printable = (k: string) => k.replaceAll(NUL, '?').replace(LONE_SURROGATES, '?');

/**
 * The problems in a parsed JSON value, in document order, at most `limit` of them: strings
 * and keys PostgreSQL cannot store, objects/arrays nested `maxDepth` deep or more (the root
 * is depth 0), and numbers JSON.parse made infinite (1e400). Iterative, so a value nested
 * 100,000 deep is reported, not a stack overflow. A bad key is reported, not descended into.
 * `numbers: false` leaves non-finite numbers alone.
 */
export function walkUnstorable(value: unknown, options: { maxDepth?: number; limit?: number; numbers?: boolean } = {}): UnstorableAt[] {
  const { maxDepth = MAX_JSON_DEPTH, limit = 1, numbers = true } = options;
  const found: UnstorableAt[] = [];
  const stack: { v: unknown; path: string[]; depth: number }[] = [{ v: value, path: [], depth: 0 }];
  while (stack.length > 0 && found.length < limit) {
    const { v, path, depth } = stack.pop()!;
    if (typeof v === 'string') {
      const problem = stringProblem(v);
      if (problem) found.push({ path, problem, inKey: false });
      continue;
    }
    if (typeof v === 'number') {
      if (numbers && !Number.isFinite(v)) found.push({ path, problem: 'non_finite_number', inKey: false });
      continue;
    }
    if (v === null || typeof v !== 'object') continue;
    if (depth >= maxDepth) {
      found.push({ path, problem: 'too_deep', inKey: false });
      continue;
    }
    const isArray = Array.isArray(v);
    const entries: [string, unknown][] = isArray ? v.map((item, i) => [String(i), item]) : Object.entries(v);
    // Pushed in reverse so that problems come out in document order.
    for (let i = entries.length - 1; i >= 0; i--) {
      const [k, item] = entries[i]!;
      const keyProblem = isArray ? null : stringProblem(k);
      if (keyProblem) found.push({ path: [...path, printable(k)], problem: keyProblem, inKey: true });
      else stack.push({ v: item, path: [...path, k], depth: depth + 1 });
    }
  }
  return found.slice(0, limit);
}

/**
 * The first value (string, or object key) in a parsed JSON value that cannot be stored, or
 * null (non-finite numbers are left to the caller: JSON.stringify stores them as null).
 */
export function findUnstorable(value: unknown, maxDepth = MAX_JSON_DEPTH): Unstorable | null {
  const [first] = walkUnstorable(value, { maxDepth, numbers: false });
  return first ? { path: first.path.join('.'), problem: first.problem as UnstorableProblem } : null;
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

