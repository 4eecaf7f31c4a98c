import { afterEach, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { systemClock } from '@hub/contracts';
import { ProviderError, type AccountBalance, type ProviderAccount, type SenderLookup, type SenderRef } from '@hub/sms-provider';
import { accountFailure, balanceLight, senderLight } from '../src/health/account.ts';
import { AccountMonitor } from '../src/health/account-monitor.ts';
import { DEFAULT_HEALTH_THRESHOLDS as T } from '../src/health/verdict.ts';
import { loadGatewayConfig } from '../src/config.ts';

describe('account balance (runbook: normal > $50, alert < $20)', () => {
  it.each([
    [500, 'green'], [50, 'green'], [49.99, 'yellow'], [20, 'yellow'], [19.99, 'red'], [0, 'red'], [-5, 'red'],
  ] as const)('%d is %s with the defaults', (balance, light) => {
    expect(balanceLight(balance, T)).toBe(light);
  });

  it('uses the configured thresholds', () => {
    expect(balanceLight(150, { balanceYellow: 200, balanceRed: 100 })).toBe('yellow');
    expect(balanceLight(99, { balanceYellow: 200, balanceRed: 100 })).toBe('red');
  });
});

describe('sender', () => {
  const number: SenderRef = { kind: 'phone_number', phoneNumber: '+15005550006' };
  const service: SenderRef = { kind: 'messaging_service', sid: `MG${'0'.repeat(32)}` };
  it('is green when it exists, red with a reason naming what is missing', () => {
    expect(senderLight(number, { exists: true, smsCapable: true })).toEqual({ status: 'green' });
    expect(senderLight(service, { exists: true, smsCapable: null })).toEqual({ status: 'green' });
    expect(senderLight(number, { exists: false, smsCapable: null })).toEqual({ status: 'red', error: 'from_number_not_found' });
    expect(senderLight(service, { exists: false, smsCapable: null })).toEqual({ status: 'red', error: 'messaging_service_not_found' });
    expect(senderLight(number, { exists: true, smsCapable: false })).toEqual({ status: 'red', error: 'from_number_not_sms_capable' });
  });
});

describe('a failed account call', () => {
  it('is red only for bad credentials; otherwise unknown with its own code', () => {
    expect(accountFailure(new ProviderError({ code: 'auth_failed', message: 'Authenticate', twilioCode: 20003, httpStatus: 401 }), false)).toEqual({ status: 'red', code: 'auth_failed' });
    expect(accountFailure(new ProviderError({ code: 'network', message: 'ECONNREFUSED' }), false)).toEqual({ status: 'unknown', code: 'provider_network' });
    expect(accountFailure(new ProviderError({ code: 'server_error', message: '503', httpStatus: 503 }), false)).toEqual({ status: 'unknown', code: 'provider_server_error' });
    expect(accountFailure(new Error('no answer'), true)).toEqual({ status: 'unknown', code: 'timeout' });
    expect(accountFailure(new Error('what'), false)).toEqual({ status: 'unknown', code: 'unreachable' });
  });
});

/** An in-memory account: answers what the test sets, or fails with it. */
class ScriptedAccount implements ProviderAccount {
  balanceAnswer: AccountBalance | Error = { balance: 100, currency: 'USD' };
  senderAnswer: SenderLookup | Error = { exists: true, smsCapable: true };
  calls = 0;
  async balance(): Promise<AccountBalance> {
    this.calls++;
    if (this.balanceAnswer instanceof Error) throw this.balanceAnswer;
    return this.balanceAnswer;
  }
  async sender(): Promise<SenderLookup> {
    if (this.senderAnswer instanceof Error) throw this.senderAnswer;
    return this.senderAnswer;
  }
  close(): void {}
}

describe('AccountMonitor', () => {
  const monitors: AccountMonitor[] = [];
  afterEach(async () => {
    await Promise.all(monitors.map((m) => m.close()));
  });
  const make = (account: ProviderAccount, registry = new Registry(), sender: ConstructorParameters<typeof AccountMonitor>[0]['sender'] = { kind: 'phone_number', phoneNumber: '+15005550006' }) => {
    const m = new AccountMonitor({ account, sender, clock: systemClock, registry, thresholds: { ...T, accountRefreshMs: 3_600_000 } });
    monitors.push(m);
    return m;
  };

  it('is unknown (pending) until the first answer, then grades it and exports the gauge', async () => {
    const account = new ScriptedAccount();
    const registry = new Registry();
    const m = make(account, registry);
    expect(m.balance()).toMatchObject({ status: 'unknown', error: 'pending', balance: null, checkedAt: null });
    expect(m.sender()).toMatchObject({ status: 'unknown', error: 'pending', kind: 'phone_number' });
    account.balanceAnswer = { balance: 35, currency: 'USD' };
    await m.refresh();
    expect(m.balance()).toMatchObject({ status: 'yellow', balance: 35, currency: 'USD', yellowBelow: 50, redBelow: 20 });
    expect(m.balance().error).toBeUndefined();
    expect(m.sender()).toMatchObject({ status: 'green', exists: true });
    expect(await registry.metrics()).toMatch(/hub_provider_balance\{channel="sms",currency="USD"\} 35/);
  });

  it('keeps the last balance but reports unknown with the failure when the provider cannot be asked; red on auth', async () => {
    const account = new ScriptedAccount();
    const registry = new Registry();
    const m = make(account, registry);
    account.balanceAnswer = { balance: 10, currency: 'EUR' };
    await m.refresh();
    expect(m.balance().status).toBe('red');
    const answeredAt = m.balance().answeredAt;
    account.balanceAnswer = new ProviderError({ code: 'network', message: 'ECONNREFUSED' });
    account.senderAnswer = new ProviderError({ code: 'network', message: 'ECONNREFUSED' });
    await m.refresh();
    expect(m.balance()).toMatchObject({ status: 'unknown', error: 'provider_network', balance: 10, currency: 'EUR', answeredAt });
    expect(m.sender()).toMatchObject({ status: 'unknown', error: 'provider_network', exists: true });
    account.balanceAnswer = new ProviderError({ code: 'auth_failed', message: 'Authenticate', twilioCode: 20003 });
    account.senderAnswer = new ProviderError({ code: 'auth_failed', message: 'Authenticate', twilioCode: 20003 });
    await m.refresh();
    expect(m.balance()).toMatchObject({ status: 'red', error: 'auth_failed' });
    expect(m.sender()).toMatchObject({ status: 'red', error: 'auth_failed' });
    // A new currency replaces the old series.
    account.balanceAnswer = { balance: 80, currency: 'USD' };
    await m.refresh();
    const text = await registry.metrics();
    expect(text).toMatch(/currency="USD"\} 80/);
    expect(text).not.toMatch(/currency="EUR"/);
  });

  it('does not look up a sender it cannot check, nor one not configured', async () => {
    expect(make(new ScriptedAccount(), new Registry(), { kind: 'unverifiable' }).sender()).toMatchObject({ status: 'unknown', error: 'sender_not_checkable' });
    const m = make(new ScriptedAccount(), new Registry(), null);
    await m.refresh();
    expect(m.sender()).toMatchObject({ status: 'unknown', error: 'not_configured', kind: null });
    expect(m.balance().status).toBe('green');
  });

  it('refreshes in the background every accountRefreshMs once started, and stops on close', async () => {
    const account = new ScriptedAccount();
    const m = new AccountMonitor({ account, sender: null, clock: systemClock, thresholds: { ...T, accountRefreshMs: 50 } });
    monitors.push(m);
    m.start();
    await new Promise((r) => setTimeout(r, 280));
    await m.close();
    const calls = account.calls;
    expect(calls).toBeGreaterThanOrEqual(3);
    await new Promise((r) => setTimeout(r, 150));
    expect(account.calls).toBe(calls);
  });
});

describe('HEALTH_BALANCE_* and HEALTH_ACCOUNT_REFRESH_MS', () => {
  it('default to the runbook (yellow below 50, red below 20) and a minute', () => {
    expect(loadGatewayConfig({})).toMatchObject({ HEALTH_BALANCE_YELLOW: 50, HEALTH_BALANCE_RED: 20, HEALTH_ACCOUNT_REFRESH_MS: 60_000 });
    expect(loadGatewayConfig({ HEALTH_BALANCE_YELLOW: '500', HEALTH_BALANCE_RED: '100' })).toMatchObject({ HEALTH_BALANCE_YELLOW: 500, HEALTH_BALANCE_RED: 100 });
  });

  it.each([
    [{ HEALTH_BALANCE_YELLOW: '10' }, 'HEALTH_BALANCE_RED'],
    [{ HEALTH_BALANCE_RED: 'low' }, 'HEALTH_BALANCE_RED'],
    [{ HEALTH_ACCOUNT_REFRESH_MS: '10' }, 'HEALTH_ACCOUNT_REFRESH_MS'],
  ])('refuses %j, naming %s', (env, variable) => {
    expect(() => loadGatewayConfig(env)).toThrow(variable);
  });
});
