import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../src/index.ts';
import { startApi, type Api } from './support.ts';

const SERVICE = `MG${'1'.repeat(32)}`;

describe('status callbacks', () => {
  let api: Api;
  let receiver: CallbackReceiver;
  beforeAll(async () => {
    api = await startApi({ callbacks: { retries: 2 } });
    receiver = await startCallbackReceiver({ authToken: api.sandbox.authToken });
  });
  afterEach(() => {
    api.sandbox.reset();
    receiver.clear();
  });
  afterAll(async () => {
    await api.close();
    await receiver.close();
  });

  const send = (to: string, mid: string, extra: Record<string, string> = { From: '+15005550006' }) =>
    api.post(`${api.messagesPath}.json`, { To: to, Body: 'hi', StatusCallback: `${receiver.url}/webhooks/twilio/status?mid=${mid}`, ...extra });
  const statuses = (mid: string) => receiver.forMessage(mid).map((c) => c.params.MessageStatus);

  it('posts form-encoded, signed callbacks with Twilio\'s parameters', async () => {
    const { body } = await send('+15551231001', 'a1');
    await api.sandbox.drain();
    expect(statuses('a1')).toEqual(['queued', 'sent', 'delivered']);
    for (const c of receiver.forMessage('a1')) {
      expect(c.valid).toBe(true);
      expect(Object.keys(c.params).sort()).toEqual(['AccountSid', 'ApiVersion', 'From', 'MessageSid', 'MessageStatus', 'SmsSid', 'SmsStatus', 'To']);
      expect(c.params.MessageSid).toBe(body.sid);
    }
    expect(api.sandbox.stats().callbacks).toMatchObject({ requested: 3, accepted: 3, failed: 0, inFlight: 0 });
  });

  it('a Messaging Service send names the service and the sender it picked', async () => {
    await send('+15551231002', 'a2', { MessagingServiceSid: SERVICE });
    await api.sandbox.drain();
    const last = receiver.forMessage('a2').at(-1)!;
    expect(last.params).toMatchObject({ MessagingServiceSid: SERVICE, From: '+15005550006', MessageStatus: 'delivered' });
  });

  it('per-number scenarios override the sandbox-wide one ("*")', async () => {
    api.sandbox.setScenario('*', { outcome: 'undelivered', errorCode: 30006 });
    api.sandbox.setScenario('+15551231004', { outcome: 'delivered', duplicate: true });
    await send('+15551231003', 'a3');
    await send('+15551231004', 'a4');
    await api.sandbox.drain();
    expect(receiver.forMessage('a3').map((c) => [c.params.MessageStatus, c.params.ErrorCode])).toEqual([['queued', undefined], ['sent', undefined], ['undelivered', '30006']]);
    expect(statuses('a4')).toEqual(['queued', 'queued', 'sent', 'sent', 'delivered', 'delivered']);
  });

  it('dropFinal posts everything but the final status; the message still reaches it', async () => {
    api.sandbox.setScenario('+15551231005', { dropFinal: true });
    const { body } = await send('+15551231005', 'a5');
    await api.sandbox.drain();
    expect(statuses('a5')).toEqual(['queued', 'sent']);
    expect(api.sandbox.message(String(body.sid))?.status).toBe('delivered');
  });

  it('retries a callback answered 5xx, and does not retry a 4xx', async () => {
    receiver.failNext(2, 500);
    await send('+15551231006', 'a6');
    await api.sandbox.drain();
    expect(statuses('a6')).toEqual(['queued', 'sent', 'delivered']);
    expect(api.sandbox.stats().callbacks).toMatchObject({ requested: 3, accepted: 3, failed: 0 });

    api.sandbox.reset();
    receiver.failNext(1, 403);
    await send('+15551231007', 'a7');
    await api.sandbox.drain();
    expect(statuses('a7')).toEqual(['sent', 'delivered']);
    expect(api.sandbox.stats().callbacks).toMatchObject({ requested: 3, accepted: 2, refused: 1 });
  });

  it('gives up on an unreachable receiver without failing the API', async () => {
    const res = await api.post(`${api.messagesPath}.json`, { To: '+15551231008', From: '+15005550006', Body: 'x', StatusCallback: 'http://127.0.0.1:1/cb?mid=a8' });
    expect(res.status).toBe(201);
    await api.sandbox.drain();
    expect(api.sandbox.stats().callbacks).toMatchObject({ requested: 3, failed: 3, accepted: 0 });
    expect((await send('+15551231009', 'a9')).status).toBe(201);
  });

  it('reset stops the callbacks in flight', async () => {
    api.sandbox.setScenario('*', { delayMs: 100 });
    await send('+15551231010', 'a10');
    api.sandbox.reset();
    await new Promise((r) => setTimeout(r, 350));
    expect(statuses('a10')).toEqual([]);
  });

  it('cancelling a scheduled message posts "canceled"', async () => {
    const { body } = await send('+15551231011', 'a11', { MessagingServiceSid: SERVICE, SendAt: new Date(Date.now() + 3_600_000).toISOString(), ScheduleType: 'fixed' });
    await api.post(`${api.messagesPath}/${String(body.sid)}.json`, { Status: 'canceled' });
    await receiver.waitFor(() => statuses('a11').length === 1);
    expect(statuses('a11')).toEqual(['canceled']);
  });

  it('postCallback sends one more signed callback by hand', async () => {
    const { body } = await send('+15551231012', 'a12');
    await api.sandbox.drain();
    expect(await api.sandbox.postCallback(String(body.sid), 'undelivered', 30003)).toBe(true);
    expect(receiver.forMessage('a12').at(-1)).toMatchObject({ valid: true, params: { MessageStatus: 'undelivered', ErrorCode: '30003' } });
    await expect(api.sandbox.postCallback(`SM${'0'.repeat(32)}`, 'sent')).rejects.toThrow(/no message/);
  });
});
