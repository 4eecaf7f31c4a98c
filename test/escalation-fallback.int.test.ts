import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser, uniqueEmail } from './support/seed.ts';
import { spawnService, type ServiceProcess } from './support/processes.ts';

// Issue 13: fallback per event type on the real broker and database — the next channel of
// the policy on each cause (no address, unverified, opted out, undeliverable, a permanent
// failure reported by the adapter), no fallback on a preference, each step in the routing
// timeline and the metrics; and a kill -9 of the router mid-escalation sending once.

let hub: TestHub;
let apiKey: string;
const children: ServiceProcess[] = [];

beforeAll(async () => {
  hub = await startHub();
  apiKey = await hub.apiKey(['events:write', 'admin:read', 'admin:write']);
});
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') for (const c of children) console.error(`--- ${c.name} output:\n${c.output().slice(-3000)}`);
  await Promise.allSettled(children.splice(0).map((c) => c.kill()));
});
afterAll(async () => {
  await hub?.stop();
});

const admin = (method: 'GET' | 'PUT' | 'POST' | 'DELETE', url: string, payload?: object) =>
  hub.gateway.inject({ method, url, headers: { authorization: `Bearer ${apiKey}` }, ...(payload ? { payload } : {}) });

async function policy(eventType: string, fallback: string[], escalation: object[] = []) {
  const res = await admin('PUT', `/v1/routing-policies/${eventType}`, { fallback, escalation });
  expect(res.statusCode, res.body).toBe(200);
}

