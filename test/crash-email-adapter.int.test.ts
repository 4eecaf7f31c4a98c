import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { deliveryRequestSchema, deliveryTopic, HEADERS } from '@hub/contracts';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser, uniqueEmail } from './support/seed.ts';
import { spawnService, type ServiceProcess } from './support/processes.ts';

/**
 * The email channel's send-once guarantees, measured like SMS's: kill -9 of the email
 * adapter before the SMTP call, after the server accepted DATA, and before the offset
 * commit; a dropped connection after DATA; a redelivered request; two instances through a
 * rebalance. Each case counts the emails the SMTP sandbox received per delivery. With the
 * provider's events (SendGrid's processed/delivered, keyed by our Message-ID) a send of
 * unknown outcome is settled by them: zero duplicates. Without them SMTP gives no way to
 * know, and EMAIL_UNKNOWN_OUTCOME decides: 'resend' (nothing lost, one duplicate measured)
 * or 'fail' (no duplicate; the delivery fails with outcome_unknown).
 */
const children: ServiceProcess[] = [];
// Each case starts its own adapters: none may outlive it (a leftover would take partitions).
afterEach(async () => {
  await Promise.allSettled(children.splice(0).map((c) => c.kill()));
});

async function post(hub: TestHub, apiKey: string, id: string, user: string): Promise<void> {
  const res = await hub.gateway.inject({
    method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${apiKey}` },
    payload: { id, type: 'task.reminder', targetUserId: user, payload: { task_name: id, due_time: 'soon' } },
  });
  expect(res.statusCode).toBe(202);
}

async function seedEmailUsers(hub: TestHub, tag: string, n: number): Promise<{ ids: string[]; emails: string[] }> {
  const ids: string[] = [];
  const emails: string[] = [];
  for (let i = 0; i < n; i++) {
    const email = uniqueEmail();
    emails.push(email);
    ids.push(await seedUser(hub.prisma, { externalId: `${tag}-u${i}`, email, channels: ['email'] }));
  }
  return { ids, emails };
}

const finalDeliveries = (hub: TestHub, users: string[], status: string[] = ['delivered'], timeoutMs = 45_000) =>
  waitFor(async () => {
    const rows = await hub.prisma.notificationDelivery.findMany({ where: { userId: { in: users }, channel: 'email' }, include: { emailMessages: true } });
    return rows.length === users.length && rows.every((d) => status.includes(d.status)) ? rows : null;
  }, { timeoutMs, what: `${users.length} email deliveries in ${status.join('|')}` });

const mailsTo = (hub: TestHub, address: string) => hub.emailSandbox.messages().filter((m) => m.envelopeTo.includes(address)).length;

async function crashThenRestart(hub: TestHub, step: string, extra: Record<string, string> = {}): Promise<void> {
  const crashing = spawnService('email-adapter', hub.envFor('email-adapter', { HUB_FAILPOINTS: step, ...extra }));
  children.push(crashing);
  const exit = await Promise.race([crashing.exited, new Promise<null>((r) => setTimeout(() => r(null), 45_000))]);
  expect(exit, `the adapter should have hit ${step}:\n${crashing.output()}`).toMatchObject({ signal: 'SIGKILL' });
  children.push(spawnService('email-adapter', hub.envFor('email-adapter', extra)));
}

describe('with the provider\'s events (the sandbox posts SendGrid webhooks)', () => {
  let hub: TestHub;
  let apiKey: string;
  beforeAll(async () => {
    hub = await startHub({ external: ['email-adapter'] });
    apiKey = await hub.apiKey(['events:write']);
  });
  afterAll(async () => {
    await Promise.allSettled(children.splice(0).map((c) => c.kill()));
    await hub?.stop();
  });

  describe.each(['email.before_send', 'email.after_send', 'email.before_commit'])('email-adapter killed at %s', (step) => {
    it('ends every delivery delivered with exactly one email each (0 duplicates, 0 lost)', async () => {
      const tag = step.replace('.', '-');
      const { ids, emails } = await seedEmailUsers(hub, tag, 3);
      for (let i = 0; i < 3; i++) await post(hub, apiKey, `${tag}-e${i}`, `${tag}-u${i}`);
      await crashThenRestart(hub, step);
      await finalDeliveries(hub, ids);
      await hub.emailSandbox.drain();
      for (const email of emails) expect(mailsTo(hub, email), email).toBe(1);
      await children.at(-1)!.stop();
    });
  });

  it('a connection dropped after DATA (the server stored it): settled by the provider event, 0 duplicates', async () => {
    const adapter = spawnService('email-adapter', hub.envFor('email-adapter'));
    children.push(adapter);
    const { ids, emails } = await seedEmailUsers(hub, 'drop', 2);
    for (const e of emails) hub.emailSandbox.setFault(e, 'drop_after_data', { times: 1 });
    for (let i = 0; i < 2; i++) await post(hub, apiKey, `drop-e${i}`, `drop-u${i}`);
    const rows = await finalDeliveries(hub, ids);
    for (const email of emails) expect(mailsTo(hub, email)).toBe(1);
    for (const d of rows) expect(d.emailMessages[0]!.status).toBe('delivered');

    // A redelivered request (the same delivery published again) sends nothing more.
    const d = rows[0]!;
    const event = await hub.prisma.notificationEvent.findUniqueOrThrow({ where: { id: d.eventId } });
    await hub.bus.publish(deliveryTopic('email'), deliveryRequestSchema, [{
      key: d.userId,
      value: { deliveryId: d.id, eventId: d.eventId, userId: d.userId, channel: 'email', eventType: event.eventType, priority: event.priority, reason: 'new', requestedAt: new Date().toISOString() },
      headers: { [HEADERS.deliveryId]: d.id, [HEADERS.correlationId]: randomUUID() },
    }]);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(mailsTo(hub, emails[0]!)).toBe(1);
    await adapter.stop();
  });

  it('two adapter instances through a rebalance: every delivery delivered, one email each', async () => {
    const first = spawnService('email-adapter', hub.envFor('email-adapter'));
    children.push(first);
    const { ids, emails } = await seedEmailUsers(hub, 'rebal', 12);
    for (let i = 0; i < 6; i++) await post(hub, apiKey, `rebal-e${i}`, `rebal-u${i}`);
    const second = spawnService('email-adapter', hub.envFor('email-adapter', { KAFKA_CLIENT_ID: `${hub.prefix}-email-adapter-second` }));
    children.push(second);
    for (let i = 6; i < 12; i++) await post(hub, apiKey, `rebal-e${i}`, `rebal-u${i}`);
    await first.stop();
    await finalDeliveries(hub, ids);
    await hub.emailSandbox.drain();
    for (const email of emails) expect(mailsTo(hub, email), email).toBe(1);
    await second.stop();
  });
});

describe('without provider events (a plain SMTP relay): SMTP gives no way to know', () => {
  let hub: TestHub;
  let apiKey: string;
  beforeAll(async () => {
    hub = await startHub({ external: ['email-adapter'], emailWebhooks: false, emailReconcileAfterMs: 1_000 });
    apiKey = await hub.apiKey(['events:write']);
  });
  afterAll(async () => {
    await Promise.allSettled(children.splice(0).map((c) => c.kill()));
    await hub?.stop();
  });

  it('killed before the SMTP call: resent once after the wait, 1 email, 0 duplicates', async () => {
    const { ids, emails } = await seedEmailUsers(hub, 'plain-before', 2);
    for (let i = 0; i < 2; i++) await post(hub, apiKey, `plain-before-e${i}`, `plain-before-u${i}`);
    await crashThenRestart(hub, 'email.before_send');
    await finalDeliveries(hub, ids, ['sent']);
    for (const email of emails) expect(mailsTo(hub, email)).toBe(1);
    await children.at(-1)!.stop();
  });

  it('killed after DATA with EMAIL_UNKNOWN_OUTCOME=resend: nothing lost, exactly 1 duplicate per crashed send (measured)', async () => {
    const { ids, emails } = await seedEmailUsers(hub, 'plain-resend', 1);
    await post(hub, apiKey, 'plain-resend-e0', 'plain-resend-u0');
    await crashThenRestart(hub, 'email.after_send', { EMAIL_UNKNOWN_OUTCOME: 'resend' });
    const [d] = await finalDeliveries(hub, ids, ['sent']);
    expect(mailsTo(hub, emails[0]!)).toBe(2);
    // Both copies carry the same Message-ID, so a mailbox that dedupes on it shows one.
    const ids2 = hub.emailSandbox.messages().filter((m) => m.envelopeTo.includes(emails[0]!)).map((m) => m.messageId);
    expect(new Set(ids2).size).toBe(1);
    expect(d!.emailMessages[0]!.messageIdHeader).toBe(ids2[0]);
    await children.at(-1)!.stop();
  });

  it('killed after DATA with EMAIL_UNKNOWN_OUTCOME=fail: 0 duplicates, the delivery fails with outcome_unknown (the email did go out once)', async () => {
    const { ids, emails } = await seedEmailUsers(hub, 'plain-fail', 1);
    await post(hub, apiKey, 'plain-fail-e0', 'plain-fail-u0');
    await crashThenRestart(hub, 'email.after_send', { EMAIL_UNKNOWN_OUTCOME: 'fail' });
    const [d] = await finalDeliveries(hub, ids, ['failed']);
    expect(d!.lastErrorCode).toBe('outcome_unknown');
    expect(mailsTo(hub, emails[0]!)).toBe(1);
    await children.at(-1)!.stop();
  });
});
