import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { systemClock } from '@hub/contracts';
import { createMetricsRegistry } from '@hub/runtime';
import { waitFor } from '@hub/testkit';
import { buildGateway } from '@hub/gateway';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser, uniqueEmail, uniquePhone } from './support/seed.ts';
import { postReminder } from './support/events.ts';

/**
 * Issue 16 item 5: a provider-wide failure (here a credential outage: every create answered
 * 401 / 20003, as after a bad auth-token rotation) pauses the SMS channel instead of failing
 * the backlog. Held deliveries are neither failed nor rescheduled, only probes reach the
 * provider, the pause is recorded for /health (channel_pauses) and in the metrics, and when
 * the credentials work again every held delivery goes out exactly once, on its first attempt.
 * A message-specific refusal (an invalid number) still fails its delivery alone. The email
 * channel does the same when its relay refuses every transaction (421 or 530 at MAIL FROM).
 */

let hub: TestHub;
let apiKey: string;
/** A gateway of this hub with an uncached /health. */
let gateway: FastifyInstance;

beforeAll(async () => {
  hub = await startHub({ smsPause: { initialMs: 200, maxMs: 1_000 } });
  apiKey = await hub.apiKey(['events:write']);
  gateway = await buildGateway({
    prisma: hub.prisma, bus: hub.bus, log: hub.log, clock: systemClock, metrics: createMetricsRegistry('gateway'),
    publicBaseUrl: 'http://127.0.0.1:3000', provider: hub.provider, health: { cacheMs: 0 },
  });
});
afterAll(async () => {
  await gateway?.close();
  await hub?.stop();
});

async function health() {
  const res = await gateway.inject({ method: 'GET', url: '/health' });
  return { code: res.statusCode, body: res.json() as { status: string; checks: { channels: { status: string; paused: { channel: string; code: string; heldRequests: number; instances: number }[] } } } };
}

const metric = async (name: string, channel = 'sms') => {
  const registry = channel === 'sms' ? hub.smsAdapterMetrics : hub.emailAdapterMetrics;
  const m = await registry.getSingleMetric(name)?.get();
  return m?.values.find((v) => v.labels.channel === channel)?.value ?? 0;
};

