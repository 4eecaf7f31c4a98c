import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '@hub/contracts';
import { waitFor } from '@hub/testkit';
import { signInboxToken } from '@hub/gateway';
import { startHub, TEST_INBOX_KEY, type TestHub } from './support/hub.ts';
import { seedUser, uniqueEmail } from './support/seed.ts';

// Issue 13: escalation in-app → email after T unread → SMS after T2 if urgent, under a
// controllable clock driving the router and the scheduler: read before T sends nothing more,
// unread after T sends the next channel once, reading cancels what is left.

const clock = new ManualClock(new Date());
let hub: TestHub;
let apiKey: string;
const T = 60;
const T2 = 120;

beforeAll(async () => {
  hub = await startHub({ clock });
  apiKey = await hub.apiKey(['events:write', 'admin:read', 'admin:write']);
  const res = await hub.gateway.inject({
    method: 'PUT', url: '/v1/routing-policies/esc.task', headers: { authorization: `Bearer ${apiKey}` },
    payload: { fallback: ['inapp', 'email', 'sms'], escalation: [{ channel: 'email', afterSeconds: T }, { channel: 'sms', afterSeconds: T2, urgentOnly: true }] },
  });
  expect(res.statusCode).toBe(200);
});
afterAll(async () => {
  await hub?.stop();
});

