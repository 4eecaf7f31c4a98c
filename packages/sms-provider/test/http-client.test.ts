import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTwilioProvider, type TwilioProvider } from '../src/index.ts';
import { messageBody, startRecordingServer, type RecordingServer } from './support/recording-server.ts';

// What the adapter puts on the wire, as a bare HTTP server sees it: the SDK's requests
// rewritten to the base URL (a path prefix kept), form fields, and bounded keep-alive sockets.

const ACCOUNT = `AC${'a'.repeat(32)}`;
const VERIFY = `VA${'c'.repeat(32)}`;
const SERVICE = `MG${'d'.repeat(32)}`;

describe('Twilio adapter on the wire', () => {
  let server: RecordingServer;
  let provider: TwilioProvider;
  beforeAll(async () => {
    server = await startRecordingServer();
    provider = createTwilioProvider({ accountSid: ACCOUNT, authToken: 'tok', baseUrl: `${server.url}/twilio/`, from: '+15005550006', verifyServiceSid: VERIFY, timeoutMs: 2_000, maxSockets: 3 });
  });
  beforeEach(() => {
    server.requests.length = 0;
  });
  afterAll(async () => {
    provider.close();
    await server.close();
  });

  it('send: POST Messages.json under the base path, form-encoded, Basic auth', async () => {
    server.answer({ status: 201, body: messageBody() });
    await provider.send({ to: '+15551234567', body: 'hi', statusCallback: 'https://hub.example/webhooks/twilio/status?mid=m1' });
    const [r] = server.requests;
    expect(r).toMatchObject({ method: 'POST', url: `/twilio/2010-04-01/Accounts/${ACCOUNT}/Messages.json` });
    expect(r!.form).toEqual({ To: '+15551234567', Body: 'hi', From: '+15005550006', StatusCallback: 'https://hub.example/webhooks/twilio/status?mid=m1' });
    expect(r!.headers.authorization).toBe(`Basic ${Buffer.from(`${ACCOUNT}:tok`).toString('base64')}`);
    expect(r!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
  });

  it('scheduled send: MessagingServiceSid, SendAt in UTC to the second, ScheduleType=fixed, no From', async () => {
    server.answer({ status: 201, body: messageBody({ status: 'scheduled', messaging_service_sid: SERVICE }) });
    await provider.send({ to: '+15551234567', body: 'later', messagingServiceSid: SERVICE, sendAt: new Date('2026-11-23T08:30:15.250Z'), statusCallback: 'https://hub.example/s?mid=m2' });
    expect(server.requests[0]!.form).toEqual({ To: '+15551234567', Body: 'later', MessagingServiceSid: SERVICE, SendAt: '2026-11-23T08:30:15Z', ScheduleType: 'fixed', StatusCallback: 'https://hub.example/s?mid=m2' });
  });

  it('fetch, cancel and list go to the message paths', async () => {
    const sid = `SM${'b'.repeat(32)}`;
    server.answer({ status: 200, body: messageBody({ status: 'canceled' }) });
    await provider.fetch(sid);
    await provider.cancel(sid);
    server.answer({ status: 200, body: { messages: [messageBody()], next_page_uri: null, page: 0, page_size: 50 } });
    await provider.findSent({ to: '+15551234567', body: 'hi', since: new Date('2026-11-22T09:00:00Z') });
    const [fetch, cancel, list] = server.requests;
    expect([fetch!.method, fetch!.url]).toEqual(['GET', `/twilio/2010-04-01/Accounts/${ACCOUNT}/Messages/${sid}.json`]);
    expect([cancel!.method, cancel!.url, cancel!.form]).toEqual(['POST', `/twilio/2010-04-01/Accounts/${ACCOUNT}/Messages/${sid}.json`, { Status: 'canceled' }]);
    const listUrl = new URL(list!.url, server.url);
    expect(listUrl.pathname).toBe(`/twilio/2010-04-01/Accounts/${ACCOUNT}/Messages.json`);
    // No DateSent filter: Twilio would not match a message still queued (no date_sent).
    expect(Object.fromEntries(listUrl.searchParams)).toEqual({ To: '+15551234567', From: '+15005550006', PageSize: '50' });
  });

  it('findSent matches body and date_created in memory: a queued message (no date_sent) is found, an older one is not', async () => {
    const queued = messageBody({ sid: `SM${'1'.repeat(32)}`, body: 'hi', status: 'queued', date_sent: null, date_created: 'Sun, 22 Nov 2026 10:00:00 +0000' });
    const older = messageBody({ sid: `SM${'2'.repeat(32)}`, body: 'hi', status: 'delivered', date_sent: 'Sun, 22 Nov 2026 08:00:05 +0000', date_created: 'Sun, 22 Nov 2026 08:00:00 +0000' });
    const other = messageBody({ sid: `SM${'3'.repeat(32)}`, body: 'another', date_created: 'Sun, 22 Nov 2026 10:00:00 +0000' });
    server.answer({ status: 200, body: { messages: [other, queued, older], next_page_uri: null, page: 0, page_size: 50 } });
    expect(await provider.findSent({ to: '+15551234567', body: 'hi', since: new Date('2026-11-22T09:00:00Z') })).toMatchObject({ sid: queued.sid, status: 'queued', dateSent: null });
    server.answer({ status: 200, body: { messages: [other, older], next_page_uri: null, page: 0, page_size: 50 } });
    expect(await provider.findSent({ to: '+15551234567', body: 'hi', since: new Date('2026-11-22T09:00:00Z') })).toBeNull();
  });

  it('findSent through a Messaging Service lists by To only and matches the service in memory', async () => {
    const viaService = createTwilioProvider({ accountSid: ACCOUNT, authToken: 'tok', baseUrl: `${server.url}/twilio/`, messagingServiceSid: SERVICE, timeoutMs: 2_000 });
    const mine = messageBody({ sid: `SM${'4'.repeat(32)}`, from: '+15017122661', messaging_service_sid: SERVICE, date_created: 'Sun, 22 Nov 2026 10:00:00 +0000' });
    const notMine = messageBody({ sid: `SM${'5'.repeat(32)}`, from: '+15005550006', messaging_service_sid: null, date_created: 'Sun, 22 Nov 2026 10:00:01 +0000' });
    server.answer({ status: 200, body: { messages: [notMine, mine], next_page_uri: null, page: 0, page_size: 50 } });
    const found = await viaService.findSent({ to: '+15551234567', body: 'hi', since: new Date('2026-11-22T09:00:00Z') });
    viaService.close();
    expect(found?.sid).toBe(mine.sid);
    expect(Object.fromEntries(new URL(server.requests[0]!.url, server.url).searchParams)).toEqual({ To: '+15551234567', PageSize: '50' });
  });

  it('Verify v2 (verify.twilio.com) is rewritten to the same base URL', async () => {
    server.answer({ status: 201, body: { sid: `VE${'e'.repeat(32)}`, status: 'pending', valid: false } });
    await provider.start('+15551234567');
    server.answer({ status: 200, body: { sid: `VE${'e'.repeat(32)}`, status: 'approved', valid: true } });
    expect(await provider.check('+15551234567', '123456')).toEqual({ status: 'approved', valid: true });
    const [start, check] = server.requests;
    expect([start!.url, start!.form]).toEqual([`/twilio/v2/Services/${VERIFY}/Verifications`, { To: '+15551234567', Channel: 'sms' }]);
    expect([check!.url, check!.form]).toEqual([`/twilio/v2/Services/${VERIFY}/VerificationCheck`, { To: '+15551234567', Code: '123456' }]);
  });

  it('an unknown verification status is an unexpected_response, not a silent default', async () => {
    server.answer({ status: 200, body: { sid: `VE${'e'.repeat(32)}`, status: 'teleported', valid: false } });
    await expect(provider.check('+15551234567', '123456')).rejects.toMatchObject({ code: 'unexpected_response' });
  });

  it('an unknown message status is an unexpected_response', async () => {
    server.answer({ status: 200, body: messageBody({ status: 'teleported' }) });
    await expect(provider.fetch(`SM${'b'.repeat(32)}`)).rejects.toMatchObject({ code: 'unexpected_response' });
  });

  it('a 2xx body that is not JSON is an unexpected_response', async () => {
    server.answer({ status: 200, body: '<html>proxy login</html>', contentType: 'text/html' });
    await expect(provider.fetch(`SM${'b'.repeat(32)}`)).rejects.toMatchObject({ code: 'unexpected_response', retryable: false });
  });

  it('bounds plain-http sockets to maxSockets and reuses them (keep-alive)', async () => {
    server.answer({ status: 200, body: messageBody(), delayMs: 40 });
    const before = server.connections();
    await Promise.all(Array.from({ length: 20 }, () => provider.fetch(`SM${'b'.repeat(32)}`)));
    const opened = server.connections() - before;
    expect(opened).toBeGreaterThan(0);
    expect(opened).toBeLessThanOrEqual(3);
    await Promise.all(Array.from({ length: 6 }, () => provider.fetch(`SM${'b'.repeat(32)}`)));
    expect(server.connections() - before).toBe(opened);
    expect(new Set(server.requests.map((r) => r.connection)).size).toBeLessThanOrEqual(3);
  });

  it('refuses a send with neither From nor Messaging Service before any request', async () => {
    const bare = createTwilioProvider({ accountSid: ACCOUNT, authToken: 'tok', baseUrl: server.url });
    await expect(bare.send({ to: '+15551234567', body: 'x', statusCallback: 'https://h/x' })).rejects.toMatchObject({ code: 'missing_parameter' });
    await expect(bare.start('+15551234567')).rejects.toMatchObject({ code: 'invalid_parameter' });
    bare.close();
    expect(server.requests).toHaveLength(0);
  });
});
