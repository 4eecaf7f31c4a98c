import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '@hub/contracts';
import { createMetricsRegistry } from '@hub/runtime';
import { createTwilioAccount, type ProviderAccount, type SenderRef } from '@hub/sms-provider';
import { createTwilioSandbox } from '@hub/twilio-sandbox';
import { buildGateway, type GatewayDeps } from '@hub/gateway';
import { startHub, type TestHub } from './support/hub.ts';

// /health's account checks (issue 16 item 6): the balance and the sender, asked by a
// background monitor through the official SDK against the real sandbox; the rest of the
// verdict on the hub's real PostgreSQL and Kafka.

const FROM: SenderRef = { kind: 'phone_number', phoneNumber: '+15005550006' };
const SERVICE = `MG${'e'.repeat(32)}`;
const REFRESH_MS = 150;

let hub: TestHub;
const apps: FastifyInstance[] = [];
const accounts: ProviderAccount[] = [];
const cleanups: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  hub = await startHub();
});
afterEach(() => {
  hub.sandbox.reset();
});
afterAll(async () => {
  await Promise.allSettled(apps.map((app) => app.close()));
  for (const a of accounts) a.close();
  await Promise.allSettled(cleanups.map((c) => c()));
  await hub?.stop();
});

function accountOn(url: string, authToken = hub.sandbox.authToken): ProviderAccount {
  const account = createTwilioAccount({ accountSid: hub.sandbox.accountSid, authToken, baseUrl: url, timeoutMs: 1_000 });
  accounts.push(account);
  return account;
}

/** A gateway on the hub with the account checks (refreshed every 150 ms, no verdict cache). */
async function gatewayWith(sender: GatewayDeps['providerAccount'] extends infer P ? (P extends { sender: infer S } ? S : never) : never, account = accountOn(hub.sandbox.url), health: GatewayDeps['health'] = {}) {
  const app = await buildGateway({
    prisma: hub.prisma, bus: hub.bus, log: hub.log, clock: systemClock, metrics: createMetricsRegistry('gateway'),
    publicBaseUrl: 'http://127.0.0.1:3000', provider: hub.provider,
    providerAccount: { account, sender },
    health: { cacheMs: 0, accountRefreshMs: REFRESH_MS, ...health },
  });
  apps.push(app);
  return app;
}

async function health(app: FastifyInstance) {
  const res = await app.inject({ method: 'GET', url: '/health' });
  return { code: res.statusCode, body: res.json() };
}

const pollCheck = (app: FastifyInstance, check: 'providerBalance' | 'providerSender', field = 'status') =>
  expect.poll(async () => (await health(app)).body.checks[check][field], { timeout: 10_000, interval: 100 });

