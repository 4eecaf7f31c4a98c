import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from '../src/routes/pagination.ts';
import { hasScope } from '../src/api-keys.ts';

describe('cursor', () => {
  it('round-trips and rejects garbage', () => {
    const c = { createdAt: new Date('2026-01-02T03:04:05.678Z'), id: '0b9f1c2e-1111-4222-8333-944445555666' };
    expect(decodeCursor(encodeCursor(c))).toEqual(c);
    expect(decodeCursor('not-a-cursor')).toBeNull();
  });
});

describe('scopes', () => {
  it('admin:write implies admin:read, nothing else is implied', () => {
    const key = (scopes: ('events:write' | 'admin:read' | 'admin:write')[]) => ({ id: 'k', name: 'k', scopes });
    expect(hasScope(key(['admin:write']), 'admin:read')).toBe(true);
    expect(hasScope(key(['admin:read']), 'admin:write')).toBe(false);
    expect(hasScope(key(['events:write']), 'admin:read')).toBe(false);
    expect(hasScope(key(['admin:write']), 'events:write')).toBe(false);
  });
});
