import { describe, expect, it } from 'vitest';
import twilio from 'twilio';
import {
  codeForHttpError, DEFAULT_RETRY_AFTER_MS, describeErrorCode, httpProviderError, isProviderWide, PROVIDER_ERROR_CODES, PROVIDER_ERROR_KINDS, ProviderError, toProviderError,
} from '../src/index.ts';

const rest = (statusCode: number, body: unknown) => new twilio.RestException({ statusCode, body, headers: {} } as never);
const sysError = (code: string, message = 'boom') => Object.assign(new Error(message), { code });

describe('describeErrorCode', () => {
  it('gives every code a known kind; exactly the transient ones are retryable', () => {
    const retryable = PROVIDER_ERROR_CODES.filter((c) => describeErrorCode(c).retryable);
    expect(retryable.sort()).toEqual(['network', 'queue_full', 'rate_limited', 'server_error', 'timeout']);
    for (const c of PROVIDER_ERROR_CODES) expect(PROVIDER_ERROR_KINDS).toContain(describeErrorCode(c).kind);
  });

  it('throws on a code outside the list (bad data past the types)', () => {
    expect(() => describeErrorCode('nope' as never)).toThrow(/Unexpected provider error code/);
  });
});

describe('codeForHttpError', () => {
  it.each([
    [400, 21211, 'invalid_to'],
    [400, 21610, 'opted_out'],
    [400, 21611, 'queue_full'],
    [400, 30409, 'not_cancelable'],
    [429, 60203, 'verification_limit'],
    [429, 20429, 'rate_limited'],
    [429, null, 'rate_limited'],
    [401, null, 'auth_failed'],
    [403, 20003, 'auth_failed'],
    [404, null, 'not_found'],
    [400, 99999, 'rejected'],
    [409, null, 'rejected'],
    [500, null, 'server_error'],
    [503, 20503, 'server_error'],
    [302, null, 'unexpected_response'],
  ] as const)('HTTP %i with Twilio code %s → %s', (status, code, expected) => {
    expect(codeForHttpError(status, code)).toBe(expected);
  });
});

