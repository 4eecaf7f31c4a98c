import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance } from 'fastify';
import { createMetricsRegistry } from '@hub/runtime';
import { createMemoryEmailProvider } from '@hub/email-provider';
import { signLinkToken } from '@hub/channel-kit';
import { buildGateway } from '@hub/gateway';
import type { EmailStatus } from '@hub/db';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { caller, type Caller } from '../services/gateway/test/helpers.ts';

const SECRET = 'test-link-secret-0123456789';
let hub: TestHub;
let gateway: FastifyInstance;
let admin: Caller;

beforeAll(async () => {
  hub = await startHub();
  gateway = await buildGateway({
    prisma: hub.prisma, bus: hub.bus, log: hub.log, clock: { now: () => new Date() }, metrics: createMetricsRegistry('gateway'), publicBaseUrl: 'http://127.0.0.1:3000',
    emailProvider: createMemoryEmailProvider(),
    email: { from: 'Hub <hub@test.example>', linkSecret: SECRET, trustUpstreamVerified: true },
  });
  admin = caller(gateway, await hub.apiKey(['admin:write']));
});
afterAll(async () => {
  await gateway?.close();
  await hub?.stop();
});

async function emailUser(externalId: string, address: string): Promise<string> {
  const id = await seedUser(hub.prisma, { externalId, phone: null, verified: false, subscriptions: [] });
  expect((await admin('PUT', `/v1/users/${externalId}/email`, { address, verified: true })).status).toBe(200);
  return id;
}

const FORM = 'application/x-www-form-urlencoded';
const post = (token: string, payload = 'List-Unsubscribe=One-Click', contentType = FORM, accept = '*/*') =>
  gateway.inject({ method: 'POST', url: `/u/${token}`, headers: { 'content-type': contentType, accept }, payload });
const auditOf = (userId: string) => hub.prisma.channelOptOutEvent.findMany({ where: { userId }, orderBy: { id: 'asc' } });

describe('one-click unsubscribe (RFC 8058)', () => {
  it('scope of one event type: POST opts out of that type once; a repeat is 200 and audits nothing', async () => {
    const userId = await emailUser('unsub-type', 'unsub.type@example.com');
    const token = signLinkToken(SECRET, { userId, channel: 'email', scope: 'brief.ready', messageId: '00000000-0000-4000-8000-000000000001' });

    const shown = await gateway.inject({ method: 'GET', url: `/u/${token}` });
    expect(shown.statusCode).toBe(200);
    expect(shown.body).toContain('name="List-Unsubscribe" value="One-Click"');
    expect(shown.body).not.toContain('<script');
    expect(String(shown.headers['content-security-policy'])).toContain("form-action 'self'");
    expect(await auditOf(userId)).toHaveLength(0); // a GET never unsubscribes

    const first = await post(token);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({ status: 'unsubscribed', channel: 'email', scope: 'brief.ready' });
    const again = await post(token);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ status: 'already_unsubscribed' });
    const audit = await auditOf(userId);
    expect(audit.map((a) => [a.action, a.scope, a.source, a.address])).toEqual([['opt_out', 'brief.ready', 'one_click', 'unsub.type@example.com']]);
    const pref = await hub.prisma.notificationPreference.findFirstOrThrow({ where: { userId, channel: 'email', eventType: 'brief.ready' } });
    expect(pref).toMatchObject({ enabled: false, source: 'one_click' });
    expect((await hub.prisma.userEmailPreferences.findUniqueOrThrow({ where: { userId } })).optedOut).toBe(false);
    expect((await gateway.inject({ method: 'GET', url: `/u/${token}` })).body).toContain('You are unsubscribed');
  });

  it('scope all, as multipart/form-data: opts out of email once; a browser gets a page', async () => {
    const userId = await emailUser('unsub-all', 'unsub.all@example.com');
    const token = signLinkToken(SECRET, { userId, channel: 'email', scope: 'all', messageId: 'm-1' });
    const boundary = '----hubtest';
    const body = `--${boundary}\r\nContent-Disposition: form-data; name="List-Unsubscribe"\r\n\r\nOne-Click\r\n--${boundary}--\r\n`;
    const res = await post(token, body, `multipart/form-data; boundary=${boundary}`);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ status: 'unsubscribed', scope: 'all' });
    const html = await post(token, 'List-Unsubscribe=One-Click', FORM, 'text/html');
    expect(html.statusCode).toBe(200);
    expect(html.headers['content-type']).toContain('text/html');
    expect((await hub.prisma.userEmailPreferences.findUniqueOrThrow({ where: { userId } })).optedOut).toBe(true);
    expect((await auditOf(userId)).map((a) => [a.action, a.scope, a.source])).toEqual([['opt_out', 'all', 'one_click']]);
    expect((await admin('GET', '/v1/users/unsub-all')).body.channels).toContainEqual(expect.objectContaining({ channel: 'email', available: false, reason: 'opted_out' }));
  });

  it('an edited or forged token is 400 invalid_token and changes nothing; a POST without One-Click is 400', async () => {
    const userId = await emailUser('unsub-forged', 'unsub.forged@example.com');
    const token = signLinkToken(SECRET, { userId, channel: 'email', scope: 'brief.ready', messageId: 'm-2' });
    const [body, mac] = token.split('.') as [string, string];
    const edited = `${Buffer.from(JSON.stringify([userId, 'email', 'all', 'm-2'])).toString('base64url')}.${mac}`;
    const forged = signLinkToken('another-secret-0123456789', { userId, channel: 'email', scope: 'all', messageId: 'm-2' });
    for (const bad of [edited, forged, `${body}.${mac.slice(0, -2)}xx`, 'garbage']) {
      const res = await post(bad);
      expect(res.statusCode).toBe(400);
      expect(res.json().error.code).toBe('invalid_token');
      expect((await gateway.inject({ method: 'GET', url: `/u/${bad}`, headers: { accept: 'text/html' } })).statusCode).toBe(400);
    }
    const noClick = await post(token, 'List-Unsubscribe=Yes');
    expect(noClick.statusCode).toBe(400);
    expect(noClick.json().error.code).toBe('one_click_required');
    expect(await auditOf(userId)).toHaveLength(0);
    // The JSON API still refuses form bodies.
    expect((await gateway.inject({ method: 'PUT', url: '/v1/users/x', headers: { 'content-type': FORM, authorization: `Bearer ${await hub.apiKey(['admin:write'])}` }, payload: 'a=b' })).statusCode).toBe(415);
  });
});

