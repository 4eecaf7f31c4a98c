import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FROM_ERRORS, TO_ERRORS } from '../src/index.ts';
import { startApi, type Api } from './support.ts';

const SERVICE = `MG${'1'.repeat(32)}`;
const inMinutes = (m: number) => new Date(Date.now() + m * 60_000).toISOString().replace(/\.\d{3}Z$/, 'Z');

describe('Messages API', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi({ fromNumbers: ['+15017122661'] });
  });
  afterAll(async () => {
    await api.close();
  });
  const create = (form: Record<string, string | string[]>, auth?: string | null) => api.post(`${api.messagesPath}.json`, form, auth);

  describe('authentication', () => {
    it('refuses a missing or wrong Basic auth with 401 / 20003 in Twilio\'s error shape', async () => {
      for (const auth of [null, 'Basic ' + Buffer.from(`${api.sandbox.accountSid}:nope`).toString('base64'), 'Bearer x']) {
        const res = await create({ To: '+15551234567', From: '+15005550006', Body: 'x' }, auth);
        expect(res.status).toBe(401);
        expect(res.body).toEqual({ code: 20003, message: 'Authenticate', more_info: 'https://www.twilio.com/docs/errors/20003', status: 401 });
      }
      expect(api.sandbox.sends()).toHaveLength(0);
    });

    it('answers 404 / 20404 for another account in the path', async () => {
      const res = await api.post(`/2010-04-01/Accounts/AC${'f'.repeat(32)}/Messages.json`, { To: '+15551234567', From: '+15005550006', Body: 'x' });
      expect(res).toMatchObject({ status: 404, body: { code: 20404, status: 404 } });
    });
  });

  describe('create', () => {
    it('accepts a message: 201 with Twilio\'s Message JSON', async () => {
      const res = await create({ To: '+15551230001', From: '+15005550006', Body: 'hello', StatusCallback: 'http://127.0.0.1:9/cb?mid=our-1' });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        account_sid: api.sandbox.accountSid, api_version: '2010-04-01', body: 'hello', direction: 'outbound-api', error_code: null, error_message: null,
        from: '+15005550006', messaging_service_sid: null, num_media: '0', num_segments: '1', price: null, price_unit: 'USD', status: 'queued', to: '+15551230001',
        date_sent: null,
      });
      expect(res.body.sid).toMatch(/^SM[0-9a-f]{32}$/);
      expect(res.body.date_created).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} \+0000$/);
      expect(res.body.uri).toBe(`${api.messagesPath}/${String(res.body.sid)}.json`);
      expect(api.sandbox.sends({ messageId: 'our-1' })).toMatchObject([{ sid: res.body.sid, to: '+15551230001', body: 'hello', scheduled: false }]);
    });

    it.each(Object.entries(TO_ERRORS))('To %s → %o', async (to, expected) => {
      const res = await create({ To: to, From: '+15005550006', Body: 'x' });
      expect(res).toMatchObject({ status: 400, body: { code: expected.code, status: 400 } });
      expect(api.sandbox.sends({ to })).toHaveLength(0);
    });

    it.each(Object.entries(FROM_ERRORS))('From %s → %o', async (from, expected) => {
      const res = await create({ To: '+15551230002', From: from, Body: 'x' });
      expect(res).toMatchObject({ status: 400, body: { code: expected.code } });
    });

    it('accepts +15005550006 and registered From numbers, refuses others with 21606', async () => {
      expect((await create({ To: '+15551230003', From: '+15017122661', Body: 'x' })).status).toBe(201);
      expect((await create({ To: '+15551230003', From: '+15017122662', Body: 'x' })).body).toMatchObject({ code: 21606 });
    });

    it.each([
      [{ From: '+15005550006', Body: 'x' }, 21604],
      [{ To: '+15551230004', Body: 'x' }, 21603],
      [{ To: '+15551230004', From: '+15005550006' }, 21602],
      [{ To: '+15551230004', From: '+15005550006', Body: '   ' }, 21602],
      [{ To: '5551230004', From: '+15005550006', Body: 'x' }, 21211],
      [{ To: '+15551230004', From: '+15005550006', Body: 'x'.repeat(1601) }, 21617],
      [{ To: '+15551230004', MessagingServiceSid: 'MG123', Body: 'x' }, 21705],
      [{ To: '+15551230004', From: '+15005550006', Body: 'x', StatusCallback: 'not a url' }, 21609],
    ])('refuses %o with %i', async (form, code) => {
      const res = await create(form);
      expect(res).toMatchObject({ status: 400, body: { code } });
    });

    it('accepts media without a body', async () => {
      const res = await create({ To: '+15551230005', From: '+15005550006', MediaUrl: ['https://x/1.png', 'https://x/2.png'] });
      expect(res).toMatchObject({ status: 201, body: { num_media: '2', body: '' } });
    });

    it('a Messaging Service send starts "accepted" with no From yet', async () => {
      const res = await create({ To: '+15551230006', MessagingServiceSid: SERVICE, Body: 'x' });
      expect(res).toMatchObject({ status: 201, body: { status: 'accepted', from: null, messaging_service_sid: SERVICE } });
    });

    it('counts segments roughly (GSM-7 160/153, UCS-2 70/67)', async () => {
      const seg = async (body: string) => (await create({ To: '+15551230007', From: '+15005550006', Body: body })).body.num_segments;
      expect(await seg('a'.repeat(160))).toBe('1');
      expect(await seg('a'.repeat(161))).toBe('2');
      expect(await seg('ü'.repeat(160))).toBe('1');
      expect(await seg('😀'.repeat(30))).toBe('1');
      expect(await seg('日'.repeat(71))).toBe('2');
    });
  });

  describe('scheduled sends', () => {
    it('holds a scheduled message, cancels it once, then refuses 30409', async () => {
      const res = await create({ To: '+15551230010', MessagingServiceSid: SERVICE, Body: 'later', SendAt: inMinutes(60), ScheduleType: 'fixed' });
      expect(res).toMatchObject({ status: 201, body: { status: 'scheduled' } });
      const sid = String(res.body.sid);
      expect(api.sandbox.sends({ to: '+15551230010' })).toMatchObject([{ scheduled: true }]);
      expect((await api.post(`${api.messagesPath}/${sid}.json`, { Status: 'canceled' })).body).toMatchObject({ status: 'canceled' });
      expect((await api.get(`${api.messagesPath}/${sid}.json`)).body).toMatchObject({ status: 'canceled' });
      expect(await api.post(`${api.messagesPath}/${sid}.json`, { Status: 'canceled' })).toMatchObject({ status: 400, body: { code: 30409 } });
    });

    it.each([
      [{ SendAt: inMinutes(60), ScheduleType: 'fixed', From: '+15005550006' }, 35118],
      [{ ScheduleType: 'fixed', MessagingServiceSid: SERVICE }, 35111],
      [{ SendAt: inMinutes(2), ScheduleType: 'fixed', MessagingServiceSid: SERVICE }, 35114],
      [{ SendAt: inMinutes(36 * 24 * 60), ScheduleType: 'fixed', MessagingServiceSid: SERVICE }, 35114],
      [{ SendAt: 'tomorrow', ScheduleType: 'fixed', MessagingServiceSid: SERVICE }, 35114],
    ])('refuses %o with %i', async (form, code) => {
      expect(await create({ To: '+15551230011', Body: 'x', ...form })).toMatchObject({ status: 400, body: { code } });
    });

    it('sends a scheduled message when it is due (a sandbox with a short window)', async () => {
      const quick = await startApi({ scheduling: { minLeadMs: 0 } });
      try {
        const res = await quick.post(`${quick.messagesPath}.json`, { To: '+15551230012', MessagingServiceSid: SERVICE, Body: 'soon', SendAt: new Date(Date.now() + 1_000).toISOString(), ScheduleType: 'fixed' });
        const sid = String(res.body.sid);
        expect(quick.sandbox.message(sid)?.status).toBe('scheduled');
        await new Promise((r) => setTimeout(r, 1_300));
        await quick.sandbox.drain();
        expect((await quick.get(`${quick.messagesPath}/${sid}.json`)).body).toMatchObject({ status: 'delivered', from: '+15005550006' });
      } finally {
        await quick.close();
      }
    });
  });

  describe('fetch, update, list', () => {
    it('fetch answers 404 / 20404 for an unknown sid', async () => {
      expect(await api.get(`${api.messagesPath}/SM${'0'.repeat(32)}.json`)).toMatchObject({ status: 404, body: { code: 20404 } });
    });

    it('the message moves to delivered and is priced once sent', async () => {
      const { body } = await create({ To: '+15551230020', From: '+15005550006', Body: 'x' });
      await api.sandbox.drain();
      const fetched = (await api.get(`${api.messagesPath}/${String(body.sid)}.json`)).body;
      expect(fetched).toMatchObject({ status: 'delivered', price: '-0.00790', error_code: null });
      expect(fetched.date_sent).not.toBeNull();
    });

    it('Body="" redacts; other updates are refused', async () => {
      const { body } = await create({ To: '+15551230021', From: '+15005550006', Body: 'secret' });
      const path = `${api.messagesPath}/${String(body.sid)}.json`;
      expect((await api.post(path, { Body: '' })).body).toMatchObject({ body: '' });
      expect((await api.post(path, { Body: 'new' })).status).toBe(400);
      expect((await api.post(path, { Status: 'sent' })).status).toBe(400);
    });

    it('lists newest first, filtered by To, paged with next_page_uri', async () => {
      const to = '+15551230030';
      const sids: string[] = [];
      for (let i = 0; i < 5; i++) sids.push(String((await create({ To: to, From: '+15005550006', Body: `n${i}` })).body.sid));
      const page0 = (await api.get(`${api.messagesPath}.json?To=${encodeURIComponent(to)}&PageSize=2`)).body;
      expect((page0.messages as { sid: string }[]).map((m) => m.sid)).toEqual([sids[4], sids[3]]);
      expect(page0.next_page_uri).toMatch(/Page=1/);
      const page1 = (await api.get(String(page0.next_page_uri))).body;
      expect((page1.messages as { sid: string }[]).map((m) => m.sid)).toEqual([sids[2], sids[1]]);
      const page2 = (await api.get(String(page1.next_page_uri))).body;
      expect((page2.messages as { sid: string }[]).map((m) => m.sid)).toEqual([sids[0]]);
      expect(page2.next_page_uri).toBeNull();
      const future = new Date(Date.now() + 3_600_000).toISOString();
      expect(((await api.get(`${api.messagesPath}.json?To=${encodeURIComponent(to)}&DateSent%3E=${future}`)).body.messages as unknown[])).toHaveLength(0);
    });

    it('filters DateSent like Twilio: a message still queued (no date_sent) matches no DateSent filter', async () => {
      const to = '+15551230031';
      api.sandbox.setScenario(to, { delayMs: 600_000 });
      const { body } = await create({ To: to, From: '+15005550006', Body: 'waiting' });
      expect(body).toMatchObject({ status: 'queued', date_sent: null });
      const past = new Date(Date.now() - 3_600_000).toISOString();
      const list = async (query: string) => ((await api.get(`${api.messagesPath}.json?To=${encodeURIComponent(to)}${query}`)).body.messages as { sid: string }[]).map((m) => m.sid);
      expect(await list(`&DateSent%3E=${past}`)).toEqual([]);
      expect(await list(`&DateSent=${new Date().toISOString().slice(0, 10)}`)).toEqual([]);
      expect(await list('')).toEqual([body.sid]);
    });
  });
});
