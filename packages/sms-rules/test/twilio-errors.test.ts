import { describe, expect, it } from 'vitest';
import { classifyTwilioError, parseErrorCode, TWILIO_ERROR_CATEGORIES, TWILIO_ERRORS } from '../src/twilio-errors.ts';

describe('classifyTwilioError', () => {
  it.each([
    [20003, 'account_issue', false],
    [20429, 'rate_limit', true],
    [14107, 'rate_limit', true],
    [21211, 'invalid_number', false],
    [21408, 'account_issue', false],
    [21608, 'account_issue', false],
    [21610, 'opted_out', false],
    [21611, 'rate_limit', true],
    [21612, 'invalid_number', false],
    [21614, 'invalid_number', false],
    [21617, 'content', false],
    [30001, 'rate_limit', true],
    [30002, 'account_issue', false],
    [30003, 'unreachable', true],
    [30004, 'carrier_issue', false],
    [30005, 'invalid_number', false],
    [30006, 'invalid_number', false],
    [30007, 'content', false],
    [30008, 'carrier_issue', true],
    [30009, 'carrier_issue', true],
    [30010, 'account_issue', false],
    [30022, 'rate_limit', true],
    [30032, 'account_issue', false],
    [30034, 'account_issue', false],
    [30450, 'unreachable', true],
  ])('classifies %i as %s (retryable: %s)', (code, category, retryable) => {
    const info = classifyTwilioError(code);
    expect(info).toMatchObject({ code, category, retryable, known: true });
    expect(info.description.length).toBeGreaterThan(5);
  });

  it('accepts the code as a string of digits (form fields)', () => {
    expect(classifyTwilioError('30003')).toMatchObject({ code: 30003, category: 'unreachable', known: true });
    expect(classifyTwilioError(' 21610 ')).toMatchObject({ code: 21610, category: 'opted_out' });
  });

  it('classifies an unknown code as unknown and retryable', () => {
    expect(classifyTwilioError(39999)).toEqual({
      code: 39999,
      category: 'unknown',
      retryable: true,
      description: 'Unrecognised Twilio error 39999',
      known: false,
    });
  });

  it('classifies a missing or malformed code as unknown without a code', () => {
    for (const code of [null, undefined, '', 'abc', '30003x', -1, 0, 1.5, Number.NaN]) {
      expect(classifyTwilioError(code)).toMatchObject({ code: null, category: 'unknown', known: false });
    }
  });

  it('only uses categories from the closed list', () => {
    for (const [category] of Object.values(TWILIO_ERRORS)) {
      expect(TWILIO_ERROR_CATEGORIES).toContain(category);
    }
  });

  it('keeps permanent categories permanent in the table', () => {
    for (const [code, [category, retryable]] of Object.entries(TWILIO_ERRORS)) {
      if (['invalid_number', 'account_issue', 'content', 'opted_out'].includes(category)) {
        expect({ code, retryable }).toEqual({ code, retryable: false });
      }
      if (['rate_limit', 'unreachable'].includes(category)) {
        expect({ code, retryable }).toEqual({ code, retryable: true });
      }
    }
  });
});

describe('parseErrorCode', () => {
  it('parses positive integers and digit strings only', () => {
    expect(parseErrorCode(30003)).toBe(30003);
    expect(parseErrorCode('20429')).toBe(20429);
    expect(parseErrorCode('2e4')).toBeNull();
    expect(parseErrorCode(Number.POSITIVE_INFINITY)).toBeNull();
  });
});