describe('preferences per channel and event type', () => {
  it('GET, PUT, DELETE; channel from the registry; * for all', async () => {
    await emailUser('pref-user', 'pref@example.com');
    expect((await admin('GET', '/v1/users/pref-user/preferences')).body).toEqual({ items: [] });
    const put = await admin('PUT', '/v1/users/pref-user/preferences/email/task.reminder', { enabled: false });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ channel: 'email', eventType: 'task.reminder', enabled: false, source: 'api' });
    expect((await admin('PUT', '/v1/users/pref-user/preferences/sms/*', { enabled: true })).status).toBe(200);
    const list = await admin('GET', '/v1/users/pref-user/preferences');
    expect((list.body.items as { channel: string; eventType: string; enabled: boolean }[]).map((p) => [p.channel, p.eventType, p.enabled])).toEqual([
      ['email', 'task.reminder', false], ['sms', '*', true],
    ]);
    expect((await admin('PUT', '/v1/users/pref-user/preferences/pigeon/task.reminder', { enabled: true })).status).toBe(400);
    expect((await admin('PUT', '/v1/users/pref-user/preferences/email/Bad Type', { enabled: true })).status).toBe(400);
    expect((await admin('DELETE', '/v1/users/pref-user/preferences/email/task.reminder')).status).toBe(204);
    expect((await admin('DELETE', '/v1/users/pref-user/preferences/email/task.reminder')).body.error?.code).toBe('preference_not_found');
    expect((await admin('GET', '/v1/users/nobody/preferences')).status).toBe(404);
  });

  it('subscriptions accept the email channel', async () => {
    await emailUser('sub-user', 'sub@example.com');
    const res = await admin('PUT', '/v1/users/sub-user/subscriptions/task.reminder', { channels: ['sms', 'email'] });
    expect(res.status).toBe(200);
    expect(res.body.channels).toEqual(['sms', 'email']);
    expect((await admin('PUT', '/v1/users/sub-user/subscriptions/task.reminder', { channels: ['fax'] })).status).toBe(400);
  });
});

