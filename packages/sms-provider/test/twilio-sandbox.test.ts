import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import twilio from 'twilio';
import { createTwilioSandbox, startCallbackReceiver, type CallbackReceiver, type TwilioSandbox } from '@hub/twilio-sandbox';
import { createTwilioProvider, ProviderError, type ProviderCall, type TwilioProvider } from '../src/index.ts';
import { providerContract } from './provider-contract.ts';

// The Twilio adapter, through the official SDK, against the local sandbox: the contract
// suite, then what only this pair can show (signed callbacks, scenarios, the onCall hook).

const MESSAGING_SERVICE = `MG${'1'.repeat(32)}`;
const VERIFY_SERVICE = `VA${'2'.repeat(32)}`;
const TIMEOUT_MS = 1_000;

interface Rig {
  sandbox: TwilioSandbox;
  receiver: CallbackReceiver;
  provider: TwilioProvider;
  calls: ProviderCall[];
  close(): Promise<void>;
}

async function startRig(): Promise<Rig> {
  const sandbox = createTwilioSandbox({ scenario: { delayMs: 5 } });
  await sandbox.start();
  const receiver = await startCallbackReceiver({ authToken: sandbox.authToken });
  const calls: ProviderCall[] = [];
  const provider = createTwilioProvider({
    accountSid: sandbox.accountSid,
    authToken: sandbox.authToken,
    baseUrl: sandbox.url,
    from: '+15005550006',
    verifyServiceSid: VERIFY_SERVICE,
    timeoutMs: TIMEOUT_MS,
    maxSockets: 8,
    onCall: (c) => calls.push(c),
  });
  return {
    sandbox, receiver, provider, calls,
    async close() {
      provider.close();
      await sandbox.close();
      await receiver.close();
    },
  };
}

providerContract(
  'Twilio SDK → sandbox',
  async () => {
    const rig = await startRig();
    return {
      provider: rig.provider,
      verifier: rig.provider,
      verifyCode: '123456',
      from: '+15005550006',
      messagingServiceSid: MESSAGING_SERVICE,
      statusCallback: (mid) => `${rig.receiver.url}/webhooks/twilio/status?mid=${mid}`,
      faults: {
        failNext: (status, count) => rig.sandbox.failNext(count, status),
        stall: () => rig.sandbox.setFaults({ latencyMs: TIMEOUT_MS + 300 }),
      },
      holdQueued: (to) => rig.sandbox.setScenario(to, { delayMs: 600_000 }),
      reset: () => rig.sandbox.setFaults({ latencyMs: 0, failNext: null, resetNext: 0 }),
      close: () => rig.close(),
    };
  },
  { faults: true, verify: true, holdQueued: true },
);

