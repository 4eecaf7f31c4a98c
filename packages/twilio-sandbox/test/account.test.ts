import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Api } from './support.ts';

const SERVICE = `MG${'c'.repeat(32)}`;
const UNKNOWN_SERVICE = `MG${'d'.repeat(32)}`;

describe('account resources (Balance, IncomingPhoneNumbers, Messaging Services)', () => {
  let api: Api;
  let base: string;
  beforeAll(async () => {
    api = await startApi({ fromNumbers: ['+14155550111', '+15005550007'], balance: { balance: 75, currency: 'gbp' } });
    base = `/2010-04-01/Accounts/${api.sandbox.accountSid}`;
  });
  afterEach(() => {
    api.sandbox.reset();
  });
  afterAll(async () => {
    await api.close();
  });

  it('answers the balance as Twilio does (a decimal string and its currency); settable, reset restores it', async () => {
    expect(await api.get(`${base}/Balance.json`)).toEqual({ status: 200, body: { account_sid: api.sandbox.accountSid, balance: '75.00', currency: 'GBP' } });
    api.sandbox.setBalance(19.5);
    expect((await api.get(`${base}/Balance.json`)).body).toMatchObject({ balance: '19.50', currency: 'GBP' });
    // Through the control API, for another process (the local start, a manual test).
    expect(await api.control('POST', '/account', { balance: '-2.25', currency: 'usd' })).toMatchObject({ status: 200, body: { balance: '-2.25', currency: 'USD' } });
    expect((await api.get(`${base}/Balance.json`)).body).toMatchObject({ balance: '-2.25', currency: 'USD' });
    expect((await api.control('POST', '/account', { balance: 'lots' })).status).toBe(400);
    api.sandbox.reset();
    expect((await api.get(`${base}/Balance.json`)).body).toMatchObject({ balance: '75.00', currency: 'GBP' });
  });

  it('requires the account credentials and the right account', async () => {
    expect(await api.get(`${base}/Balance.json`, null)).toMatchObject({ status: 401, body: { code: 20003 } });
    expect(await api.get(`/2010-04-01/Accounts/ACother/Balance.json`)).toMatchObject({ status: 404, body: { code: 20404 } });
    expect((await api.get(`${base}/IncomingPhoneNumbers.json`, `Basic ${Buffer.from(`${api.sandbox.accountSid}:wrong`).toString('base64')}`)).status).toBe(401);
  });

  it('lists the numbers sends accept (not the magic refused ones), filtered by PhoneNumber like Twilio (partial, * any digit)', async () => {
    const all = await api.get(`${base}/IncomingPhoneNumbers.json`);
    expect(all.status).toBe(200);
    const numbers = (all.body.incoming_phone_numbers as { phone_number: string; sid: string; capabilities: { sms: boolean } }[]);
    expect(numbers.map((n) => n.phone_number)).toEqual(['+14155550111', '+15005550006']);
    expect(numbers.every((n) => /^PN[0-9a-f]{32}$/.test(n.sid) && n.capabilities.sms)).toBe(true);
    const one = await api.get(`${base}/IncomingPhoneNumbers.json?PhoneNumber=%2B15005550006`);
    expect((one.body.incoming_phone_numbers as unknown[])).toHaveLength(1);
    expect((await api.get(`${base}/IncomingPhoneNumbers.json?PhoneNumber=%2B15005550007`)).body.incoming_phone_numbers).toEqual([]);
    expect(((await api.get(`${base}/IncomingPhoneNumbers.json?PhoneNumber=415555`)).body.incoming_phone_numbers as unknown[])).toHaveLength(1);
    expect(((await api.get(`${base}/IncomingPhoneNumbers.json?PhoneNumber=%2B1500555000*`)).body.incoming_phone_numbers as unknown[])).toHaveLength(1);
    expect((await api.get(`${base}/IncomingPhoneNumbers.json?PhoneNumber=%2B1500555000*`)).body).toMatchObject({ page: 0, next_page_uri: null });
  });

  it('knows every well-formed Messaging Service by default; once services are registered, only those (fetch and send alike)', async () => {
    expect(await api.get(`/v1/Services/${UNKNOWN_SERVICE}`)).toMatchObject({ status: 200, body: { sid: UNKNOWN_SERVICE, account_sid: api.sandbox.accountSid } });
    expect((await api.get('/v1/Services/MGnot-a-sid')).status).toBe(404);
    expect(await api.control('POST', '/account', { messagingServices: [SERVICE] })).toMatchObject({ status: 200, body: { messagingServices: [SERVICE] } });
    expect((await api.get(`/v1/Services/${SERVICE}`)).status).toBe(200);
    expect(await api.get(`/v1/Services/${UNKNOWN_SERVICE}`)).toMatchObject({ status: 404, body: { code: 20404 } });
    const send = (service: string) => api.post(`${api.messagesPath}.json`, { To: '+15551239000', MessagingServiceSid: service, Body: 'x' });
    expect((await send(SERVICE)).status).toBe(201);
    expect(await send(UNKNOWN_SERVICE)).toMatchObject({ status: 400, body: { code: 21705 } });
    expect((await api.control('GET', '/account')).body).toMatchObject({ messagingServices: [SERVICE], numbers: ['+14155550111', '+15005550006'] });
    expect((await api.control('POST', '/account', { messagingServices: null })).body).toMatchObject({ messagingServices: null });
    expect((await send(UNKNOWN_SERVICE)).status).toBe(201);
  });
});
