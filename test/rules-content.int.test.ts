import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { countSegments, fallbackText } from '@hub/sms-rules';
import { startHub, type TestHub } from './support/hub.ts';
import { seedUser } from './support/seed.ts';
import { rulesKit, type RulesKit } from './rules-support.ts';

/**
 * What an SMS says: templates (required variables, usage), the fallback text, segments and
 * encoding, tracked links, and the opt-out footer on the first message to a number.
 */
let hub: TestHub;
let kit: RulesKit;
let key = '';
const PUBLIC_BASE_URL = 'http://127.0.0.1:3000'; // the hub's publicBaseUrl
const FOOTER = '\nReply STOP to unsubscribe';

beforeAll(async () => {
  hub = await startHub({ footer: 'first' });
  key = await hub.apiKey(['events:write']);
  kit = rulesKit(hub, () => key);
});
afterAll(async () => {
  await hub?.stop();
});

const template = (templateKey: string) => hub.prisma.smsTemplate.findUniqueOrThrow({ where: { templateKey } });

/** A user who already received one SMS, so the footer ('first') is not added any more. */
async function warmUser(externalId: string, subscriptions: string[]): Promise<string> {
  const userId = await seedUser(hub.prisma, { externalId, subscriptions: [...subscriptions, 'note.posted'] });
  await kit.post({ id: `warm-${externalId}`, type: 'note.posted', targetUserId: externalId, payload: { text: 'hello' } });
  expect((await kit.finalDelivery(`warm-${externalId}`)).status).toBe('delivered');
  return userId;
}

describe('templates', () => {
  it('a missing required variable fails the delivery naming the variable; nothing is sent, the template is not counted as used', async () => {
    const before = await template('task_reminder');
    const userId = await seedUser(hub.prisma, { externalId: 'tpl-missing' });
    await kit.post({ id: 'evt-tpl-missing', type: 'task.reminder', targetUserId: 'tpl-missing', payload: { task_name: 'Report' } });
    const d = await kit.finalDelivery('evt-tpl-missing');
    expect(d).toMatchObject({ status: 'failed', lastErrorCode: 'template_missing_vars' });
    expect(d.lastError).toContain('due_time');
    expect(d.smsMessages).toHaveLength(0);
    expect(kit.sendsTo(await kit.phoneOf(userId))).toHaveLength(0);
    expect((await template('task_reminder')).usageCount).toBe(before.usageCount);
  });

  it('renders the template and keeps usage_count and last_used_at, once per message', async () => {
    const userId = await warmUser('tpl-usage', ['task.reminder']);
    const before = await template('task_reminder');
    await kit.post({ id: 'evt-tpl-use-1', type: 'task.reminder', targetUserId: 'tpl-usage', payload: { task_name: 'Write the report', due_time: 'at 15:00' } });
    const first = await kit.finalDelivery('evt-tpl-use-1');
    expect(first.status).toBe('delivered');
    expect(first.smsMessages[0]).toMatchObject({ messageContent: 'Reminder: Write the report is due at 15:00.', templateKey: 'task_reminder', templateId: before.id });
    const afterOne = await template('task_reminder');
    expect(afterOne.usageCount).toBe(before.usageCount + 1);
    expect(afterOne.lastUsedAt).not.toBeNull();
    expect(afterOne.lastUsedAt!.getTime()).toBeGreaterThanOrEqual(before.lastUsedAt?.getTime() ?? 0);

    await kit.post({ id: 'evt-tpl-use-2', type: 'task.reminder', targetUserId: 'tpl-usage', payload: { task_name: 'Review', due_time: 'tomorrow' } });
    expect((await kit.finalDelivery('evt-tpl-use-2')).status).toBe('delivered');
    const afterTwo = await template('task_reminder');
    expect(afterTwo.usageCount).toBe(before.usageCount + 2);
    expect(afterTwo.lastUsedAt!.getTime()).toBeGreaterThanOrEqual(afterOne.lastUsedAt!.getTime());
    expect(kit.sendsTo(await kit.phoneOf(userId)).map((s) => s.body)).toContain('Reminder: Review is due tomorrow.');
  });

  it('uses a readable fallback text when no template exists for the event type', async () => {
    await warmUser('tpl-fallback', ['project.updated']);
    const payload = { project_id: 'p-1', project_name: 'Apollo', status: 'on track' };
    await kit.post({ id: 'evt-fallback', type: 'project.updated', targetUserId: 'tpl-fallback', payload });
    const d = await kit.finalDelivery('evt-fallback');
    expect(d.status).toBe('delivered');
    const sms = d.smsMessages[0]!;
    expect(sms.templateKey).toBeNull();
    expect(sms.templateId).toBeNull();
    // Built from the payload as stored (jsonb orders keys by length, then bytes).
    const stored = await hub.prisma.notificationEvent.findUniqueOrThrow({ where: { id: 'evt-fallback' } });
    expect(sms.messageContent).toBe(fallbackText('project.updated', stored.payload as Record<string, unknown>));
    expect(sms.messageContent).toMatch(/^Project updated: /);
    expect(sms.messageContent).toContain('Apollo');
    expect(sms.messageContent).not.toContain('p-1');
  });
});

