import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser, uniqueEmail } from './support/seed.ts';

// Issue 12: the email channel end to end on the real broker, database and SMTP sandbox —
// fan-out to both channels, escaping, headers, bounces, complaints, one-click unsubscribe.

let hub: TestHub;
let apiKey: string;

beforeAll(async () => {
  hub = await startHub();
  apiKey = await hub.apiKey(['events:write', 'admin:read', 'admin:write']);
});
afterAll(async () => {
  await hub?.stop();
});

async function post(id: string, targetUserId: string, payload: Record<string, unknown> = { task_name: id, due_time: 'soon' }, type = 'task.reminder') {
  const res = await hub.gateway.inject({
    method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${apiKey}` },
    payload: { id, type, targetUserId, payload },
  });
  expect(res.statusCode).toBe(202);
}

const emailDelivery = (eventId: string, status: string | string[]) =>
  waitFor(async () => {
    const d = await hub.prisma.notificationDelivery.findFirst({ where: { eventId, channel: 'email' }, include: { emailMessages: { include: { events: { orderBy: { id: 'asc' } } } } } });
    const want = Array.isArray(status) ? status : [status];
    return d && want.includes(d.status) ? d : null;
  }, { timeoutMs: 30_000, what: `email delivery of ${eventId} in ${String(status)}` });

const mailsTo = (address: string) => hub.emailSandbox.messages().filter((m) => m.envelopeTo.includes(address));

describe('email channel', () => {
  it('an event for a user subscribed on both channels gives one SMS and one email, both delivered', async () => {
    const email = uniqueEmail();
    const userId = await seedUser(hub.prisma, { externalId: 'both-1', email, channels: ['sms', 'email'] });
    await post('both-evt-1', 'both-1');
    const mail = await emailDelivery('both-evt-1', 'delivered');
    const sms = await waitFor(async () => {
      const d = await hub.prisma.notificationDelivery.findFirst({ where: { eventId: 'both-evt-1', channel: 'sms' } });
      return d?.status === 'delivered' ? d : null;
    }, { timeoutMs: 30_000, what: 'sms delivered' });
    expect(sms.userId).toBe(userId);
    expect(mail.channelIdentifier).toBe(email);
    const message = mail.emailMessages[0]!;
    expect(message.status).toBe('delivered');
    expect(message.providerQueueId).toMatch(/^[0-9A-F]{12}$/);
    const sent = mailsTo(email);
    expect(sent).toHaveLength(1);
    expect(sent[0]!.messageId).toBe(message.messageIdHeader);
    expect(sent[0]!.queueId).toBe(message.providerQueueId);
    // Our two rows (sending, accepted) and the provider's two events; the webhook may outrun our write.
    expect(message.events.map((e) => e.event).sort()).toEqual(['adapter', 'adapter', 'delivered', 'processed']);
  });

  it('renders the seeded MJML template: escapes payload variables in the HTML part, always sends a text part, and carries the one-click unsubscribe headers', async () => {
    const email = uniqueEmail();
    await seedUser(hub.prisma, { externalId: 'esc-1', email, channels: ['email'] });
    await post('esc-evt-1', 'esc-1', { task_name: '<script>alert(1)</script><img src=x onerror=alert(2)>', due_time: '"tomorrow" & later' });
    await emailDelivery('esc-evt-1', 'delivered');
    const [mail] = mailsTo(email);
    expect(mail!.html).not.toContain('<script>');
    expect(mail!.html).not.toContain('<img src=x');
    expect(mail!.html).toContain('&lt;script&gt;');
    expect(mail!.text).toContain('<script>alert(1)</script>');
    expect(mail!.subject).toBe('Reminder: <script>alert(1)</script><img src=x onerror=alert(2)> is due "tomorrow" & later');
    expect(mail!.html).toContain('@media'); // MJML's responsive layout
    expect(mail!.html).toContain('/u/'); // the visible unsubscribe link
    expect(mail!.headers['list-unsubscribe']).toMatch(new RegExp(`^<${hub.gatewayUrl}/u/[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+>$`));
    expect(mail!.headers['list-unsubscribe-post']).toBe('List-Unsubscribe=One-Click');
    expect(mail!.messageId).toMatch(/^[0-9a-f-]{36}\.1@hub\.test$/);
  });

  it('a hard bounce fails the delivery, marks the address undeliverable, and later deliveries to it are skipped', async () => {
    const email = uniqueEmail('bounce');
    const userId = await seedUser(hub.prisma, { externalId: 'hard-1', email, channels: ['email'] });
    await post('hard-evt-1', 'hard-1');
    const failed = await emailDelivery('hard-evt-1', 'failed');
    expect(failed.lastErrorCode).toBe('hard_bounce');
    expect(failed.emailMessages[0]!.status).toBe('bounced');
    expect(failed.emailMessages[0]!.bounceType).toBe('hard');
    const prefs = await hub.prisma.userEmailPreferences.findUniqueOrThrow({ where: { userId } });
    expect(prefs.undeliverable).toBe(true);
    await post('hard-evt-2', 'hard-1');
    const skipped = await emailDelivery('hard-evt-2', 'skipped');
    expect(skipped.skipReason).toBe('undeliverable');
    expect(mailsTo(email)).toHaveLength(1);
  });

  it('a permanent refusal at RCPT (550 5.1.1) fails at once and marks the address undeliverable', async () => {
    const email = uniqueEmail('reject');
    const userId = await seedUser(hub.prisma, { externalId: 'rcpt-1', email, channels: ['email'] });
    await post('rcpt-evt-1', 'rcpt-1');
    const failed = await emailDelivery('rcpt-evt-1', 'failed');
    expect(failed.lastErrorCode).toBe('recipient_rejected');
    expect((await hub.prisma.userEmailPreferences.findUniqueOrThrow({ where: { userId } })).undeliverable).toBe(true);
  });

  it('a temporary SMTP failure is retried with backoff and then delivered', async () => {
    const email = uniqueEmail();
    await seedUser(hub.prisma, { externalId: 'temp-1', email, channels: ['email'] });
    hub.emailSandbox.setFault(email, 'temp_fail_data', { times: 1 });
    await post('temp-evt-1', 'temp-1');
    const d = await emailDelivery('temp-evt-1', 'delivered');
    expect(d.attempts).toBe(2);
    expect(d.emailMessages[0]!.attemptCount).toBe(2);
    expect(mailsTo(email)).toHaveLength(1);
  });

  it('a soft bounce is retried with backoff, and fails after the last attempt', async () => {
    const email = uniqueEmail('softbounce');
    await seedUser(hub.prisma, { externalId: 'soft-1', email, channels: ['email'] });
    await post('soft-evt-1', 'soft-1');
    const d = await emailDelivery('soft-evt-1', 'failed');
    expect(d.lastErrorCode).toBe('soft_bounce');
    expect(d.emailMessages[0]!.attemptCount).toBe(3);
    expect(mailsTo(email)).toHaveLength(3);
  });

  it('a complaint opts the user out of email, audited, and the next email is skipped', async () => {
    const email = uniqueEmail('complaint');
    const userId = await seedUser(hub.prisma, { externalId: 'compl-1', email, channels: ['email'] });
    await post('compl-evt-1', 'compl-1');
    await emailDelivery('compl-evt-1', 'delivered');
    const audit = await waitFor(async () => {
      const rows = await hub.prisma.channelOptOutEvent.findMany({ where: { userId, channel: 'email' } });
      return rows.length > 0 ? rows : null;
    }, { timeoutMs: 15_000, what: 'complaint audit row' });
    expect(audit).toEqual([expect.objectContaining({ action: 'opt_out', scope: 'all', source: 'complaint' })]);
    expect((await hub.prisma.userEmailPreferences.findUniqueOrThrow({ where: { userId } })).optedOut).toBe(true);
    await post('compl-evt-2', 'compl-1');
    expect((await emailDelivery('compl-evt-2', 'skipped')).skipReason).toBe('opted_out');
  });

  it('one click on List-Unsubscribe-Post opts the user out of that event type\'s email only, audited once', async () => {
    const email = uniqueEmail();
    const userId = await seedUser(hub.prisma, { externalId: 'unsub-1', email, channels: ['email'], subscriptions: ['task.reminder', 'brief.ready'] });
    await post('unsub-evt-1', 'unsub-1');
    await emailDelivery('unsub-evt-1', 'delivered');
    const [mail] = mailsTo(email);
    const result = await hub.emailSandbox.oneClickUnsubscribe(mail!.queueId);
    expect(result).toMatchObject({ ok: true, status: 200 });
    // A repeat (mailbox providers retry) changes nothing.
    expect(await hub.emailSandbox.oneClickUnsubscribe(mail!.queueId)).toMatchObject({ ok: true, status: 200 });
    const audit = await hub.prisma.channelOptOutEvent.findMany({ where: { userId } });
    expect(audit).toEqual([expect.objectContaining({ action: 'opt_out', scope: 'task.reminder', source: 'one_click' })]);
    await post('unsub-evt-2', 'unsub-1');
    expect((await emailDelivery('unsub-evt-2', 'skipped')).skipReason).toBe('preference_off');
    await post('unsub-evt-3', 'unsub-1', { brief_url: 'https://example.com/brief/1' }, 'brief.ready');
    await emailDelivery('unsub-evt-3', 'delivered');
  });

  it('a replayed webhook adds nothing; a webhook with a bad signature is refused (403)', async () => {
    const email = uniqueEmail();
    await seedUser(hub.prisma, { externalId: 'replay-1', email, channels: ['email'] });
    await post('replay-evt-1', 'replay-1');
    const d = await emailDelivery('replay-evt-1', 'delivered');
    const before = d.emailMessages[0]!.events.length;
    const bad = await fetch(`${hub.statusIngestUrl}/webhooks/sendgrid/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-twilio-email-event-webhook-signature': 'MEUCIQ==', 'x-twilio-email-event-webhook-timestamp': String(Math.floor(Date.now() / 1000)) },
      body: JSON.stringify([{ event: 'bounce', type: 'bounce', email, 'smtp-id': `<${d.emailMessages[0]!.messageIdHeader}>`, timestamp: 1 }]),
    });
    expect(bad.status).toBe(403);
    const events = await hub.prisma.emailMessageEvent.count({ where: { emailMessageId: d.emailMessages[0]!.id } });
    expect(events).toBe(before);
    expect((await hub.prisma.notificationDelivery.findUniqueOrThrow({ where: { id: d.id } })).status).toBe('delivered');
  });

  it('a user without an email address, or with an unverified one, is skipped with the reason', async () => {
    await seedUser(hub.prisma, { externalId: 'noaddr-1', channels: ['sms', 'email'] });
    await seedUser(hub.prisma, { externalId: 'unver-1', email: uniqueEmail(), emailVerified: false, channels: ['email'] });
    await post('noaddr-evt-1', 'noaddr-1');
    await post('unver-evt-1', 'unver-1');
    expect((await emailDelivery('noaddr-evt-1', 'skipped')).skipReason).toBe('no_email');
    expect((await emailDelivery('unver-evt-1', 'skipped')).skipReason).toBe('unverified');
  });
});
