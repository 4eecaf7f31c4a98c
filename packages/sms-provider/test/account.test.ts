import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTwilioSandbox, type TwilioSandbox } from '@hub/twilio-sandbox';
import { configuredSender, createTwilioAccount, ProviderError, type ProviderAccount, type ProviderCall } from '../src/index.ts';

// The account port (balance, sender lookup) through the official SDK against the sandbox.

const SERVICE = `MG${'a'.repeat(32)}`;
const OTHER_SERVICE = `MG${'b'.repeat(32)}`;

let sandbox: TwilioSandbox;
let account: ProviderAccount;
const calls: ProviderCall[] = [];

beforeAll(async () => {
  sandbox = createTwilioSandbox({ fromNumbers: ['+14155550100'], messagingServices: [SERVICE] });
  await sandbox.start();
  account = createTwilioAccount({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, baseUrl: sandbox.url, timeoutMs: 1_000, onCall: (c) => calls.push(c) });
});
afterEach(() => {
  sandbox.reset();
  calls.length = 0;
});
afterAll(async () => {
  account?.close();
  await sandbox?.close();
});

const failure = (p: Promise<unknown>) => p.then(() => { throw new Error('expected a failure'); }, (e: unknown) => e as ProviderError);

describe('Twilio account port → sandbox', () => {
  it('reads the balance and its currency (Balance API), as the sandbox is set', async () => {
    expect(await account.balance()).toEqual({ balance: 100, currency: 'USD' });
    sandbox.setBalance('12.34', 'eur');
    expect(await account.balance()).toEqual({ balance: 12.34, currency: 'EUR' });
    sandbox.setBalance(-3.5);
    expect(await account.balance()).toEqual({ balance: -3.5, currency: 'EUR' });
    expect(sandbox.requests().map((r) => `${r.method} ${r.path}`)).toContain(`GET /2010-04-01/Accounts/${sandbox.accountSid}/Balance.json`);
    expect(calls.map((c) => [c.op, c.ok])).toEqual([['balance', true], ['balance', true], ['balance', true]]);
  });

  it('finds a From number among the IncomingPhoneNumbers, exactly (not a partial match)', async () => {
    expect(await account.sender({ kind: 'phone_number', phoneNumber: '+15005550006' })).toEqual({ exists: true, smsCapable: true });
    expect(await account.sender({ kind: 'phone_number', phoneNumber: '+14155550100' })).toEqual({ exists: true, smsCapable: true });
    // Twilio's PhoneNumber filter matches partial numbers: +1415555010 is in +14155550100, and is not a number of the account.
    expect(await account.sender({ kind: 'phone_number', phoneNumber: '+1415555010' })).toEqual({ exists: false, smsCapable: null });
    expect(await account.sender({ kind: 'phone_number', phoneNumber: '+15005550007' })).toEqual({ exists: false, smsCapable: null });
    const lookup = sandbox.requests().find((r) => r.path.endsWith('/IncomingPhoneNumbers.json'));
    expect(lookup).toMatchObject({ method: 'GET', status: 200 });
  });

  it('finds a Messaging Service (Messaging v1 Services/{sid}); a missing one is an answer, not an error', async () => {
    expect(await account.sender({ kind: 'messaging_service', sid: SERVICE })).toEqual({ exists: true, smsCapable: null });
    expect(await account.sender({ kind: 'messaging_service', sid: OTHER_SERVICE })).toEqual({ exists: false, smsCapable: null });
    expect(sandbox.requests().map((r) => [r.path, r.status])).toEqual([[`/v1/Services/${SERVICE}`, 200], [`/v1/Services/${OTHER_SERVICE}`, 404]]);
    sandbox.setMessagingServices(null);
    expect(await account.sender({ kind: 'messaging_service', sid: OTHER_SERVICE })).toEqual({ exists: true, smsCapable: null });
  });

  it('classifies failures: 20003 auth_failed, 5xx server_error, a reset network, no answer timeout', async () => {
    sandbox.failNext(2, 401, { code: 20003 });
    expect(await failure(account.balance())).toMatchObject({ code: 'auth_failed', kind: 'auth', twilioCode: 20003, httpStatus: 401 });
    expect(await failure(account.sender({ kind: 'messaging_service', sid: SERVICE }))).toMatchObject({ code: 'auth_failed', kind: 'auth' });
    sandbox.failNext(1, 503);
    expect(await failure(account.sender({ kind: 'phone_number', phoneNumber: '+15005550006' }))).toMatchObject({ code: 'server_error' });
    sandbox.setFaults({ resetNext: 1 });
    expect(await failure(account.balance())).toMatchObject({ code: 'network' });
    sandbox.setFaults({ latencyMs: 1_300 });
    expect(await failure(account.balance())).toMatchObject({ code: 'timeout' });
    expect(calls.filter((c) => !c.ok).map((c) => [c.op, c.errorCode])).toEqual([
      ['balance', 'auth_failed'], ['sender_lookup', 'auth_failed'], ['sender_lookup', 'server_error'], ['balance', 'network'], ['balance', 'timeout'],
    ]);
  });

  it('refuses wrong credentials with 20003 (the sandbox checks Basic auth on these routes too)', async () => {
    const wrong = createTwilioAccount({ accountSid: sandbox.accountSid, authToken: 'rotated', baseUrl: sandbox.url, timeoutMs: 1_000 });
    try {
      expect(await failure(wrong.balance())).toMatchObject({ code: 'auth_failed', twilioCode: 20003 });
    } finally {
      wrong.close();
    }
  });

  it('an unreachable provider is a network error (nothing listens)', async () => {
    const gone = createTwilioAccount({ accountSid: sandbox.accountSid, authToken: sandbox.authToken, baseUrl: 'http://127.0.0.1:1', timeoutMs: 1_000 });
    try {
      expect(await failure(gone.balance())).toMatchObject({ code: 'network', kind: 'network' });
    } finally {
      gone.close();
    }
  });
});

describe('configuredSender', () => {
  it('is the Messaging Service when set (the adapter sends through it), else the From number', () => {
    expect(configuredSender({ TWILIO_MESSAGING_SERVICE_SID: SERVICE, TWILIO_FROM_NUMBER: '+15005550006' })).toEqual({ kind: 'messaging_service', sid: SERVICE });
    expect(configuredSender({ TWILIO_FROM_NUMBER: ' +15005550006 ' })).toEqual({ kind: 'phone_number', phoneNumber: '+15005550006' });
    expect(configuredSender({ TWILIO_FROM_NUMBER: 'HubAlerts' })).toEqual({ kind: 'unverifiable' });
    expect(configuredSender({ TWILIO_FROM_NUMBER: '', TWILIO_MESSAGING_SERVICE_SID: ' ' })).toBeNull();
    expect(configuredSender({})).toBeNull();
  });
});
