import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import twilio from 'twilio';
import { RedirectingRequestClient, toProviderError } from '../src/index.ts';
import { messageBody, startRecordingServer, type RecordingServer } from './support/recording-server.ts';

// Behaviour of the twilio 6.2.0 SDK this package relies on (see NOTES-twilio-sdk.md). If an
// SDK upgrade changes one of them, this file says which.

const ACCOUNT = `AC${'a'.repeat(32)}`;
const SID = `SM${'b'.repeat(32)}`;

describe('twilio SDK facts', () => {
  let server: RecordingServer;
  beforeAll(async () => {
    server = await startRecordingServer();
  });
  beforeEach(() => {
    server.requests.length = 0;
  });
  afterAll(async () => {
    await server.close();
  });

  it('a custom httpClient still reaches the base URL when region/edge rewrite the host', async () => {
    server.answer({ status: 200, body: messageBody() });
    const client = twilio(ACCOUNT, 'tok', { httpClient: new RedirectingRequestClient(server.url, {}), region: 'ie1', edge: 'dublin' });
    await client.messages(SID).fetch();
    expect(server.requests[0]!.url).toBe(`/2010-04-01/Accounts/${ACCOUNT}/Messages/${SID}.json`);
  });

  it('an RFC 9457 body is a TwilioServiceException, not a RestException (classified alike)', async () => {
    server.answer({ status: 429, body: { type: 'https://www.twilio.com/docs/errors/20429', title: 'Too Many Requests', status: 429, code: 20429, detail: 'slow down' } });
    const client = twilio(ACCOUNT, 'tok', { httpClient: new RedirectingRequestClient(server.url, {}) });
    const err = await client.messages(SID).fetch().catch((e: unknown) => e);
    expect(err).not.toBeInstanceOf(twilio.RestException);
    expect((err as Error).constructor.name).toBe('TwilioServiceException');
    expect(toProviderError(err)).toMatchObject({ code: 'rate_limited', twilioCode: 20429, httpStatus: 429 });
  });

  it('a JSON error body without "message" leaves RestException.message undefined', async () => {
    server.answer({ status: 400, body: { code: 21211, status: 400 } });
    const client = twilio(ACCOUNT, 'tok', { httpClient: new RedirectingRequestClient(server.url, {}) });
    const err = await client.messages(SID).fetch().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(twilio.RestException);
    expect((err as InstanceType<typeof twilio.RestException>).message).toBeUndefined();
    expect(toProviderError(err)).toMatchObject({ code: 'invalid_to', message: 'HTTP 400' });
  });

  it('a timeout is a raw AxiosError with code ECONNABORTED', async () => {
    server.answer({ status: 200, body: messageBody(), delayMs: 300 });
    const client = twilio(ACCOUNT, 'tok', { httpClient: new RedirectingRequestClient(server.url, { timeout: 50 }) });
    const err = await client.messages(SID).fetch().catch((e: unknown) => e);
    expect(err).toMatchObject({ name: 'AxiosError', code: 'ECONNABORTED', isAxiosError: true });
  });

  it('autoRetry retries 429 only; maxRetries 0 still means 3', async () => {
    const retrying = new RedirectingRequestClient(server.url, { autoRetry: true, maxRetries: 0, maxRetryDelay: 20 });
    expect(retrying.maxRetries).toBe(3);
    const client = twilio(ACCOUNT, 'tok', { httpClient: retrying });
    server.answer({ status: 429, body: { code: 20429, message: 'x', status: 429 } }, { status: 200, body: messageBody() });
    await client.messages(SID).fetch();
    expect(server.requests).toHaveLength(2);
    server.requests.length = 0;
    server.answer({ status: 503, body: { code: 20503, message: 'x', status: 503 } });
    await client.messages(SID).fetch().catch(() => undefined);
    expect(server.requests).toHaveLength(1);
  });

  it('with a custom httpClient the top-level autoRetry is ignored', async () => {
    const client = twilio(ACCOUNT, 'tok', { httpClient: new RedirectingRequestClient(server.url, {}), autoRetry: true });
    server.answer({ status: 429, body: { code: 20429, message: 'x', status: 429 } });
    await client.messages(SID).fetch().catch(() => undefined);
    expect(server.requests).toHaveLength(1);
  });

  it('without our agent, a plain-http target uses an unbounded agent', async () => {
    const client = twilio(ACCOUNT, 'tok', { httpClient: new RedirectingRequestClient(server.url, { maxSockets: 2 }) });
    server.answer({ status: 200, body: messageBody(), delayMs: 40 });
    const before = server.connections();
    await Promise.all(Array.from({ length: 10 }, () => client.messages(SID).fetch()));
    // (some may be reused from earlier tests' keep-alive sockets of the global agent)
    expect(server.connections() - before).toBeGreaterThan(2);
  });
});

describe('webhook signature facts', () => {
  const token = 'secret';
  const params = { MessageSid: SID, MessageStatus: 'delivered', ErrorCode: '' };
  const sign = (url: string, p: Record<string, string> = params) => twilio.getExpectedTwilioSignature(token, url, p);

  it('validates the exact URL and parameters', () => {
    const url = 'http://127.0.0.1:4010/webhooks/twilio/status?mid=m1&x=2';
    expect(twilio.validateRequest(token, sign(url), url, params)).toBe(true);
  });

  it.each([
    ['https instead of http', 'https://127.0.0.1:4010/webhooks/twilio/status?mid=m1&x=2'],
    ['the port dropped', 'http://127.0.0.1/webhooks/twilio/status?mid=m1&x=2'],
    ['another port', 'http://127.0.0.1:4011/webhooks/twilio/status?mid=m1&x=2'],
    ['localhost for 127.0.0.1', 'http://localhost:4010/webhooks/twilio/status?mid=m1&x=2'],
    ['a trailing slash', 'http://127.0.0.1:4010/webhooks/twilio/status/?mid=m1&x=2'],
    ['the query reordered', 'http://127.0.0.1:4010/webhooks/twilio/status?x=2&mid=m1'],
  ])('fails with %s', (_what, other) => {
    const signed = 'http://127.0.0.1:4010/webhooks/twilio/status?mid=m1&x=2';
    expect(twilio.validateRequest(token, sign(signed), other, params)).toBe(false);
  });

  it('tolerates default ports, and any port on the validating side when the signer had none', () => {
    expect(twilio.validateRequest(token, sign('https://hub.example/s'), 'https://hub.example:443/s', params)).toBe(true);
    expect(twilio.validateRequest(token, sign('https://hub.example:443/s'), 'https://hub.example/s', params)).toBe(true);
    // validateRequest also tries the URL with its port removed, whatever the port:
    expect(twilio.validateRequest(token, sign('https://hub.example/s'), 'https://hub.example:8443/s', params)).toBe(true);
  });

  it('an empty parameter is part of the signature', () => {
    const url = 'http://127.0.0.1:4010/s';
    const { ErrorCode: _dropped, ...withoutEmpty } = params;
    expect(twilio.validateRequest(token, sign(url), url, withoutEmpty)).toBe(false);
  });

  it('needs {} (not undefined) when there are no parameters', () => {
    expect(() => twilio.getExpectedTwilioSignature(token, 'http://h/s', undefined as never)).toThrow(TypeError);
    expect(twilio.getExpectedTwilioSignature(token, 'http://h/s', {})).toMatch(/=$/);
  });
});