describe('segments and encoding stored on sms_messages', () => {
  it.each([
    // 150 + 6 characters; the six € count twice: 162 septets → 2 GSM-7 segments (156 plain characters would be 1).
    ['GSM-7 with extension characters', `${'x'.repeat(150)}€€€€€€`, 'GSM-7', 2],
    ['GSM-7 exactly 160 septets (155 characters, five €)', `${'x'.repeat(150)}€€€€€`, 'GSM-7', 1],
    // 10 + 2 (surrogate pair) + 60 = 72 UTF-16 units > 70 → 2 UCS-2 segments.
    ['UCS-2 (emoji)', `Great job ${'👍'}${'z'.repeat(60)}`, 'UCS-2', 2],
    ['UCS-2 short', 'Bravo 🎉', 'UCS-2', 1],
  ] as const)('%s', async (name, text, encoding, segments) => {
    const externalId = `seg-${name.replace(/\W+/g, '-')}`;
    await warmUser(externalId, []);
    await kit.post({ id: `evt-${externalId}`, type: 'note.posted', targetUserId: externalId, payload: { text } });
    const d = await kit.finalDelivery(`evt-${externalId}`);
    expect(d.status).toBe('delivered');
    expect(d.smsMessages[0]).toMatchObject({ messageContent: text, encoding, segments });
    expect(countSegments(text)).toMatchObject({ encoding, segments });
  });
});

