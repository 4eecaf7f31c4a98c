import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import { startHub, type ExternalService, type TestHub } from './support/hub.ts';
import { seedUser, uniqueEmail } from './support/seed.ts';
import { spawnService, type ServiceProcess } from './support/processes.ts';

// Issue 13: kill -9 of the scheduler and of the inapp-adapter mid-escalation (the router's
// case is in escalation-fallback): one inbox item, one escalated email, nothing lost.

const children: ServiceProcess[] = [];
let hub: TestHub | null = null;
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') for (const c of children) console.error(`--- ${c.name} output:\n${c.output().slice(-3000)}`);
  await Promise.allSettled(children.splice(0).map((c) => c.kill()));
  await hub?.stop();
  hub = null;
});

async function setUp(external: ExternalService[], user: string) {
  const h = await startHub({ external });
  hub = h;
  const key = await h.apiKey(['events:write', 'admin:write']);
  const put = await h.gateway.inject({ method: 'PUT', url: '/v1/routing-policies/esc.crash', headers: { authorization: `Bearer ${key}` }, payload: { fallback: ['inapp', 'email'], escalation: [{ channel: 'email', afterSeconds: 1 }] } });
  expect(put.statusCode).toBe(200);
  const email = uniqueEmail();
  await seedUser(h.prisma, { externalId: user, email, channels: ['inapp', 'email'], subscriptions: ['esc.crash'] });
  const post = async (id: string) => {
    const res = await h.gateway.inject({ method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${key}` }, payload: { id, type: 'esc.crash', targetUserId: user, payload: { message: 'hello' } } });
    expect(res.statusCode).toBe(202);
  };
  return { h, email, post };
}

const killed = async (p: ServiceProcess) => {
  const exit = await Promise.race([p.exited, new Promise<null>((r) => setTimeout(() => r(null), 45_000))]);
  expect(exit, p.output()).toMatchObject({ signal: 'SIGKILL' });
};

async function expectOnce(h: TestHub, eventId: string, email: string) {
  await waitFor(async () => h.prisma.notificationDelivery.findFirst({ where: { eventId, channel: 'email', status: 'delivered' } }), { timeoutMs: 45_000, what: 'escalated email delivered' });
  await new Promise((r) => setTimeout(r, 500));
  expect(h.emailSandbox.messages().filter((m) => m.envelopeTo.includes(email))).toHaveLength(1);
  const items = await h.prisma.$queryRaw<{ n: number }[]>`SELECT count(*)::int AS n FROM inapp_items WHERE event_id = ${eventId}`;
  expect(items[0]!.n).toBe(1);
  const d = await h.prisma.notificationDelivery.findFirstOrThrow({ where: { eventId, channel: 'inapp' } });
  expect(d.status).toBe('delivered');
}

describe('escalation through crashes', { timeout: 120_000 }, () => {
  it('scheduler killed -9 with the escalation job claimed: a new scheduler re-claims it after the claim timeout; the email is sent once', async () => {
    const { h, email, post } = await setUp(['scheduler'], 'esc-sched');
    const crashing = spawnService('scheduler', h.envFor('scheduler', { HUB_FAILPOINTS: 'scheduler.after_claim' }));
    children.push(crashing);
    await post('esc-sched-1');
    await killed(crashing);
    const [job] = await h.prisma.$queryRaw<{ status: string }[]>`SELECT status::text FROM scheduled_jobs WHERE kind = 'routing_escalation'`;
    expect(job!.status).toBe('claimed');
    children.push(spawnService('scheduler', h.envFor('scheduler')));
    await expectOnce(h, 'esc-sched-1', email);
  });

  it('inapp-adapter killed -9 after storing the item, before committing its offset: the restarted adapter stores nothing twice; escalation proceeds once', async () => {
    const { h, email, post } = await setUp(['inapp-adapter'], 'esc-inapp');
    const crashing = spawnService('inapp-adapter', h.envFor('inapp-adapter', { HUB_FAILPOINTS: 'inapp.before_commit' }));
    children.push(crashing);
    await post('esc-inapp-1');
    await killed(crashing);
    children.push(spawnService('inapp-adapter', h.envFor('inapp-adapter')));
    await expectOnce(h, 'esc-inapp-1', email);
  });
});