describe('/health account checks', () => {
  it('without the account checks configured, reports them unknown / not_configured (the verdict stays green)', async () => {
    const { code, body } = await health(hub.gateway);
    expect(code).toBe(200);
    expect(body.status).toBe('green');
    expect(body.checks.providerBalance).toMatchObject({ status: 'unknown', error: 'not_configured', balance: null, yellowBelow: 50, redBelow: 20 });
    expect(body.checks.providerSender).toMatchObject({ status: 'unknown', error: 'not_configured', kind: null });
  });

  it('is unknown (pending) before the first answer, then green with the balance, its currency and the gauge', async () => {
    hub.sandbox.setFaults({ latencyMs: 800 });
    const app = await gatewayWith(FROM);
    const first = await health(app);
    expect(first.code).toBe(200);
    expect(first.body.checks.providerBalance).toMatchObject({ status: 'unknown', error: 'pending', balance: null, checkedAt: null });
    expect(first.body.checks.providerSender).toMatchObject({ status: 'unknown', error: 'pending', kind: 'phone_number' });
    hub.sandbox.setFaults({ latencyMs: 0 });
    await pollCheck(app, 'providerBalance').toBe('green');
    const { code, body } = await health(app);
    expect(code).toBe(200);
    expect(body.status).toBe('green');
    expect(body.checks.providerBalance).toMatchObject({ status: 'green', balance: 100, currency: 'USD', answeredAt: expect.any(String) });
    expect(body.checks.providerSender).toMatchObject({ status: 'green', kind: 'phone_number', exists: true });
    const metrics = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(metrics).toMatch(/hub_provider_balance\{channel="sms",currency="USD",service="gateway"\} 100/);
    expect(metrics).toMatch(/hub_provider_request_duration_seconds_count\{service="gateway",op="health_balance",outcome="ok"\} [1-9]/);
  });

  it('turns yellow, then red (503), as the balance drops below the thresholds; and back', async () => {
    const app = await gatewayWith(FROM);
    await pollCheck(app, 'providerBalance').toBe('green');
    hub.sandbox.setBalance('35.20');
    await pollCheck(app, 'providerBalance').toBe('yellow');
    const yellow = await health(app);
    expect(yellow.code).toBe(200);
    expect(yellow.body).toMatchObject({ status: 'yellow', checks: { providerBalance: { status: 'yellow', balance: 35.2, currency: 'USD' } } });
    hub.sandbox.setBalance(12.5);
    await pollCheck(app, 'providerBalance').toBe('red');
    const red = await health(app);
    expect(red.code).toBe(503);
    expect(red.body).toMatchObject({ status: 'red', checks: { providerBalance: { status: 'red', balance: 12.5 }, provider: { status: 'green' } } });
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/hub_provider_balance\{channel="sms",currency="USD",service="gateway"\} 12.5/);
    hub.sandbox.setBalance(80);
    await pollCheck(app, 'providerBalance').toBe('green');
  });

  it('grades with the configured thresholds, in the account currency', async () => {
    hub.sandbox.setBalance(150, 'EUR');
    const app = await gatewayWith(FROM, accountOn(hub.sandbox.url), { balanceYellow: 200, balanceRed: 100 });
    await pollCheck(app, 'providerBalance').toBe('yellow');
    expect((await health(app)).body.checks.providerBalance).toMatchObject({ balance: 150, currency: 'EUR', yellowBelow: 200, redBelow: 100 });
  });

  it('is red (503) with a clear reason when the From number or the Messaging Service does not exist', async () => {
    const number = await gatewayWith({ kind: 'phone_number', phoneNumber: '+15005550007' });
    await pollCheck(number, 'providerSender').toBe('red');
    const a = await health(number);
    expect(a.code).toBe(503);
    expect(a.body.checks.providerSender).toMatchObject({ status: 'red', kind: 'phone_number', exists: false, error: 'from_number_not_found' });
    expect(a.body.checks.providerBalance.status).toBe('green');

    hub.sandbox.setMessagingServices([SERVICE]);
    const missing = await gatewayWith({ kind: 'messaging_service', sid: `MG${'f'.repeat(32)}` });
    const known = await gatewayWith({ kind: 'messaging_service', sid: SERVICE });
    await pollCheck(missing, 'providerSender').toBe('red');
    const b = await health(missing);
    expect(b.code).toBe(503);
    expect(b.body.checks.providerSender).toMatchObject({ status: 'red', kind: 'messaging_service', exists: false, error: 'messaging_service_not_found' });
    await pollCheck(known, 'providerSender').toBe('green');
    expect((await health(known)).body.checks.providerSender).toMatchObject({ kind: 'messaging_service', exists: true });
    // The sender is looked up as the official SDK asks: IncomingPhoneNumbers filtered by number, Messaging v1 Services/{sid}.
    const paths = hub.sandbox.requests().map((r) => r.path);
    expect(paths).toContain(`/2010-04-01/Accounts/${hub.sandbox.accountSid}/IncomingPhoneNumbers.json`);
    expect(paths).toContain(`/v1/Services/${SERVICE}`);
  });

  it('is red with auth_failed when Twilio refuses the credentials (20003), distinct from a low balance', async () => {
    const rotated = await gatewayWith(FROM, accountOn(hub.sandbox.url, 'rotated-token'));
    await pollCheck(rotated, 'providerBalance').toBe('red');
    await pollCheck(rotated, 'providerSender').toBe('red');
    const { code, body } = await health(rotated);
    expect(code).toBe(503);
    expect(body.checks.providerBalance).toMatchObject({ status: 'red', error: 'auth_failed', balance: null, answeredAt: null });
    expect(body.checks.providerSender).toMatchObject({ status: 'red', error: 'auth_failed', exists: null });

    // A 401 / 20003 on the Balance call alone, after a good answer: red auth_failed, the last balance still shown.
    const app = await gatewayWith(FROM);
    await pollCheck(app, 'providerBalance').toBe('green');
    hub.sandbox.failNext(1_000, 401, { code: 20003, pathEndsWith: '/Balance.json' });
    await pollCheck(app, 'providerBalance', 'error').toBe('auth_failed');
    expect((await health(app)).body.checks.providerBalance).toMatchObject({ status: 'red', balance: 100 });
    expect((await health(app)).body.checks.providerSender.status).toBe('green');
    hub.sandbox.setFaults({ failNext: null });
    await pollCheck(app, 'providerBalance').toBe('green');
  });

  it('reports unknown with the failure (not red, not low) while Twilio is unreachable, and keeps serving', async () => {
    // Never reachable: unknown from the start, the verdict not red.
    const nowhere = await gatewayWith(FROM, accountOn('http://127.0.0.1:1'));
    await pollCheck(nowhere, 'providerBalance', 'error').toBe('provider_network');
    const a = await health(nowhere);
    expect(a.code).toBe(200);
    expect(a.body.status).toBe('green');
    expect(a.body.checks.providerBalance).toMatchObject({ status: 'unknown', balance: null, checkedAt: expect.any(String), answeredAt: null });
    expect(a.body.checks.providerSender).toMatchObject({ status: 'unknown', error: 'provider_network' });

    // A provider that goes away after answering: a sandbox of its own, closed mid-test.
    const own = createTwilioSandbox({ accountSid: hub.sandbox.accountSid, authToken: hub.sandbox.authToken, balance: { balance: 30 } });
    await own.start();
    cleanups.push(() => own.close());
    const app = await gatewayWith(FROM, accountOn(own.url));
    await pollCheck(app, 'providerBalance').toBe('yellow');
    await own.close();
    await pollCheck(app, 'providerBalance').toBe('unknown');
    const b = await health(app);
    expect(b.code).toBe(200);
    expect(b.body.checks.providerBalance).toMatchObject({ status: 'unknown', error: 'provider_network', balance: 30, currency: 'USD' });
    expect(b.body.checks.providerSender).toMatchObject({ status: 'unknown', error: 'provider_network', exists: true });
    // Codes only: no host, port or driver text in the unauthenticated body.
    expect(JSON.stringify(b.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1/);
  });

  it('documents the two checks in the OpenAPI /health schema', async () => {
    const spec = (await hub.gateway.inject({ method: 'GET', url: '/docs/json' })).json();
    const schema = spec.paths['/health'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(schema.properties.checks.properties)).toEqual(expect.arrayContaining(['providerBalance', 'providerSender']));
    expect(schema.properties.checks.properties.providerBalance.properties).toHaveProperty('currency');
    expect(schema.properties.checks.properties.providerSender.properties.error.enum).toEqual(expect.arrayContaining(['from_number_not_found', 'messaging_service_not_found', 'auth_failed', 'pending']));
  });
});
