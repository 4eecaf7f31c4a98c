import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCallbackReceiver, type CallbackReceiver } from '../src/index.ts';
import { startApi, type Api } from './support.ts';

describe('API faults', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi();
  });
  afterEach(() => {
    api.sandbox.reset();
  });
  afterAll(async () => {
    await api.close();
  });
  const create = (to = '+15551232000') => api.post(`${api.messagesPath}.json`, { To: to, From: '+15005550006', Body: 'x' });

  it('fails the next N requests with the given status and Twilio code, then recovers', async () => {
    api.sandbox.failNext(2, 429);
    expect(await create()).toMatchObject({ status: 429, body: { code: 20429, status: 429, message: 'Too Many Requests' } });
    expect(await create()).toMatchObject({ status: 429 });
    expect((await create()).status).toBe(201);
    api.sandbox.failNext(1, 401);
    expect(await create()).toMatchObject({ status: 401, body: { code: 20003 } });
    api.sandbox.failNext(1, 500);
    expect(await create()).toMatchObject({ status: 500, body: { code: 20500 } });
    api.sandbox.failNext(1, 503, { code: null });
    expect(await create()).toMatchObject({ status: 503, body: { code: null } });
    api.sandbox.failNext(1, 500, { body: 'html' });
    const html = await create();
    expect(html.status).toBe(500);
    expect(String(html.body.text)).toMatch(/^<html>/);
    expect(api.sandbox.sends()).toHaveLength(1);
  });

  it('fails only the requests a method / path filter names (a lookup, not a create)', async () => {
    api.sandbox.failNext(1, 500, { method: 'GET', pathEndsWith: '/Messages.json' });
    expect((await create('+15551232030')).status).toBe(201); // a POST does not count
    expect((await api.get(`${api.messagesPath}.json?To=%2B15551232030`)).status).toBe(500);
    expect((await api.get(`${api.messagesPath}.json?To=%2B15551232030`)).status).toBe(200);
    api.sandbox.failAfterNext(1, 502, { method: 'POST' });
    expect((await api.get(`${api.messagesPath}.json?To=%2B15551232031`)).status).toBe(200); // a GET does not count
    expect((await create('+15551232031')).status).toBe(502);
    expect((await create('+15551232031')).status).toBe(201);
    expect(api.sandbox.sends({ to: '+15551232031' })).toHaveLength(2);
  });

  it('carries out the next N requests, then answers them with the given error instead (failAfterNext)', async () => {
    api.sandbox.failAfterNext(1, 502);
    const failed = await create('+15551232010');
    expect(failed).toMatchObject({ status: 502, body: { code: 20500, status: 502, message: 'Bad Gateway' } });
    expect(api.sandbox.sends({ to: '+15551232010' })).toHaveLength(1);
    expect(api.sandbox.messages().filter((m) => m.to === '+15551232010')).toHaveLength(1);
    api.sandbox.failAfterNext(1, 504, { body: 'html' });
    const html = await create('+15551232011');
    expect(html.status).toBe(504);
    expect(String(html.body.text)).toMatch(/^<html>/);
    expect(api.sandbox.sends({ to: '+15551232011' })).toHaveLength(1);
    expect((await create('+15551232012')).status).toBe(201);
  });

  it('logs every API request, refused ones included, with its To, message id and answer', async () => {
    api.sandbox.failNext(1, 429);
    const form = { To: '+15551232020', From: '+15005550006', Body: 'x', StatusCallback: 'http://127.0.0.1:9/cb?mid=m-log' };
    expect((await api.post(`${api.messagesPath}.json`, form)).status).toBe(429);
    expect((await api.post(`${api.messagesPath}.json`, form)).status).toBe(201);
    await api.get(`${api.messagesPath}.json?To=%2B15551232020`);
    expect(api.sandbox.requests({ creates: true, to: '+15551232020' }).map((r) => [r.status, r.messageId])).toEqual([[429, 'm-log'], [201, 'm-log']]);
    expect(api.sandbox.requests({ messageId: 'm-log' })).toHaveLength(2);
    expect(api.sandbox.requests().at(-1)).toMatchObject({ method: 'GET', path: `${api.messagesPath}.json`, status: 200, to: null });
    expect(api.sandbox.sends({ to: '+15551232020' })).toHaveLength(1);
  });

  it('adds latency to every API request', async () => {
    api.sandbox.setFaults({ latencyMs: 150 });
    const started = Date.now();
    await api.get(`${api.messagesPath}.json`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    const control = Date.now();
    await api.control('GET', '/stats');
    expect(Date.now() - control).toBeLessThan(140);
  });

  it('resets the connection of the next N requests', async () => {
    api.sandbox.setFaults({ resetNext: 1 });
    await expect(create()).rejects.toThrow();
    expect((await create()).status).toBe(201);
  });

  it('rate-limits message creation per second when asked (429 / 20429)', async () => {
    api.sandbox.setFaults({ rateLimitPerSecond: 3 });
    const results = await Promise.all(Array.from({ length: 6 }, (_, i) => create(`+1555123210${i}`)));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201).length).toBeLessThanOrEqual(3);
    expect(results.find((r) => r.status === 429)?.body).toMatchObject({ code: 20429 });
    // fetch and list are not counted
    expect((await api.get(`${api.messagesPath}.json`)).status).toBe(200);
  });
});