describe('email templates', () => {
  const mjml = '<mjml><mj-body><mj-section><mj-column><mj-text>Hi {{name}}</mj-text></mj-column></mj-section></mj-body></mjml>';

  it('saves MJML, refuses bad MJML with the line and a blank subject, previews with vars escaped, deactivates', async () => {
    const created = await admin('PUT', '/v1/email-templates/pay_reminder', { name: 'Pay reminder', subject: 'Reminder: {{task}}', body: mjml, requiredVars: ['name'] });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ key: 'pay_reminder', format: 'mjml', isActive: true, vars: ['task', 'name'] });
    expect((await admin('PUT', '/v1/email-templates/pay_reminder', { name: 'Task reminder 2', subject: 'Reminder: {{task}}', body: mjml })).status).toBe(200);

    const bad = await admin('PUT', '/v1/email-templates/broken', { name: 'Broken', subject: 'x', body: '<mjml>\n<mj-body>\n<mj-section>\n<mj-text>no column</mj-text>\n</mj-section>\n</mj-body>\n</mjml>' });
    expect(bad.status).toBe(400);
    expect(bad.body.error?.code).toBe('invalid_template');
    expect(bad.body.error?.line).toEqual(expect.any(Number));
    expect(bad.body.error?.message).toMatch(/^line \d+: /);
    expect((await admin('GET', '/v1/email-templates/broken')).status).toBe(404);

    const blank = await admin('PUT', '/v1/email-templates/blank', { name: 'Blank', subject: '   ', body: mjml });
    expect(blank.status).toBe(400);
    expect(blank.body.error?.fields).toEqual([expect.objectContaining({ field: 'body.subject' })]);

    const preview = await admin('POST', '/v1/email-templates/pay_reminder/preview', { vars: { name: '<script>alert(1)</script>', task: 'Pay rent' } });
    expect(preview.status).toBe(200);
    expect(preview.body.subject).toBe('Reminder: Pay rent');
    expect(preview.body.html).not.toContain('<script>alert(1)</script>');
    expect(preview.body.html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(preview.body.text).toContain('<script>alert(1)</script>'); // the text part is plain text
    const missing = await admin('POST', '/v1/email-templates/pay_reminder/preview', { vars: { task: 'x' } });
    expect(missing.status).toBe(400);
    expect(missing.body.error?.code).toBe('missing_vars');

    const adhoc = await admin('POST', '/v1/email-templates/preview', { subject: 'Hello {{who}}', body: '<p>{{who}}</p>', format: 'html', vars: { who: 'A & B' } });
    expect(adhoc.body).toMatchObject({ subject: 'Hello A & B', html: '<p>A &amp; B</p>' });

    const list = await admin('GET', '/v1/email-templates');
    // The four seeded templates (migration 20261214000000_email_templates_seed) and this one.
    expect((list.body.items as { key: string }[]).map((t) => t.key).sort()).toEqual(['daily_brief_ready', 'pay_reminder', 'task_reminder', 'urgent_task', 'welcome_email']);
    const off = await admin('DELETE', '/v1/email-templates/pay_reminder');
    expect(off.body).toMatchObject({ isActive: false });
    const active = (await admin('GET', '/v1/email-templates?active=true')).body.items as { key: string }[];
    expect(active.map((t) => t.key)).not.toContain('pay_reminder');
  });
});