describe('toProviderError', () => {
  it('classifies a RestException by its Twilio code, keeping code and status', () => {
    const e = toProviderError(rest(400, { code: 21211, message: "The 'To' number is not valid", more_info: 'https://www.twilio.com/docs/errors/21211', status: 400 }));
    expect(e).toMatchObject({ code: 'invalid_to', kind: 'rejected', retryable: false, twilioCode: 21211, httpStatus: 400, outcomeUnknown: false });
    expect(e.message).toBe("The 'To' number is not valid");
    expect(e.cause).toBeInstanceOf(twilio.RestException);
  });

  it('reads a JSON body that arrived as a string', () => {
    expect(toProviderError(rest(429, JSON.stringify({ code: 20429, message: 'Too Many Requests', status: 429 })))).toMatchObject({
      code: 'rate_limited', kind: 'rate_limited', retryable: true, twilioCode: 20429, retryAfterMs: DEFAULT_RETRY_AFTER_MS,
    });
  });

  it('classifies a 5xx without a JSON body by its status alone', () => {
    const e = toProviderError(rest(503, '<html>Service Unavailable</html>'));
    expect(e).toMatchObject({ code: 'server_error', kind: 'server', retryable: true, twilioCode: null, httpStatus: 503, outcomeUnknown: false });
    expect(e.message).toBe('[HTTP 503] Failed to execute request');
  });

  it('keeps an unknown Twilio code on a generic rejection', () => {
    expect(toProviderError(rest(400, { code: 12345, message: 'new', status: 400 }))).toMatchObject({ code: 'rejected', kind: 'rejected', twilioCode: 12345, retryable: false });
  });

  it('classifies an RFC 9457 service exception by status and code', () => {
    const e = Object.assign(new Error('Too many'), { status: 429, code: 20429, type: 'https://www.twilio.com/docs/errors/20429', title: 'Too Many Requests' });
    expect(toProviderError(e)).toMatchObject({ code: 'rate_limited', twilioCode: 20429, httpStatus: 429 });
  });

  it.each([
    ['ECONNABORTED', 'timeout', true],
    ['ETIMEDOUT', 'timeout', true],
    ['ECONNREFUSED', 'network', false],
    ['ENOTFOUND', 'network', false],
    ['ECONNRESET', 'network', true],
    ['EPIPE', 'network', true],
  ] as const)('an error with code %s (no answer) → %s, outcome unknown: %s', (code, expected, unknown) => {
    const e = toProviderError(sysError(code));
    expect(e).toMatchObject({ code: expected, kind: expected, retryable: true, outcomeUnknown: unknown, httpStatus: null, twilioCode: null });
  });

  it('never classifies by message text', () => {
    expect(toProviderError(new Error('timeout of 1000ms exceeded')).code).toBe('unknown');
    expect(toProviderError(sysError('EWHATEVER', 'ECONNRESET')).code).toBe('unknown');
    expect(toProviderError('a string').code).toBe('unknown');
  });

  it('turns an unparseable answer into unexpected_response', () => {
    let syntax: unknown;
    try {
      JSON.parse('<html>');
    } catch (e) {
      syntax = e;
    }
    expect(toProviderError(syntax)).toMatchObject({ code: 'unexpected_response', kind: 'unknown', retryable: false, outcomeUnknown: true });
  });

  it('treats an error without any answer as outcome unknown, a refused request as known', () => {
    expect(toProviderError(new Error('socket hang up')).outcomeUnknown).toBe(true);
    expect(new ProviderError({ code: 'unexpected_response', message: 'redirect', httpStatus: 302 }).outcomeUnknown).toBe(false);
    expect(new ProviderError({ code: 'invalid_to', message: 'bad', httpStatus: 400 }).outcomeUnknown).toBe(false);
  });

  it.each([
    [500, 20500, true],
    [502, null, true],
    [504, null, true],
    [501, null, true],
    [503, 20503, false],
    [429, 20429, false],
  ] as const)('an HTTP %i answer (Twilio code %s) leaves the outcome unknown: %s', (status, code, unknown) => {
    const e = toProviderError(rest(status, { code, message: 'x', status }));
    expect(e).toMatchObject({ httpStatus: status, retryable: true, outcomeUnknown: unknown });
    expect(new ProviderError({ code: 'server_error', message: 'oops', httpStatus: status }).outcomeUnknown).toBe(unknown);
  });

  it('a 502 without a JSON body is of unknown outcome too', () => {
    expect(toProviderError(rest(502, '<html>Bad Gateway</html>'))).toMatchObject({ code: 'server_error', httpStatus: 502, twilioCode: null, outcomeUnknown: true });
  });

  it('returns a ProviderError unchanged', () => {
    const e = new ProviderError({ code: 'queue_full', message: 'full', twilioCode: 21611, httpStatus: 400 });
    expect(toProviderError(e)).toBe(e);
    expect(e.toJSON()).toEqual({
      name: 'ProviderError', code: 'queue_full', kind: 'rate_limited', retryable: true, twilioCode: 21611, httpStatus: 400,
      retryAfterMs: DEFAULT_RETRY_AFTER_MS, outcomeUnknown: false, message: 'full',
    });
  });
});

describe('isProviderWide', () => {
  const wide = (status: number, code: number | null) => isProviderWide(httpProviderError(status, code, 'x'));
  it('is true for credentials, account, sender, rate limits, load shedding and an unreachable provider', () => {
    expect(wide(401, 20003)).toBe(true);
    expect(wide(403, null)).toBe(true);
    expect(wide(401, 20005)).toBe(true);
    expect(wide(400, 21705)).toBe(true);
    expect(wide(400, 21212)).toBe(true);
    expect(wide(429, 20429)).toBe(true);
    expect(wide(400, 21611)).toBe(true);
    expect(wide(503, 20503)).toBe(true);
    expect(isProviderWide(new ProviderError({ code: 'network', message: 'ECONNREFUSED', outcomeUnknown: false }))).toBe(true);
  });
  it('is false for message-specific refusals and for sends of unknown outcome', () => {
    expect(wide(400, 21211)).toBe(false);
    expect(wide(400, 21610)).toBe(false);
    expect(wide(400, 21606)).toBe(false);
    expect(wide(400, 21617)).toBe(false);
    expect(wide(500, 20500)).toBe(false); // outcome unknown: reconciled first
    expect(isProviderWide(new ProviderError({ code: 'network', message: 'ECONNRESET', outcomeUnknown: true }))).toBe(false);
    expect(isProviderWide(new ProviderError({ code: 'timeout', message: 't' }))).toBe(false);
  });
});
