import { describe, expect, it } from 'vitest';
import { assertNever } from '../src/assert-never.ts';

describe('assertNever', () => {
  it('throws with the unexpected value and its context', () => {
    expect(() => assertNever('mystery' as never, 'SMS status')).toThrow('Unexpected SMS status: "mystery"');
    expect(() => assertNever({ kind: 'x' } as never)).toThrow('Unexpected value: {"kind":"x"}');
  });

  it('describes values JSON cannot', () => {
    expect(() => assertNever(undefined as never)).toThrow('Unexpected value: undefined');
    expect(() => assertNever(10n as never)).toThrow('Unexpected value: 10');
  });
});
