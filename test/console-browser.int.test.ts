import { readFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { waitFor } from '@hub/testkit';
import { startHub, type TestHub } from './support/hub.ts';
import { postReminder } from './support/events.ts';
import { seedUser, uniqueEmail, uniquePhone } from './support/seed.ts';
import { buildConsole } from '@hub/console';

/** expect.poll waits 1 s by default: the health verdict and API calls take longer on a busy 2-core machine. */
const POLL = { timeout: 15_000, interval: 100 };

/**
 * The admin console (docs/console.md) in Debian's chromium, headless, against a real hub with
 * a real delivery: log in with a key, the overview, search the delivery, its timeline and a
 * refused cancel in words, template previews (SMS segments and encoding, email HTML in a
 * sandboxed frame), a read-only key, axe-core with no serious violations, the CSP.
 * Screenshots go to .cache/console-screenshots/.
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(process.cwd(), '.cache', 'console-screenshots');
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let hub: TestHub;
let browser: Browser;
let adminKey: string;
let readerKey: string;
let deliveryId: string;
const eventId = `console-${Date.now()}`;

beforeAll(async () => {
  hub = await startHub();
  [adminKey, readerKey] = await Promise.all([hub.apiKey(['admin:write', 'events:write']), hub.apiKey(['admin:read'])]);
  await seedUser(hub.prisma, { externalId: 'console-user', email: uniqueEmail('console'), channels: ['sms', 'email'] });
  await postReminder(hub, adminKey, eventId, 'console-user');
  const delivered = await waitFor(async () => {
    const rows = await hub.prisma.notificationDelivery.findMany({ where: { eventId } });
    return rows.length === 2 && rows.every((r) => r.status === 'delivered') ? rows : null;
  }, { what: 'both deliveries delivered' });
  deliveryId = delivered.find((d) => d.channel === 'sms')!.id;
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--no-sandbox'] });
  mkdirSync(SHOTS, { recursive: true });
}, 120_000);
afterAll(async () => {
  await browser?.close();
  await hub?.stop();
});

async function loggedIn(key: string): Promise<Page> {
  const page = await browser.newPage();
  page.on('pageerror', (err) => { throw err; });
  await page.goto(`${hub.gatewayUrl}/console`);
  await page.getByLabel('Admin API key').fill(key);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { level: 1, name: 'Overview' }).waitFor();
  return page;
}

/** axe-core in the page (evaluated through the DevTools protocol: the page's CSP forbids inline scripts). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(axeSource);
  // Browser-side code as strings: this file is type-checked without the DOM library.
  const result = await page.evaluate<{ id: string; impact: string | null; nodes: unknown[] }[]>(
    'axe.run(document).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target) })))');
  return result.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes)}`);
}

describe('console', () => {
  it('serves its pages with a CSP that forbids inline scripts (only there), hidden from OpenAPI', async () => {
    const firstRequest = Date.now();
    const page = await fetch(`${hub.gatewayUrl}/console`);
    // Figures, not targets: the first request of a process pays the esbuild build.
    console.log(`[console] first GET /console of the process (esbuild build included): ${Date.now() - firstRequest} ms`);
    const { sizes } = await buildConsole();
    for (const f of sizes) console.log(`[console] ${f.file}: ${f.bytes} B (${f.gzipBytes} B gzip)`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    const scriptSrc = csp.split(';').map((d) => d.trim()).find((d) => d.startsWith('script-src'));
    expect(scriptSrc).toBe("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    const html = await page.text();
    const js = /src="\/console\/(main-[A-Z0-9]+\.js)"/.exec(html)?.[1];
    expect(js).toBeTruthy();
    expect(html).not.toMatch(/<script>(?!<\/script>)/); // no inline script in the page
    const bundle = await fetch(`${hub.gatewayUrl}/console/${js}`);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    expect(bundle.headers.get('content-security-policy')).toBe(csp);
    expect((await fetch(`${hub.gatewayUrl}/console/nope.js`)).status).toBe(404);
    expect((await fetch(`${hub.gatewayUrl}/health`)).headers.get('content-security-policy')).toBeNull();
    const doc = await (await fetch(`${hub.gatewayUrl}/docs/json`)).json() as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths).filter((p) => p.startsWith('/console'))).toEqual([]);
  });

  it('logs in, shows the overview, finds the delivery and its timeline, refuses a cancel in words; no serious axe violations', async () => {
    const started = Date.now();
    const page = await loggedIn(adminKey);
    await expect.poll(() => page.getByTestId('verdict').textContent(), POLL).toMatch(/^(GREEN|YELLOW|RED) — /);
    await page.locator('figure.chart canvas').nth(1).waitFor();
    // A figure, not a target (targets belong to the bench): printed for the record.
    console.log(`[console] login to overview with charts: ${Date.now() - started} ms`);
    // Only the key is stored, and only for this tab.
    expect(await page.evaluate('({ session: Object.keys(sessionStorage), local: localStorage.length })')).toEqual({ session: ['hub.console.apiKey'], local: 0 });
    // An inline script is refused by the CSP.
    expect(await page.evaluate(`(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inline = true';
      document.body.append(s);
      return window.__inline ?? false;
    })()`)).toBe(false);
    await expect.poll(() => page.getByTestId('consumer-lag').textContent(), POLL).toMatch(/sms-adapter.*notify\.deliveries\.sms\.v1/s);
    await expect.poll(() => page.getByTestId('live-status').textContent(), POLL).toBe('Live');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'overview.png'), fullPage: true });

    await page.getByRole('link', { name: 'Deliveries' }).click();
    await page.getByLabel('Event id').fill(eventId);
    await page.getByLabel('Channel').fill('sms');
    await page.keyboard.press('Enter');
    // The unfiltered list shown before the search may hold the same row: wait for the filtered one.
    await expect.poll(() => page.url(), POLL).toMatch(/#\/deliveries\?.*channel=sms/);
    await expect.poll(() => page.locator('table.list tbody tr').count(), POLL).toBe(1);
    const row = page.getByRole('link', { name: /Timeline of the sms delivery to console-user, delivered/ });
    await row.waitFor();
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'deliveries.png'), fullPage: true });

    await row.click();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    expect(page.url()).toContain(`#/deliveries/${deliveryId}`);
    const timeline = page.getByRole('list', { name: 'Timeline, oldest first' });
    await expect.poll(() => timeline.textContent(), POLL).toMatch(/SMS delivered.*source: /s);
    await page.getByRole('button', { name: 'Cancel delivery' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), POLL).toContain('Not cancelled: the delivery has already reached a final state.');
    await page.getByRole('button', { name: 'Resend' }).click();
    await expect.poll(() => page.getByRole('alert').textContent(), POLL).toContain('Not resent: only a failed delivery can be sent again.');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'delivery.png'), fullPage: true });

    await page.getByRole('link', { name: eventId, exact: true }).click();
    await page.getByRole('heading', { level: 2, name: eventId }).waitFor();
    await expect.poll(() => page.locator('main').textContent(), POLL).toMatch(/sms.*1 delivered/s);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'event.png'), fullPage: true });
    await page.close();
  });

  it('previews templates live: SMS length, encoding and segments; email HTML in a sandboxed frame and its text part', async () => {
    const page = await loggedIn(adminKey);
    await page.getByRole('link', { name: 'Templates' }).click();
    await page.getByRole('link', { name: 'task_reminder' }).first().click();
    const text = page.getByLabel('Text ({{var}} placeholders)');
    await text.fill('Hi {{task_name}}');
    await page.getByLabel('Sample variables (JSON)').fill('{"task_name":"Zażółć"}');
    await expect.poll(() => page.getByTestId('sms-preview').textContent(), POLL).toBe('Hi Zażółć');
    expect(await page.getByTestId('sms-segments').textContent()).toBe('1');
    await expect.poll(() => page.locator('.preview').textContent(), POLL).toMatch(/UCS-2 — forced by/);
    await text.fill(`Hi {{task_name}} ${'x'.repeat(150)}`);
    await expect.poll(() => page.getByTestId('sms-segments').textContent(), POLL).toBe('3');
    await page.getByLabel('Sample variables (JSON)').fill('{"task_name":');
    await expect.poll(() => page.locator('.preview [role=alert]').textContent(), POLL).toContain('not valid JSON');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'template-sms.png'), fullPage: true });

    await page.getByRole('link', { name: 'task_reminder' }).nth(1).click();
    await page.getByRole('heading', { name: 'Email template task_reminder' }).waitFor();
    await page.getByLabel('Sample variables (JSON)').fill('{"task_name":"<b>Ship</b>","due_time":"5pm"}');
    const frame = page.locator('iframe.email-frame');
    await expect.poll(async () => (await frame.getAttribute('srcdoc')) ?? '', POLL).toContain('&lt;b&gt;Ship&lt;/b&gt;');
    expect(await frame.getAttribute('sandbox')).toBe('');
    await expect.poll(() => page.getByTestId('email-text').textContent(), POLL).toContain('<b>Ship</b>');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'template-email.png'), fullPage: true });
    await page.close();
  });

  it('first load of a fresh tab on localhost (printed, not asserted)', async () => {
    const context = await browser.newContext();
    const page = await context.newPage();
    const started = Date.now();
    await page.goto(`${hub.gatewayUrl}/console`);
    await page.getByLabel('Admin API key').waitFor();
    const nav = await page.evaluate<{ load: number; transfer: number }>(
      '(() => { const n = performance.getEntriesByType("navigation")[0]; const r = performance.getEntriesByType("resource"); return { load: Math.round(n.loadEventEnd), transfer: n.transferSize + r.reduce((t, e) => t + e.transferSize, 0) }; })()');
    console.log(`[console] first load, empty browser cache: login form after ${Date.now() - started} ms (load event ${nav.load} ms, ${nav.transfer} B transferred)`);
    await context.close();
  });

  it('shows an event published through the API live: the delivery appears and reaches delivered, its open timeline fills in, without reload', async () => {
    const phone = uniquePhone();
    await seedUser(hub.prisma, { externalId: 'console-live', phone, channels: ['sms'] });
    // Slow callbacks (queued, sent, delivered 1.5 s apart), so there is something to watch.
    hub.sandbox.setScenario(phone, { delayMs: 1_500, queuedCallback: true });
    const page = await loggedIn(adminKey);
    await expect.poll(() => page.getByTestId('live-status').textContent(), POLL).toBe('Live');
    await page.getByRole('link', { name: 'Deliveries' }).click();
    await page.getByLabel('Recipient id').fill('console-live');
    await page.keyboard.press('Enter');
    await expect.poll(() => page.url(), POLL).toMatch(/userId=console-live/);
    await page.getByText('No deliveries match.').waitFor();
    await page.evaluate('window.__sameDocument = true');
    const publish = async (id: string) => {
      const res = await fetch(`${hub.gatewayUrl}/v1/events`, {
        method: 'POST', headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
        body: JSON.stringify({ id, type: 'task.reminder', targetUserId: 'console-live', payload: { task_name: id, due_time: 'soon' } }),
      });
      expect(res.status).toBe(202);
      return Date.now();
    };
    const published = await publish(`console-live-1-${Date.now()}`);
    const first = page.getByRole('link', { name: /Timeline of the sms delivery to console-live, (pending|sent)$/ });
    await first.waitFor({ timeout: 15_000 });
    console.log(`[console] live: the new delivery appeared in the list ${Date.now() - published} ms after the POST`);
    await page.getByRole('link', { name: 'Timeline of the sms delivery to console-live, delivered' }).waitFor({ timeout: 20_000 });
    console.log(`[console] live: shown delivered ${Date.now() - published} ms after the POST`);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(await page.getByTestId('live-note').textContent()).toContain('1 new since the page loaded');
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'deliveries-live.png'), fullPage: true });

    // A second one, opened while it is still on its way: its timeline grows by itself.
    await publish(`console-live-2-${Date.now()}`);
    const second = page.getByRole('link', { name: /Timeline of the sms delivery to console-live, (pending|sent)$/ });
    await second.waitFor({ timeout: 15_000 });
    await second.click();
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    const timeline = page.getByRole('list', { name: 'Timeline, oldest first' });
    expect(await timeline.textContent()).not.toMatch(/SMS delivered/);
    await expect.poll(() => timeline.textContent(), { timeout: 20_000, interval: 200 }).toMatch(/SMS delivered.*source: callback/s);
    await expect.poll(() => page.getByTestId('delivery-status').textContent(), POLL).toBe('delivered');
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'delivery-live.png'), fullPage: true });
    await page.close();
  }, 90_000);

  it('shows a recipient with its opt-out history; an admin opt-out and opt-in are added to it', async () => {
    const page = await loggedIn(adminKey);
    await page.getByRole('link', { name: 'Recipients' }).click();
    await page.getByRole('textbox', { name: 'Recipient id' }).fill('console-user');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Opt-out history' }).waitFor();
    await page.getByText('No opt-out or opt-in recorded.').waitFor();
    await page.getByRole('button', { name: 'Opt out of SMS' }).click();
    await expect.poll(() => page.getByTestId('opt-history').textContent(), POLL).toMatch(/sms.*opted out.*admin/s);
    await page.getByRole('button', { name: 'Opt in to SMS' }).click();
    await expect.poll(() => page.locator('[data-testid=opt-history] tbody tr').count(), POLL).toBe(2);
    expect(await page.locator('[data-testid=opt-history] tbody tr').first().textContent()).toMatch(/opted in/);
    expect(await seriousViolations(page)).toEqual([]);
    await page.screenshot({ path: join(SHOTS, 'recipient.png'), fullPage: true });
    await page.close();
  });

  it('is read-only with an admin:read key', async () => {
    const page = await loggedIn(readerKey);
    await expect.poll(() => page.locator('.who').textContent(), POLL).toBe('admin:read (read-only)');
    await page.goto(`${hub.gatewayUrl}/console#/deliveries/${deliveryId}`);
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    expect(await page.getByRole('button', { name: 'Resend' }).isDisabled()).toBe(true);
    expect(await page.getByRole('button', { name: 'Cancel delivery' }).isDisabled()).toBe(true);
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.getByLabel('Admin API key').waitFor();
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await page.close();
  });
});