describe('Twilio adapter and sandbox together', () => {
  let rig: Rig;
  beforeAll(async () => {
    rig = await startRig();
  });
  afterEach(() => {
    rig.sandbox.setFaults({ latencyMs: 0, failNext: null, resetNext: 0, resetAfterNext: 0, failAfterNext: null, rateLimitPerSecond: 0 });
  });
  afterAll(async () => {
    await rig.close();
  });

  const callbackUrl = (mid: string) => `${rig.receiver.url}/webhooks/twilio/status?mid=${mid}`;
  const statuses = (mid: string) => rig.receiver.forMessage(mid).map((c) => c.params.MessageStatus);

  it('posts queued → sent → delivered, each signed over the exact URL, carrying our message id', async () => {
    const to = '+15551230001';
    const sent = await rig.provider.send({ to, body: 'hello', statusCallback: callbackUrl('mid-1') });
    await rig.receiver.waitFor(() => statuses('mid-1').length === 3);
    const got = rig.receiver.forMessage('mid-1');
    expect(got.map((c) => c.params.MessageStatus)).toEqual(['queued', 'sent', 'delivered']);
    for (const c of got) {
      expect(c.valid).toBe(true);
      expect(twilio.validateRequest(rig.sandbox.authToken, c.signature, c.url, c.params)).toBe(true);
      expect(twilio.validateRequest('another-token', c.signature, c.url, c.params)).toBe(false);
      expect(c.params).toMatchObject({ MessageSid: sent.sid, SmsSid: sent.sid, SmsStatus: c.params.MessageStatus, AccountSid: rig.sandbox.accountSid, From: '+15005550006', To: to, ApiVersion: '2010-04-01' });
      expect(c.params.ErrorCode).toBeUndefined();
    }
    expect(rig.sandbox.sends({ messageId: 'mid-1' })).toHaveLength(1);
    expect(rig.sandbox.sends({ to })).toHaveLength(1);
  });

  it('duplicated and out-of-order callbacks arrive as configured for one number', async () => {
    const to = '+15551230002';
    rig.sandbox.setScenario(to, { duplicate: true, outOfOrder: true });
    await rig.provider.send({ to, body: 'messy', statusCallback: callbackUrl('mid-2') });
    await rig.receiver.waitFor(() => statuses('mid-2').length === 6);
    expect(statuses('mid-2')).toEqual(['delivered', 'delivered', 'sent', 'sent', 'queued', 'queued']);
    expect(rig.receiver.forMessage('mid-2').every((c) => c.valid)).toBe(true);
    // another number keeps the default scenario
    await rig.provider.send({ to: '+15551230003', body: 'tidy', statusCallback: callbackUrl('mid-3') });
    await rig.receiver.waitFor(() => statuses('mid-3').length === 3);
    expect(statuses('mid-3')).toEqual(['queued', 'sent', 'delivered']);
  });

  it('an undelivered outcome carries its error code in the callback and in fetch', async () => {
    const to = '+15551230004';
    rig.sandbox.setScenario(to, { outcome: 'undelivered', errorCode: 30005 });
    const sent = await rig.provider.send({ to, body: 'nobody', statusCallback: callbackUrl('mid-4') });
    await rig.receiver.waitFor(() => statuses('mid-4').includes('undelivered'));
    const final = rig.receiver.forMessage('mid-4').at(-1)!;
    expect(final.params).toMatchObject({ MessageStatus: 'undelivered', ErrorCode: '30005' });
    expect(final.valid).toBe(true);
    expect(await rig.provider.fetch(sent.sid)).toMatchObject({ status: 'undelivered', errorCode: 30005, errorMessage: 'Unknown destination handset' });
  });

  it('a failed outcome goes queued → failed with its code', async () => {
    const to = '+15551230005';
    rig.sandbox.setScenario(to, { outcome: 'failed', errorCode: 30007, queuedCallback: false });
    await rig.provider.send({ to, body: 'spammy', statusCallback: callbackUrl('mid-5') });
    await rig.receiver.waitFor(() => statuses('mid-5').length === 1);
    await rig.sandbox.drain();
    expect(rig.receiver.forMessage('mid-5').map((c) => [c.params.MessageStatus, c.params.ErrorCode])).toEqual([['failed', '30007']]);
  });

  it('dropped callbacks never arrive, but the provider lookup shows the final status (reconciliation)', async () => {
    const to = '+15551230006';
    rig.sandbox.setScenario(to, { dropCallbacks: true });
    const sent = await rig.provider.send({ to, body: 'silent', statusCallback: callbackUrl('mid-6') });
    await rig.sandbox.drain();
    expect(statuses('mid-6')).toEqual([]);
    expect((await rig.provider.fetch(sent.sid)).status).toBe('delivered');
    expect(rig.sandbox.stats().callbacks.dropped).toBeGreaterThanOrEqual(3);
  });

  it('a late duplicate can be posted by hand, signed like the others', async () => {
    const sent = await rig.provider.send({ to: '+15551230007', body: 'again', statusCallback: callbackUrl('mid-7') });
    await rig.sandbox.drain();
    expect(await rig.sandbox.postCallback(sent.sid, 'sent')).toBe(true);
    expect(statuses('mid-7')).toEqual(['queued', 'sent', 'delivered', 'sent']);
    expect(rig.receiver.forMessage('mid-7').every((c) => c.valid)).toBe(true);
  });

  it('the sandbox rate limit answers 429 / 20429 → rate_limited', async () => {
    rig.sandbox.setFaults({ rateLimitPerSecond: 2 });
    const results = await Promise.allSettled([1, 2, 3, 4, 5].map((i) => rig.provider.send({ to: `+1555124000${i}`, body: 'burst', statusCallback: callbackUrl(`rl-${i}`) })));
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.length).toBeGreaterThanOrEqual(3);
    for (const r of refused) expect(r.reason).toMatchObject({ code: 'rate_limited', kind: 'rate_limited', retryable: true, twilioCode: 20429, httpStatus: 429 });
  });

  it('a 5xx without a JSON body is still a retryable server error (no Twilio code), of unknown outcome', async () => {
    rig.sandbox.failNext(1, 502, { body: 'html' });
    const err = await rig.provider.fetch(`SM${'0'.repeat(32)}`).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'server_error', kind: 'server', retryable: true, twilioCode: null, httpStatus: 502, outcomeUnknown: true });
  });

  it('a connection cut mid-request is a retryable network error of unknown outcome', async () => {
    rig.sandbox.setFaults({ resetNext: 1 });
    const err = await rig.provider.send({ to: '+15551230008', body: 'cut', statusCallback: callbackUrl('mid-8') }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ProviderError);
    expect(err).toMatchObject({ code: 'network', kind: 'network', retryable: true, outcomeUnknown: true });
  });

  it('an answer lost after the message was created is a network error of unknown outcome, and the message exists', async () => {
    rig.sandbox.setFaults({ resetAfterNext: 1 });
    const before = rig.sandbox.sends().length;
    const err = await rig.provider.send({ to: '+15551230018', body: 'lost answer', statusCallback: callbackUrl('mid-18') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'network', retryable: true, outcomeUnknown: true });
    expect(rig.sandbox.sends().length).toBe(before + 1);
    const found = await rig.provider.findSent({ to: '+15551230018', body: 'lost answer', since: new Date(Date.now() - 60_000) });
    expect(found?.sid).toMatch(/^SM/);
  });

  it('a 502 after the message was created is a server error of unknown outcome, and the message exists', async () => {
    rig.sandbox.failAfterNext(1, 502);
    const before = rig.sandbox.sends().length;
    const err = await rig.provider.send({ to: '+15551230019', body: 'bad gateway', statusCallback: callbackUrl('mid-19') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'server_error', retryable: true, httpStatus: 502, twilioCode: 20500, outcomeUnknown: true });
    expect(rig.sandbox.sends().length).toBe(before + 1);
    expect((await rig.provider.findSent({ to: '+15551230019', body: 'bad gateway', since: new Date(Date.now() - 60_000) }))?.sid).toBe(rig.sandbox.sends().at(-1)!.sid);
  });

  it('a send slower than the timeout is a timeout of unknown outcome, and the sandbox still carries it out', async () => {
    rig.sandbox.setFaults({ latencyMs: TIMEOUT_MS + 300 });
    const err = await rig.provider.send({ to: '+15551230020', body: 'slow', statusCallback: callbackUrl('mid-20') }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'timeout', outcomeUnknown: true });
    await rig.receiver.waitFor(() => statuses('mid-20').includes('delivered'));
    expect(rig.sandbox.sends({ to: '+15551230020' })).toHaveLength(1);
  });

  it('a refused connection is a retryable network error that certainly sent nothing', async () => {
    const closed = createTwilioProvider({ accountSid: rig.sandbox.accountSid, authToken: 'x', baseUrl: 'http://127.0.0.1:1', from: '+15005550006', timeoutMs: 1_000 });
    const err = await closed.fetch(`SM${'0'.repeat(32)}`).catch((e: unknown) => e);
    closed.close();
    expect(err).toMatchObject({ code: 'network', kind: 'network', retryable: true, outcomeUnknown: false });
  });

  it('wrong credentials → auth_failed (401 / 20003)', async () => {
    const wrong = createTwilioProvider({ accountSid: rig.sandbox.accountSid, authToken: 'wrong', baseUrl: rig.sandbox.url, from: '+15005550006' });
    const err = await wrong.send({ to: '+15551230009', body: 'x', statusCallback: callbackUrl('x') }).catch((e: unknown) => e);
    wrong.close();
    expect(err).toMatchObject({ code: 'auth_failed', kind: 'auth', retryable: false, twilioCode: 20003, httpStatus: 401 });
  });

  it('reports every call to onCall with its latency and outcome', async () => {
    rig.calls.length = 0;
    rig.sandbox.setFaults({ latencyMs: 30 });
    const sent = await rig.provider.send({ to: '+15551230010', body: 'timed', statusCallback: callbackUrl('mid-10') });
    await rig.provider.fetch(sent.sid);
    await rig.provider.fetch(`SM${'0'.repeat(32)}`).catch(() => undefined);
    expect(rig.calls.map((c) => [c.op, c.ok, c.errorCode, c.twilioCode, c.httpStatus])).toEqual([
      ['send', true, null, null, null],
      ['fetch', true, null, null, null],
      ['fetch', false, 'not_found', 20404, 404],
    ]);
    for (const c of rig.calls) expect(c.ms).toBeGreaterThanOrEqual(25);
  });

  it('verify starts are recorded per number', async () => {
    await rig.provider.start('+15551230011');
    await rig.provider.start('+15551230011');
    expect(rig.sandbox.verifyStarts({ to: '+15551230011' })).toHaveLength(2);
  });
});
