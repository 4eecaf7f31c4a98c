import { describe, expect, it } from 'vitest';
import { findUnstorable, isStorableTime, MAX_JSON_DEPTH, stringProblem } from '../src/storable.ts';
import { notificationEventSchema } from '../src/schemas.ts';

const deep = (n: number): unknown => {
  let v: unknown = 'leaf';
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
};

describe('what PostgreSQL can store', () => {
  it('finds NUL and lone surrogates in values and keys, with their path; pairs and emoji are fine', () => {
    expect(stringProblem('ok 👍 é')).toBeNull();
    expect(stringProblem('a\u0000b')).toBe('nul_character');
    expect(stringProblem('\uD83D')).toBe('lone_surrogate');
    expect(stringProblem('x\uDC00')).toBe('lone_surrogate');
    expect(findUnstorable({ payload: { items: ['a', { name: 'b\u0000' }] } })).toEqual({ path: 'payload.items.1.name', problem: 'nul_character' });
    expect(findUnstorable({ payload: { ['k\uD800']: 1 } })).toEqual({ path: 'payload.k?', problem: 'lone_surrogate' });
    expect(findUnstorable({ a: [1, true, null, 'fine'] })).toBeNull();
  });
  it('bounds nesting without recursing (100,000 deep is reported, not a stack overflow)', () => {
    expect(findUnstorable(deep(MAX_JSON_DEPTH))).toBeNull();
    expect(findUnstorable(deep(MAX_JSON_DEPTH + 1))?.problem).toBe('too_deep');
    expect(findUnstorable(deep(100_000))?.problem).toBe('too_deep');
  });
  it('keeps times inside years 0001–9999, and the topic schemas refuse year 0000', () => {
    expect(isStorableTime('0001-01-01T00:00:00Z')).toBe(true);
    expect(isStorableTime('0000-12-31T23:59:59Z')).toBe(false);
    expect(isStorableTime('9999-12-31T23:59:59-01:00')).toBe(false);
    const event = { id: 'e1', type: 'task.reminder', occurredAt: '0000-01-01T00:00:00Z' };
    expect(notificationEventSchema.safeParse(event).success).toBe(false);
    expect(notificationEventSchema.safeParse({ ...event, occurredAt: '2026-12-03T10:00:00Z' }).success).toBe(true);
  });
});