describe('a credential outage at the provider', () => {
  it('holds every SMS (none failed, only probes sent), reports the pause, then delivers each once on its first attempt', async () => {
    const users = Array.from({ length: 6 }, (_, i) => ({ id: `outage-${i}`, phone: uniquePhone() }));
    for (const u of users) await seedUser(hub.prisma, { externalId: u.id, phone: u.phone });
    hub.sandbox.setFaults({ failNext: { count: 100_000, status: 401, code: 20003, method: 'POST' } });
    const before = hub.sandbox.requests({ creates: true }).length;
    for (const u of users) await postReminder(hub, apiKey, `${u.id}-e`, u.id);

    const pause = await waitFor(async () => (await hub.prisma.channelPause.findFirst({ where: { channel: 'sms' } })), { what: 'the sms channel paused' });
    expect(pause).toMatchObject({ code: 'auth_failed' });
    expect(pause.reason).toContain('20003');
    expect(await metric('hub_channel_paused')).toBe(1);
    // Hold for a few probe rounds (200 ms doubling to 1 s).
    await new Promise((r) => setTimeout(r, 3_000));
    const deliveries = await hub.prisma.notificationDelivery.findMany({ where: { eventId: { in: users.map((u) => `${u.id}-e`) } } });
    expect(deliveries).toHaveLength(users.length);
    expect(deliveries.map((d) => d.status).filter((s) => s !== 'pending')).toEqual([]);
    expect(await hub.prisma.scheduledJob.count({ where: { refId: { in: deliveries.map((d) => d.id) }, kind: 'sms_retry' } })).toBe(0);
    // Only probes reached the provider: far fewer than one call per held message per round.
    const refused = hub.sandbox.requests({ creates: true }).length - before;
    expect(refused).toBeGreaterThanOrEqual(2);
    expect(refused).toBeLessThanOrEqual(users.length + 8);
    expect(await metric('hub_channel_held_requests')).toBeGreaterThan(0);
    // /health: red, the channel and its closed code (never the provider's text: /health is public).
    const during = await health();
    expect(during.code).toBe(503);
    expect(during.body.checks.channels.status).toBe('red');
    expect(during.body.checks.channels.paused).toEqual([expect.objectContaining({ channel: 'sms', code: 'auth_failed', instances: 1 })]);
    expect(JSON.stringify(during.body)).not.toContain('Authenticate');

    // The credentials work again.
    hub.sandbox.setFaults({ failNext: null });
    const done = await waitFor(async () => {
      const rows = await hub.prisma.notificationDelivery.findMany({ where: { eventId: { in: users.map((u) => `${u.id}-e`) } }, include: { smsMessages: true } });
      return rows.every((d) => d.status === 'delivered') ? rows : null;
    }, { timeoutMs: 30_000, what: 'every held delivery delivered' });
    await hub.sandbox.drain();
    for (const u of users) expect(hub.sandbox.sends({ to: u.phone }), u.id).toHaveLength(1);
    for (const d of done) expect(d.smsMessages.map((m) => m.attemptCount)).toEqual([1]);
    await waitFor(async () => ((await hub.prisma.channelPause.count({ where: { channel: 'sms' } })) === 0 ? true : null), { what: 'the pause record removed' });
    expect(await metric('hub_channel_paused')).toBe(0);
    expect(await metric('hub_channel_held_requests')).toBe(0);
    expect((await health()).body.checks.channels).toEqual({ status: 'green', paused: [] });
  });

  it('/health leaves out the pause of an instance that died while paused (its next probe long overdue)', async () => {
    const overdue = new Date(Date.now() - 11 * 60_000);
    await hub.prisma.channelPause.create({ data: { channel: 'sms', instance: 'dead:1', code: 'auth_failed', reason: 'x', pausedSince: overdue, nextProbeAt: overdue, failures: 3 } });
    expect((await health()).body.checks.channels).toEqual({ status: 'green', paused: [] });
    await hub.prisma.channelPause.update({ where: { channel_instance: { channel: 'sms', instance: 'dead:1' } }, data: { nextProbeAt: new Date(Date.now() + 60_000) } });
    expect((await health()).body.checks.channels.status).toBe('red');
    await hub.prisma.channelPause.delete({ where: { channel_instance: { channel: 'sms', instance: 'dead:1' } } });
  });

  it('a message-specific refusal (invalid number, 21211) fails that delivery alone and leaves the channel open', async () => {
    const bad = { id: 'outage-bad', phone: uniquePhone() };
    const good = { id: 'outage-good', phone: uniquePhone() };
    for (const u of [bad, good]) await seedUser(hub.prisma, { externalId: u.id, phone: u.phone });
    hub.sandbox.setFaults({ failNext: { count: 1, status: 400, code: 21211, method: 'POST' } });
    await postReminder(hub, apiKey, 'outage-bad-e', bad.id);
    const failed = await waitFor(async () => {
      const d = await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'outage-bad-e' } });
      return d?.status === 'failed' ? d : null;
    }, { what: 'the invalid-number delivery failed' });
    expect(failed.lastErrorCode).toBe('21211');
    await postReminder(hub, apiKey, 'outage-good-e', good.id);
    await waitFor(async () => ((await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'outage-good-e' } }))?.status === 'delivered' ? true : null), { what: 'the next delivery delivered' });
    expect(await hub.prisma.channelPause.count()).toBe(0);
    expect(await metric('hub_channel_paused')).toBe(0);
  });

  it.each([421, 530] as const)('email: a relay refusing every transaction (%i) pauses the channel; held emails go out once when it takes mail again', async (code) => {
    const users = Array.from({ length: 3 }, (_, i) => ({ id: `relay-${code}-${i}`, email: uniqueEmail(`relay${code}${i}`) }));
    for (const u of users) await seedUser(hub.prisma, { externalId: u.id, email: u.email, channels: ['email'] });
    hub.emailSandbox.refuseTransactions(code);
    for (const u of users) await postReminder(hub, apiKey, `${u.id}-e`, u.id);
    const pause = await waitFor(async () => (await hub.prisma.channelPause.findFirst({ where: { channel: 'email' } })), { what: 'the email channel paused' });
    expect(pause.reason).toContain(String(code));
    expect(await metric('hub_channel_paused', 'email')).toBe(1);
    await new Promise((r) => setTimeout(r, 1_500));
    const held = await hub.prisma.notificationDelivery.findMany({ where: { eventId: { in: users.map((u) => `${u.id}-e`) } } });
    expect(held.map((d) => d.status)).toEqual(users.map(() => 'pending'));
    expect(hub.emailSandbox.messages().filter((m) => users.some((u) => m.to.includes(u.email)))).toHaveLength(0);

    hub.emailSandbox.refuseTransactions(null);
    const done = await waitFor(async () => {
      const rows = await hub.prisma.notificationDelivery.findMany({ where: { eventId: { in: users.map((u) => `${u.id}-e`) } }, include: { emailMessages: true } });
      return rows.length === users.length && rows.every((d) => d.status === 'delivered' || d.status === 'sent') ? rows : null;
    }, { timeoutMs: 30_000, what: 'every held email sent' });
    for (const u of users) expect(hub.emailSandbox.messages().filter((m) => m.to.includes(u.email)), u.id).toHaveLength(1);
    for (const d of done) expect(d.emailMessages.map((m) => m.attemptCount)).toEqual([1]);
    await waitFor(async () => ((await hub.prisma.channelPause.count({ where: { channel: 'email' } })) === 0 ? true : null), { what: 'the email pause record removed' });
  });
});
