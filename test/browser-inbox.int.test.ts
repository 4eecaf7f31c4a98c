import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { waitFor } from '@hub/testkit';
import { signInboxToken } from '@hub/gateway';
import { startHub, TEST_INBOX_KEY, type TestHub } from './support/hub.ts';
import { seedUser, uniqueEmail } from './support/seed.ts';

// Issue 13: the embeddable inbox example (examples/inbox, served at /inbox-example) in
// headless Chromium (Debian's /usr/bin/chromium, driven by playwright-core): an event
// published through the API appears live, the user marks it read, and the escalation that
// was waiting on it is cancelled.

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
let hub: TestHub;
let browser: Browser;
let apiKey: string;

beforeAll(async () => {
  hub = await startHub();
  apiKey = await hub.apiKey(['events:write', 'admin:read', 'admin:write']);
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
}, 60_000);
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

describe.skipIf(!existsSync(CHROMIUM))('inbox example in a browser', () => {
  it('shows a new item live, marks it read, and the pending escalation is cancelled', async () => {
    const put = await hub.gateway.inject({
      method: 'PUT', url: '/v1/routing-policies/browser.task', headers: { authorization: `Bearer ${apiKey}` },
      payload: { fallback: ['inapp', 'email'], escalation: [{ channel: 'email', afterSeconds: 600 }] },
    });
    expect(put.statusCode).toBe(200);
    await seedUser(hub.prisma, { externalId: 'browser-user', email: uniqueEmail(), channels: ['inapp', 'email'], subscriptions: ['browser.task'] });
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${hub.gatewayUrl}/inbox-example?token=${encodeURIComponent(signInboxToken(TEST_INBOX_KEY, 'browser-user'))}`);
    await page.locator('#status', { hasText: 'live' }).waitFor({ timeout: 15_000 });
    expect(await page.locator('li').count()).toBe(0);

    const t0 = performance.now();
    const res = await hub.gateway.inject({
      method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${apiKey}` },
      payload: { id: 'browser-evt-1', type: 'browser.task', targetUserId: 'browser-user', payload: { title: 'Quarterly report', message: 'Review <b>it</b> today' } },
    });
    expect(res.statusCode).toBe(202);
    const item = page.locator('li.unread', { hasText: 'Quarterly report' });
    await item.waitFor({ timeout: 15_000 });
    console.log(`event POST -> item shown in the browser: ${Math.round(performance.now() - t0)} ms`);
    // Text, not markup: the payload's tags are shown as typed.
    expect(await item.locator('p').textContent()).toBe('Review <b>it</b> today');
    await page.locator('#unread', { hasText: '1' }).waitFor({ timeout: 5_000 });
    expect((await hub.prisma.scheduledJob.findFirstOrThrow({ where: { kind: 'routing_escalation' } })).status).toBe('pending');

    await item.locator('button.mark-read').click();
    await page.locator('li.read', { hasText: 'Quarterly report' }).waitFor({ timeout: 5_000 });
    await page.locator('#unread', { hasText: '0' }).waitFor({ timeout: 5_000 });

    const timeline = await hub.gateway.inject({ method: 'GET', url: '/v1/events/browser-evt-1/routing/browser-user', headers: { authorization: `Bearer ${apiKey}` } });
    const body = timeline.json() as { steps: { kind: string; channel: string }[]; deliveries: { channel: string; status: string; readAt: string | null }[] };
    expect(body.steps.map((s) => `${s.kind}:${s.channel}`)).toEqual(['routed:inapp', 'escalation_scheduled:email', 'escalation_cancelled:email']);
    expect(body.deliveries).toHaveLength(1);
    expect(body.deliveries[0]).toMatchObject({ channel: 'inapp', status: 'delivered' });
    expect(body.deliveries[0]!.readAt).not.toBeNull();
    expect((await hub.prisma.scheduledJob.findFirstOrThrow({ where: { kind: 'routing_escalation' } })).status).toBe('cancelled');

    // A reload resumes from the list: still one item, no duplicate from the stream.
    await page.reload();
    await page.locator('#status', { hasText: 'live' }).waitFor({ timeout: 15_000 });
    await hub.gateway.inject({
      method: 'POST', url: '/v1/events', headers: { authorization: `Bearer ${apiKey}` },
      payload: { id: 'browser-evt-2', type: 'browser.task', targetUserId: 'browser-user', payload: { title: 'Second', message: 'two' } },
    });
    await page.locator('li', { hasText: 'Second' }).waitFor({ timeout: 15_000 });
    await waitFor(async () => (await page.locator('li').count()) === 2 || null, { timeoutMs: 5_000, what: 'two items' });
    expect(errors).toEqual([]);
    await page.close();
  });
});
