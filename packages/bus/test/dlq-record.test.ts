import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HEADERS } from '@hub/contracts';
import { buildDlqRecord } from '../src/dlq-record.ts';

const at = new Date('2026-12-03T10:00:00Z');
const failed = (value: string, headers: Record<string, string> = {}) => ({ topic: 't', partition: 3, offset: '42', key: 'k', value: Buffer.from(value), headers });

describe('buildDlqRecord', () => {
  it('keeps the original bytes and headers and adds where and why it failed', () => {
    const r = buildDlqRecord(failed('{"a":1}', { [HEADERS.correlationId]: 'c' }), 'schema_violation', 'a: required', at);
    expect(r.truncated).toBe(false);
    expect(r.value?.toString()).toBe('{"a":1}');
    expect(r.headers).toMatchObject({
      [HEADERS.correlationId]: 'c', [HEADERS.dlqTopic]: 't', [HEADERS.dlqPartition]: '3', [HEADERS.dlqOffset]: '42',
      [HEADERS.dlqReason]: 'schema_violation', [HEADERS.dlqError]: 'a: required', [HEADERS.dlqFailedAt]: at.toISOString(),
    });
  });
  it('cuts a value that would not fit, recording its size and SHA-256; the record stays under the budget', () => {
    const value = 'x'.repeat(50_000);
    const r = buildDlqRecord(failed(value), 'refused', 'e'.repeat(5_000), at, 20_000);
    expect(r.truncated).toBe(true);
    expect(r.headers[HEADERS.dlqOriginalBytes]).toBe('50000');
    expect(r.headers[HEADERS.dlqSha256]).toBe(createHash('sha256').update(value).digest('hex'));
    expect(String(r.headers[HEADERS.dlqError]).length).toBe(2_000);
    const size = r.value!.length + Object.entries(r.headers).reduce((n, [k, v]) => n + k.length + String(v).length, 0);
    expect(size).toBeLessThan(20_000);
    expect(value.startsWith(r.value!.toString())).toBe(true);
  });
  it('drops oversized original headers (counted) and replaces earlier x-dlq-* headers of a replayed letter', () => {
    const r = buildDlqRecord(failed('{}', { big: 'h'.repeat(70_000), [HEADERS.dlqReason]: 'old' }), 'refused', 'e', at);
    expect(r.headers.big).toBeUndefined();
    expect(r.headers[HEADERS.dlqHeadersDropped]).toBe('1');
    expect(r.headers[HEADERS.dlqReason]).toBe('refused');
  });
});