async function post(id: string, type: string, targetUserId: string, priority = 'normal', on = hub) {
  const res = await on.gateway.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${apiKey}` }, payload: { id, type, targetUserId, priority, payload: { task_name: id, due_time: 'soon', message: `about ${id}` } } });
  expect(res.statusCode).toBe(202);
}

const deliveries = async (eventId: string) =>
  Object.fromEntries((await hub.prisma.notificationDelivery.findMany({ where: { eventId } })).map((d) => [d.channel, `${d.status}${d.skipReason ? `/${d.skipReason}` : ''}${d.lastErrorCode ? `/${d.lastErrorCode}` : ''}`]));

async function settled(eventId: string, want: Record<string, string>) {
  let last: Record<string, string> = {};
  return waitFor(async () => {
    last = await deliveries(eventId);
    return Object.keys(last).length === Object.keys(want).length && Object.entries(want).every(([c, s]) => last[c] === s) ? last : null;
  }, { timeoutMs: 30_000, what: `${eventId} deliveries ${JSON.stringify(want)}` }).catch((err: Error) => {
    throw new Error(`${err.message}; last seen ${JSON.stringify(last)}`);
  });
}

async function timeline(eventId: string, externalId: string) {
  const res = await admin('GET', `/v1/events/${eventId}/routing/${externalId}`);
  expect(res.statusCode).toBe(200);
  return (res.json() as { steps: { kind: string; channel: string | null; fromChannel: string | null; reason: string | null }[] }).steps;
}

async function metric(name: string, labels: Record<string, string>): Promise<number> {
  const m = (await hub.routerMetrics.getSingleMetricAsString(name)).split('\n');
  const sel = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  const line = m.find((l) => l.startsWith(`${name}{`) && sel.every((s) => l.includes(s)));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('fallback', () => {
  it('with no policy every subscribed channel is sent at once (today\'s behaviour)', async () => {
    await seedUser(hub.prisma, { externalId: 'fb-none', email: uniqueEmail(), channels: ['sms', 'email', 'inapp'], subscriptions: ['fb.none'] });
    await post('fb-none-1', 'fb.none', 'fb-none');
    await settled('fb-none-1', { sms: 'delivered', email: 'delivered', inapp: 'delivered' });
  });

  it('skips channels the user cannot be reached on, in order, and records why (no address, unverified)', async () => {
    await policy('fb.unavail', ['email', 'sms', 'inapp']);
    await seedUser(hub.prisma, { externalId: 'fb-unavail', verified: false, channels: ['sms', 'email', 'inapp'], subscriptions: ['fb.unavail'] });
    await post('fb-unavail-1', 'fb.unavail', 'fb-unavail');
    await settled('fb-unavail-1', { email: 'skipped/no_email', sms: 'skipped/unverified', inapp: 'delivered' });
    const steps = await timeline('fb-unavail-1', 'fb-unavail');
    expect(steps.map((s) => `${s.kind}:${s.channel}`)).toEqual(['unavailable:email', 'unavailable:sms', 'fallback:inapp']);
    expect(steps[2]!.reason).toBe('sms: unverified');
    expect(await metric('hub_routing_fallbacks_total', { from: 'email', to: 'sms', reason: 'no_email' })).toBeGreaterThanOrEqual(1);
    expect(await metric('hub_routing_fallbacks_total', { from: 'sms', to: 'inapp', reason: 'unverified' })).toBeGreaterThanOrEqual(1);
  });

  it('falls back when the user opted out of the channel, or the address is undeliverable; only the subscribed channels are used', async () => {
    await policy('fb.opt', ['sms', 'email', 'inapp']);
    await seedUser(hub.prisma, { externalId: 'fb-opt', optedOut: true, email: uniqueEmail(), channels: ['sms', 'email'], subscriptions: ['fb.opt'] });
    await post('fb-opt-1', 'fb.opt', 'fb-opt');
    await settled('fb-opt-1', { sms: 'skipped/opted_out', email: 'delivered' });

    await policy('fb.undeliv', ['email', 'sms']);
    const userId = await seedUser(hub.prisma, { externalId: 'fb-undeliv', email: uniqueEmail(), channels: ['email', 'sms'], subscriptions: ['fb.undeliv'] });
    await hub.prisma.userEmailPreferences.update({ where: { userId }, data: { undeliverable: true, undeliverableAt: new Date(), undeliverableReason: 'hard bounce' } });
    await post('fb-undeliv-1', 'fb.undeliv', 'fb-undeliv');
    await settled('fb-undeliv-1', { email: 'skipped/undeliverable', sms: 'delivered' });
  });

  it('falls back to the next channel when a delivery fails permanently (the email relay refuses the recipient), once', async () => {
    await policy('fb.fail', ['email', 'sms']);
    await seedUser(hub.prisma, { externalId: 'fb-fail', email: uniqueEmail('reject'), channels: ['email', 'sms'], subscriptions: ['fb.fail'] });
    await post('fb-fail-1', 'fb.fail', 'fb-fail');
    await settled('fb-fail-1', { email: 'failed/recipient_rejected', sms: 'delivered' });
    const steps = await timeline('fb-fail-1', 'fb-fail');
    expect(steps.map((s) => `${s.kind}:${s.channel}`)).toEqual(['routed:email', 'fallback:sms']);
    expect(steps[1]!.reason).toBe('email: recipient_rejected');
    expect(await metric('hub_routing_fallbacks_total', { from: 'email', to: 'sms', reason: 'recipient_rejected' })).toBe(1);
    const jobs = await hub.prisma.scheduledJob.findMany({ where: { kind: 'routing_fallback', dedupeKey: { startsWith: 'fallback:' } } });
    expect(jobs.filter((j) => (j.payload as { eventId: string }).eventId === 'fb-fail-1')).toHaveLength(1);
  });

  it('does not fall back when the user turned the channel off for the event type (a preference is a choice, not a failure)', async () => {
    await policy('fb.pref', ['email', 'sms']);
    const userId = await seedUser(hub.prisma, { externalId: 'fb-pref', email: uniqueEmail(), channels: ['email', 'sms'], subscriptions: ['fb.pref'] });
    await hub.prisma.notificationPreference.create({ data: { userId, channel: 'email', eventType: 'fb.pref', enabled: false, source: 'api' } });
    await post('fb-pref-1', 'fb.pref', 'fb-pref');
    await settled('fb-pref-1', { email: 'skipped/preference_off' });
    // A later event of the user passes through the same partition: by then a fallback would exist.
    await post('fb-pref-2', 'fb.none', 'fb-pref');
    await new Promise((r) => setTimeout(r, 500));
    expect(await deliveries('fb-pref-1')).toEqual({ email: 'skipped/preference_off' });
  });

  it('validates policies: known channels once each, escalation only after in-app, increasing delays', async () => {
    for (const body of [
      { fallback: ['email', 'email'] },
      { fallback: ['pager'] },
      { fallback: [] },
      { fallback: ['email', 'inapp'], escalation: [{ channel: 'sms', afterSeconds: 60 }] },
      { fallback: ['inapp', 'email'], escalation: [{ channel: 'email', afterSeconds: 60 }, { channel: 'sms', afterSeconds: 30 }] },
    ]) {
      const res = await admin('PUT', '/v1/routing-policies/fb.bad', body);
      expect(res.statusCode, JSON.stringify(body)).toBe(400);
    }
    await policy('fb.good', ['inapp', 'email', 'sms'], [{ channel: 'email', afterSeconds: 60 }, { channel: 'sms', afterSeconds: 120, urgentOnly: true }]);
    const got = await admin('GET', '/v1/routing-policies/fb.good');
    expect(got.json()).toMatchObject({ eventType: 'fb.good', fallback: ['inapp', 'email', 'sms'], escalation: [{ channel: 'email', afterSeconds: 60, urgentOnly: false }, { channel: 'sms', afterSeconds: 120, urgentOnly: true }] });
    expect((await admin('DELETE', '/v1/routing-policies/fb.good')).statusCode).toBe(204);
    expect((await admin('GET', '/v1/routing-policies/fb.good')).statusCode).toBe(404);
  });
});

describe('escalation through a crash', { timeout: 90_000 }, () => {
  it('router killed -9 after creating the escalated email delivery and before publishing it: the restarted router sends it, exactly once', async () => {
    const crashHub = await startHub({ external: ['router'] });
    try {
      const key = await crashHub.apiKey(['events:write', 'admin:write', 'admin:read']);
      const put = await crashHub.gateway.inject({ method: 'PUT', url: '/v1/routing-policies/esc.crash', headers: { authorization: `Bearer ${key}` }, payload: { fallback: ['inapp', 'email'], escalation: [{ channel: 'email', afterSeconds: 1 }] } });
      expect(put.statusCode).toBe(200);
      const email = uniqueEmail();
      await seedUser(crashHub.prisma, { externalId: 'esc-crash', email, channels: ['inapp', 'email'], subscriptions: ['esc.crash'] });
      const crashing = spawnService('router', crashHub.envFor('router', { HUB_FAILPOINTS: 'router.after_escalation' }));
      children.push(crashing);
      const res = await crashHub.gateway.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${key}` }, payload: { id: 'esc-crash-1', type: 'esc.crash', targetUserId: 'esc-crash', payload: { message: 'hello' } } });
      expect(res.statusCode).toBe(202);
      const exit = await Promise.race([crashing.exited, new Promise<null>((r) => setTimeout(() => r(null), 45_000))]);
      expect(exit, crashing.output()).toMatchObject({ signal: 'SIGKILL' });
      const pending = await crashHub.prisma.notificationDelivery.findFirst({ where: { eventId: 'esc-crash-1', channel: 'email' } });
      expect(pending?.status).toBe('pending');
      children.push(spawnService('router', crashHub.envFor('router')));
      await waitFor(async () => (await crashHub.prisma.notificationDelivery.findFirst({ where: { eventId: 'esc-crash-1', channel: 'email', status: 'delivered' } })), { timeoutMs: 45_000, what: 'escalated email delivered' });
      await new Promise((r) => setTimeout(r, 500));
      expect(crashHub.emailSandbox.messages().filter((m) => m.envelopeTo.includes(email))).toHaveLength(1);
      const steps = await crashHub.prisma.$queryRaw<{ kind: string }[]>`SELECT kind FROM routing_steps WHERE event_id = 'esc-crash-1' ORDER BY id`;
      expect(steps.map((s) => s.kind)).toEqual(['routed', 'escalation_scheduled', 'escalated']);
    } finally {
      await Promise.allSettled(children.splice(0).map((c) => c.kill()));
      await crashHub.stop();
    }
  });
});