describe('control API', () => {
  let api: Api;
  let receiver: CallbackReceiver;
  beforeAll(async () => {
    api = await startApi();
    receiver = await startCallbackReceiver({ authToken: api.sandbox.authToken });
  });
  afterAll(async () => {
    await api.close();
    await receiver.close();
  });

  it('drives scenarios, faults, sends, stats, drain, manual callbacks and reset over HTTP', async () => {
    expect(await api.control('POST', '/scenario', { to: '+15551233001', outcome: 'failed', errorCode: 30007, queuedCallback: false })).toMatchObject({
      status: 200, body: { to: '+15551233001', scenario: { outcome: 'failed', errorCode: 30007, queuedCallback: false, delayMs: 2 } },
    });
    const scenarios = (await api.control('GET', '/scenario')).body;
    expect(scenarios['+15551233001']).toMatchObject({ outcome: 'failed' });
    expect(scenarios['*']).toMatchObject({ outcome: 'delivered' });

    const cb = (mid: string) => `${receiver.url}/cb?mid=${mid}`;
    const first = await api.post(`${api.messagesPath}.json`, { To: '+15551233001', From: '+15005550006', Body: 'x', StatusCallback: cb('c1') });
    await api.post(`${api.messagesPath}.json`, { To: '+15551233002', From: '+15005550006', Body: 'y', StatusCallback: cb('c2') });
    expect((await api.control('POST', '/drain')).status).toBe(200);
    expect(receiver.forMessage('c1').map((c) => [c.params.MessageStatus, c.params.ErrorCode])).toEqual([['failed', '30007']]);

    expect((await api.control('GET', '/sends')).body).toMatchObject({ count: 2 });
    expect((await api.control('GET', '/sends?mid=c2')).body).toMatchObject({ count: 1, sends: [{ to: '+15551233002', messageId: 'c2' }] });
    expect((await api.control('GET', '/sends?to=%2B15551233001&limit=0')).body).toEqual({ count: 1, sends: [] });
    expect((await api.control('GET', '/stats')).body).toMatchObject({ messages: 2, sends: 2, verifyStarts: 0, callbacks: { accepted: 4 } });

    expect(await api.control('POST', `/messages/${String(first.body.sid)}/callback`, { status: 'delivered' })).toMatchObject({ status: 200, body: { posted: true, receiverStatus: 200 } });
    expect(receiver.forMessage('c1').at(-1)?.params.MessageStatus).toBe('delivered');

    expect(await api.control('POST', '/faults', { failNext: { count: 1, status: 503 } })).toMatchObject({ status: 200, body: { failNext: { count: 1, status: 503 } } });
    expect((await api.get(`${api.messagesPath}.json`)).status).toBe(503);
    expect((await api.get(`${api.messagesPath}.json`)).status).toBe(200);
    expect(await api.control('POST', '/faults', { failAfterNext: { count: 1, status: 502 } })).toMatchObject({ status: 200, body: { failAfterNext: { count: 1, status: 502 } } });
    expect((await api.get(`${api.messagesPath}.json`)).status).toBe(502);
    expect((await api.get(`${api.messagesPath}.json`)).status).toBe(200);

    expect((await api.control('POST', '/reset')).status).toBe(200);
    expect((await api.control('GET', '/sends')).body).toEqual({ count: 0, sends: [] });
    expect((await api.control('GET', '/scenario')).body['+15551233001']).toBeUndefined();
  });

  it('refuses malformed control input with 400', async () => {
    expect((await api.control('POST', '/scenario', { outcome: 'lost' })).status).toBe(400);
    expect((await api.control('POST', '/scenario', { delayMs: '5' })).status).toBe(400);
    expect((await api.control('POST', '/scenario', { dropp: true })).status).toBe(400);
    expect((await api.control('POST', '/faults', { failNext: { count: 1, status: 200 } })).status).toBe(400);
    expect((await api.control('POST', '/messages/SMx/callback', { status: 'delivered' })).status).toBe(404);
  });
});