describe('tracked links', () => {
  it('replaces a URL by a short link on the public base URL; the redirect counts clicks; unknown codes are 404', async () => {
    const userId = await warmUser('links', ['brief.ready']);
    const phone = await kit.phoneOf(userId);
    await kit.post({ id: 'evt-link', type: 'note.posted', targetUserId: 'links', payload: { text: 'Your report: https://example.com/x. Also https://example.com/x again' } });
    await kit.post({ id: 'evt-link-brief', type: 'brief.ready', targetUserId: 'links', payload: { brief_url: 'https://example.com/briefs/2026-11-22?tab=today' } });
    const d = await kit.finalDelivery('evt-link');
    expect(d.status).toBe('delivered');
    const body = d.smsMessages[0]!.messageContent;
    expect(body).not.toContain('example.com');
    const codes = [...body.matchAll(/http:\/\/127\.0\.0\.1:3000\/l\/([A-Za-z0-9]+)/g)].map((m) => m[1]!);
    expect(codes).toHaveLength(2);
    expect(new Set(codes).size).toBe(1); // a URL repeated in one message is shortened once
    const code = codes[0]!;
    expect(code.length).toBeGreaterThanOrEqual(10);
    expect(body).toBe(`Your report: ${PUBLIC_BASE_URL}/l/${code}. Also ${PUBLIC_BASE_URL}/l/${code} again`);
    expect(kit.sendsTo(phone).find((s) => s.messageId === d.smsMessages[0]!.id)!.body).toBe(body);
    expect(await hub.prisma.smsClickTracking.findUniqueOrThrow({ where: { shortCode: code } }))
      .toMatchObject({ destinationUrl: 'https://example.com/x', deliveryId: d.id, smsMessageId: d.smsMessages[0]!.id, clickCount: 0, firstClickedAt: null });

    const click1 = await hub.gateway.inject({ method: 'GET', url: `/l/${code}` });
    expect(click1.statusCode).toBe(302);
    expect(click1.headers.location).toBe('https://example.com/x');
    const after1 = await hub.prisma.smsClickTracking.findUniqueOrThrow({ where: { shortCode: code } });
    expect(after1.clickCount).toBe(1);
    expect(after1.firstClickedAt).not.toBeNull();
    expect(after1.lastClickedAt).toEqual(after1.firstClickedAt);

    const click2 = await hub.gateway.inject({ method: 'GET', url: `/l/${code}` });
    expect(click2.statusCode).toBe(302);
    const after2 = await hub.prisma.smsClickTracking.findUniqueOrThrow({ where: { shortCode: code } });
    expect(after2.clickCount).toBe(2);
    expect(after2.firstClickedAt).toEqual(after1.firstClickedAt);
    expect(after2.lastClickedAt!.getTime()).toBeGreaterThanOrEqual(after1.lastClickedAt!.getTime());

    // A template variable holding a URL is tracked too (daily_brief_ready: {{brief_url}}).
    const brief = await kit.finalDelivery('evt-link-brief');
    const briefCode = /\/l\/([A-Za-z0-9]+)$/.exec(brief.smsMessages[0]!.messageContent)![1]!;
    const redirect = await hub.gateway.inject({ method: 'GET', url: `/l/${briefCode}` });
    expect(redirect.statusCode).toBe(302);
    expect(redirect.headers.location).toBe('https://example.com/briefs/2026-11-22?tab=today');

    expect((await hub.gateway.inject({ method: 'GET', url: '/l/Zz9Zz9Zz9Zz9' })).statusCode).toBe(404);
    expect((await hub.gateway.inject({ method: 'GET', url: '/l/x' })).statusCode).toBe(404);
  });
});

describe("opt-out footer ('first')", () => {
  it('ends the first SMS to a number with "Reply STOP to unsubscribe", counted in the segments; not the second', async () => {
    const userId = await seedUser(hub.prisma, { externalId: 'footer' });
    const phone = await kit.phoneOf(userId);
    // "Reminder: <name> is due soon." is 150 characters: one segment alone, two with the footer.
    const taskName = 'x'.repeat(150 - 'Reminder:  is due soon.'.length);
    await kit.post({ id: 'evt-footer-1', type: 'task.reminder', targetUserId: 'footer', payload: { task_name: taskName, due_time: 'soon' } });
    const first = (await kit.finalDelivery('evt-footer-1')).smsMessages[0]!;
    const text = `Reminder: ${taskName} is due soon.`;
    expect(countSegments(text).segments).toBe(1);
    expect(first.messageContent).toBe(`${text}${FOOTER}`);
    expect(first).toMatchObject({ segments: 2, encoding: 'GSM-7' });

    await kit.post({ id: 'evt-footer-2', type: 'task.reminder', targetUserId: 'footer', payload: { task_name: taskName, due_time: 'soon' } });
    const second = (await kit.finalDelivery('evt-footer-2')).smsMessages[0]!;
    expect(second).toMatchObject({ messageContent: text, segments: 1 });
    expect(kit.sendsTo(phone).map((s) => s.body)).toEqual([`${text}${FOOTER}`, text]);
  });
});
