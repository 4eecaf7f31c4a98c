import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApi, type Api } from './support.ts';

const SERVICE = `VA${'2'.repeat(32)}`;

describe('Verify v2', () => {
  let api: Api;
  beforeAll(async () => {
    api = await startApi({ verifyCode: '424242' });
  });
  afterAll(async () => {
    await api.close();
  });
  const start = (to: string, channel = 'sms', service = SERVICE) => api.post(`/v2/Services/${service}/Verifications`, { To: to, Channel: channel });
  const check = (to: string, code: string) => api.post(`/v2/Services/${SERVICE}/VerificationCheck`, { To: to, Code: code });

  it('starts a pending verification and approves the configured code', async () => {
    const started = await start('+15551234001');
    expect(started).toMatchObject({ status: 201, body: { status: 'pending', valid: false, to: '+15551234001', channel: 'sms', service_sid: SERVICE, account_sid: api.sandbox.accountSid } });
    expect(started.body.sid).toMatch(/^VE[0-9a-f]{32}$/);
    expect(await check('+15551234001', '123456')).toMatchObject({ status: 200, body: { status: 'pending', valid: false } });
    expect(await check('+15551234001', '424242')).toMatchObject({ status: 200, body: { status: 'approved', valid: true, sid: started.body.sid } });
    expect(await check('+15551234001', '424242')).toMatchObject({ status: 404, body: { code: 20404 } });
    expect(api.sandbox.verifications().find((v) => v.sid === started.body.sid)).toMatchObject({ status: 'approved', checkAttempts: 2 });
  });

  it('checks by VerificationSid too', async () => {
    const { body } = await start('+15551234002');
    const res = await api.post(`/v2/Services/${SERVICE}/VerificationCheck`, { VerificationSid: String(body.sid), Code: '424242' });
    expect(res).toMatchObject({ status: 200, body: { status: 'approved', valid: true } });
  });

  it('answers 404 / 20404 when nothing is pending for the number', async () => {
    expect(await check('+15551234003', '424242')).toMatchObject({ status: 404, body: { code: 20404, status: 404 } });
  });

  it('a resend keeps the verification; the sixth start in a row is refused (60203)', async () => {
    const sids = new Set<unknown>();
    for (let i = 0; i < 5; i++) sids.add((await start('+15551234004')).body.sid);
    expect(sids.size).toBe(1);
    expect(await start('+15551234004')).toMatchObject({ status: 429, body: { code: 60203 } });
    expect(api.sandbox.verifyStarts({ to: '+15551234004' })).toHaveLength(5);
  });

  it('five wrong codes, then 60202 max check attempts', async () => {
    await start('+15551234005');
    for (let i = 0; i < 5; i++) expect((await check('+15551234005', '000000')).body).toMatchObject({ valid: false });
    expect(await check('+15551234005', '424242')).toMatchObject({ status: 429, body: { code: 60202 } });
  });

  it('refuses bad input: numbers, channels, codes, services', async () => {
    expect(await start('+15005550001')).toMatchObject({ status: 400, body: { code: 60200 } });
    expect(await start('+15005550009')).toMatchObject({ status: 400, body: { code: 60205 } });
    expect(await start('15551234006')).toMatchObject({ status: 400, body: { code: 60200 } });
    expect(await start('+15551234006', 'pigeon')).toMatchObject({ status: 400, body: { code: 60200 } });
    expect(await start('+15551234006', 'sms', 'VAnope')).toMatchObject({ status: 404, body: { code: 20404 } });
    await start('+15551234007');
    expect(await check('+15551234007', '12')).toMatchObject({ status: 400, body: { code: 60200 } });
  });

  it('requires the account\'s Basic auth', async () => {
    const res = await api.post(`/v2/Services/${SERVICE}/Verifications`, { To: '+15551234008', Channel: 'sms' }, null);
    expect(res).toMatchObject({ status: 401, body: { code: 20003 } });
  });
});