describe('email deliveries, messages and metrics', () => {
  async function emailDelivery(userId: string, address: string, n: number, status: 'sent' | 'delivered' | 'failed' | 'skipped', email?: { status: EmailStatus; bounceType?: string; complained?: boolean }) {
    const eventId = `evt-email-${address}-${n}`;
    const now = new Date();
    await hub.prisma.notificationEvent.create({ data: { id: eventId, eventType: 'task.reminder', targetUserId: address, publishedAt: now, routedAt: now } });
    const d = await hub.prisma.notificationDelivery.create({
      data: { eventId, userId, channel: 'email', channelIdentifier: status === 'skipped' ? null : address, status, ...(status === 'skipped' ? { skipReason: 'unverified' } : {}) },
    });
    if (email) {
      const m = await hub.prisma.emailMessage.create({
        data: {
          userId, emailAddress: address, fromAddress: 'hub@test.example', subject: `Subject ${n}`, htmlBody: '<p>x</p>', textBody: 'x', status: email.status,
          messageIdHeader: `${d.id}.1@test.example`, providerQueueId: `Q${n}`, sentAt: now, notificationDeliveryId: d.id,
          ...(email.bounceType ? { bounceType: email.bounceType, bouncedAt: now } : {}), ...(email.complained ? { complainedAt: now } : {}),
        },
      });
      await hub.prisma.emailMessageEvent.create({ data: { emailMessageId: m.id, status: email.status, event: 'adapter', source: 'adapter' } });
    }
    return d.id;
  }

  it('filters deliveries by email, shows the email message, lists email messages, counts per channel', async () => {
    const u = await emailUser('metrics-user', 'metrics@example.com');
    const id1 = await emailDelivery(u, 'metrics@example.com', 1, 'delivered', { status: 'delivered' });
    await emailDelivery(u, 'metrics@example.com', 2, 'failed', { status: 'bounced', bounceType: 'hard' });
    await emailDelivery(u, 'metrics@example.com', 3, 'sent', { status: 'sent', complained: true });
    await emailDelivery(u, 'metrics@example.com', 4, 'skipped');

    // Normalised (the domain lower-cased, spaces trimmed), then matched exactly: the local part is case-sensitive (RFC 5321).
    const list = await admin('GET', `/v1/deliveries?email=${encodeURIComponent(' metrics@EXAMPLE.com')}`);
    expect(list.status).toBe(200);
    expect((list.body.items as { id: string }[])).toHaveLength(3);
    expect((await admin('GET', '/v1/deliveries?email=other@example.com')).body.items).toEqual([]);
    expect((await admin('GET', '/v1/deliveries?email=Metrics@example.com')).body.items).toEqual([]);
    expect((await admin('GET', '/v1/deliveries?email=not-an-address')).body.error?.code).toBe('invalid_email');

    const detail = await admin('GET', `/v1/deliveries/${id1}`);
    expect(detail.body.email).toMatchObject({ to: 'metrics@example.com', subject: 'Subject 1', providerQueueId: 'Q1', status: 'delivered' });
    expect(detail.body.emailMessage).toMatchObject({ subject: 'Subject 1', messageIdHeader: `${id1}.1@test.example`, events: [expect.objectContaining({ event: 'adapter' })] });
    expect(detail.body.message).toBeNull();

    const messages = await admin('GET', '/v1/email-messages?email=metrics@example.com&limit=2');
    expect(messages.body.items).toHaveLength(2);
    const next = await admin('GET', `/v1/email-messages?email=metrics@example.com&limit=2&cursor=${messages.body.nextCursor as string}`);
    expect(next.body.items).toHaveLength(1);
    expect((await admin('GET', '/v1/email-messages?status=bounced')).body.items).toHaveLength(1);
    const one = (messages.body.items as { id: string }[])[0]!;
    const shown = await admin('GET', `/v1/email-messages/${one.id}`);
    expect(shown.body).toMatchObject({ id: one.id, to: 'metrics@example.com', events: [expect.objectContaining({ source: 'adapter' })] });

    const metrics = await admin('GET', '/v1/metrics/channels?channel=email');
    expect(metrics.status).toBe(200);
    const [email] = metrics.body.channels as Record<string, unknown>[];
    expect(email).toMatchObject({
      channel: 'email', total: 4, delivered: 1, failed: 1, sent: 1, skipped: 1, skippedByReason: [{ reason: 'unverified', count: 1 }], deliveryRate: 0.5,
      email: { messages: 3, accepted: 3, bounced: 1, hardBounces: 1, complained: 1, bounceRate: 0.3333, complaintRate: 0.3333 },
    });
    const all = await admin('GET', '/v1/metrics/channels');
    expect((all.body.channels as { channel: string }[]).map((c) => c.channel)).toEqual(['sms', 'email', 'inapp']);

    const health = await gateway.inject({ method: 'GET', url: '/health' });
    expect(health.json().checks.email).toMatchObject({ accepted: 3, bounced: 1, complained: 1, sufficientSample: false });
    expect(health.json().checks.emailProvider).toMatchObject({ status: 'green' });
  });
});