async function post(id: string, user: string, priority: 'normal' | 'urgent') {
  const res = await hub.gateway.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${apiKey}` }, payload: { id, type: 'esc.task', targetUserId: user, priority, payload: { message: `about ${id}` } } });
  expect(res.statusCode).toBe(202);
}

const channelsOf = async (eventId: string) =>
  Object.fromEntries((await hub.prisma.notificationDelivery.findMany({ where: { eventId } })).map((d) => [d.channel, d.status]));

const until = (eventId: string, want: Record<string, string>) => waitFor(async () => {
  const got = await channelsOf(eventId);
  return Object.keys(got).length === Object.keys(want).length && Object.entries(want).every(([c, s]) => got[c] === s) ? got : null;
}, { timeoutMs: 20_000, what: `${eventId}: ${JSON.stringify(want)}` });

const jobs = (eventId: string) => hub.prisma.$queryRaw<{ status: string; channel: string }[]>`
  SELECT status::text, payload->>'channel' AS channel FROM scheduled_jobs WHERE kind = 'routing_escalation' AND payload->>'eventId' = ${eventId} ORDER BY due_at`;

const steps = async (eventId: string) => (await hub.prisma.$queryRaw<{ kind: string; channel: string | null }[]>`
  SELECT kind, channel FROM routing_steps WHERE event_id = ${eventId} ORDER BY id`).map((s) => `${s.kind}:${s.channel}`);

async function readItem(externalId: string, eventId: string) {
  const token = signInboxToken(TEST_INBOX_KEY, externalId);
  const list = await hub.gateway.inject({ method: 'GET', url: '/v1/inbox/items', headers: { authorization: `Bearer ${token}` } });
  const item = (list.json() as { items: { id: string; eventId: string }[] }).items.find((i) => i.eventId === eventId)!;
  const res = await hub.gateway.inject({ method: 'POST', url: `/v1/inbox/items/${item.id}/mark`, headers: { authorization: `Bearer ${token}` }, payload: { action: 'read' } });
  expect(res.statusCode).toBe(200);
}

/** Lets the scheduler (polling every 100 ms) see the clock: the job states are the proof. */
const jobsSettle = (eventId: string, want: string[]) => waitFor(async () => {
  const j = (await jobs(eventId)).map((x) => `${x.channel}:${x.status}`);
  return JSON.stringify(j) === JSON.stringify(want) ? j : null;
}, { timeoutMs: 15_000, what: `${eventId} jobs ${want.join(',')}` });

describe('escalation (manual clock)', () => {
  it('read before T: the pending steps are cancelled at once and nothing else is sent', async () => {
    await seedUser(hub.prisma, { externalId: 'esc-read', email: uniqueEmail(), channels: ['inapp', 'email', 'sms'], subscriptions: ['esc.task'] });
    await post('esc-read-1', 'esc-read', 'urgent');
    await until('esc-read-1', { inapp: 'delivered' });
    expect((await jobs('esc-read-1')).map((j) => `${j.channel}:${j.status}`)).toEqual(['email:pending', 'sms:pending']);
    clock.advance((T - 5) * 1000);
    await readItem('esc-read', 'esc-read-1');
    expect((await jobs('esc-read-1')).map((j) => `${j.channel}:${j.status}`)).toEqual(['email:cancelled', 'sms:cancelled']);
    expect((await hub.gateway.inject({ method: 'GET', url: '/metrics' })).body).toMatch(/hub_inbox_escalations_cancelled_total(\{[^}]*\})? 2\b/);
    clock.advance((T2 + 60) * 1000);
    await new Promise((r) => setTimeout(r, 600)); // several scheduler polls with the clock past both steps
    expect(await channelsOf('esc-read-1')).toEqual({ inapp: 'delivered' });
    expect(await steps('esc-read-1')).toEqual(['routed:inapp', 'escalation_scheduled:email', 'escalation_scheduled:sms', 'escalation_cancelled:email', 'escalation_cancelled:sms']);
  });

  it('unread after T (normal priority): email is sent once, no SMS step exists', async () => {
    const email = uniqueEmail();
    await seedUser(hub.prisma, { externalId: 'esc-unread', email, channels: ['inapp', 'email', 'sms'], subscriptions: ['esc.task'] });
    await post('esc-unread-1', 'esc-unread', 'normal');
    await until('esc-unread-1', { inapp: 'delivered' });
    expect((await jobs('esc-unread-1')).map((j) => j.channel)).toEqual(['email']);
    clock.advance((T - 1) * 1000);
    await new Promise((r) => setTimeout(r, 400));
    expect(await channelsOf('esc-unread-1')).toEqual({ inapp: 'delivered' });
    clock.advance(2_000);
    await until('esc-unread-1', { inapp: 'delivered', email: 'delivered' });
    await jobsSettle('esc-unread-1', ['email:done']);
    expect(hub.emailSandbox.messages().filter((m) => m.envelopeTo.includes(email))).toHaveLength(1);
    expect(await steps('esc-unread-1')).toEqual(['routed:inapp', 'escalation_scheduled:email', 'escalated:email']);
    // Reading now changes nothing already sent.
    await readItem('esc-unread', 'esc-unread-1');
    expect(await channelsOf('esc-unread-1')).toEqual({ inapp: 'delivered', email: 'delivered' });
  });

  it('urgent and unread: email after T, SMS after T2, each once; reading between them cancels the SMS', async () => {
    await seedUser(hub.prisma, { externalId: 'esc-urgent', email: uniqueEmail(), channels: ['inapp', 'email', 'sms'], subscriptions: ['esc.task'] });
    await seedUser(hub.prisma, { externalId: 'esc-urgent-read', email: uniqueEmail(), channels: ['inapp', 'email', 'sms'], subscriptions: ['esc.task'] });
    await post('esc-urgent-1', 'esc-urgent', 'urgent');
    await post('esc-urgent-2', 'esc-urgent-read', 'urgent');
    await until('esc-urgent-1', { inapp: 'delivered' });
    await until('esc-urgent-2', { inapp: 'delivered' });
    clock.advance((T + 1) * 1000);
    await until('esc-urgent-1', { inapp: 'delivered', email: 'delivered' });
    await until('esc-urgent-2', { inapp: 'delivered', email: 'delivered' });
    await readItem('esc-urgent-read', 'esc-urgent-2');
    clock.advance((T2 - T) * 1000);
    await until('esc-urgent-1', { inapp: 'delivered', email: 'delivered', sms: 'delivered' });
    await jobsSettle('esc-urgent-1', ['email:done', 'sms:done']);
    await jobsSettle('esc-urgent-2', ['email:done', 'sms:cancelled']);
    expect(await channelsOf('esc-urgent-2')).toEqual({ inapp: 'delivered', email: 'delivered' });
    const sms = await hub.prisma.smsMessage.findMany({ where: { delivery: { eventId: 'esc-urgent-1' } } });
    expect(sms).toHaveLength(1);
    expect(await steps('esc-urgent-1')).toEqual(['routed:inapp', 'escalation_scheduled:email', 'escalation_scheduled:sms', 'escalated:email', 'escalated:sms']);
    const metrics = await hub.routerMetrics.getSingleMetricAsString('hub_routing_escalations_total');
    expect(metrics).toMatch(/hub_routing_escalations_total\{channel="sms",outcome="sent"[^}]*\} 1\n?/);
    expect(metrics).toMatch(/hub_routing_escalations_total\{channel="email",outcome="sent"[^}]*\} 3/);
  });
});
