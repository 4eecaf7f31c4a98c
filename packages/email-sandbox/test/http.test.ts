import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startRig, type Rig } from './support.ts';

let rig: Rig;
beforeEach(async () => {
  rig = await startRig();
});
afterEach(() => rig.close());

const api = async (method: string, path: string, json?: unknown) => {
  const res = await fetch(rig.sandbox.url + path, {
    method,
    ...(json === undefined ? {} : { body: JSON.stringify(json), headers: { 'content-type': 'application/json' } }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, body: text && res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : null };
};
const queueIdOf = (response: string) => /queued as (\w+)/.exec(response)?.[1] ?? '';

describe('web UI', () => {
  it('lists mail newest first with escaped values and a strict CSP', async () => {
    await rig.send({ to: 'a@example.com', subject: 'first' });
    await rig.send({ to: 'b@example.com', subject: '<script>alert(1)</script> & "q"' });
    const page = await api('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
    expect(page.text).not.toContain('<script>');
    expect(page.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;');
    expect(page.text.indexOf('alert(1)')).toBeLessThan(page.text.indexOf('first'));
  });

  it('shows one message: headers, text in <pre>, HTML in a sandboxed srcdoc iframe', async () => {
    const info = await rig.send({ to: 'a@example.com', subject: 's', text: 'a < b', html: '<p onclick="x()">hi "there"</p><script>evil()</script>' });
    const page = await api('GET', `/messages/${queueIdOf(info.response)}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('<pre>a &lt; b</pre>');
    expect(page.text).toContain('<iframe sandbox title="HTML part" srcdoc="&lt;p onclick=&quot;x()&quot;&gt;hi &quot;there&quot;&lt;/p&gt;&lt;script&gt;evil()&lt;/script&gt;"></iframe>');
    expect(page.text).not.toContain('<script>');
    expect((await api('GET', '/messages/NOPE')).status).toBe(404);
  });
});

describe('control API', () => {
  it('lists (optionally by recipient), fetches, deletes', async () => {
    const info = await rig.send({ to: 'a@example.com', subject: 'one' });
    await rig.send({ to: 'b@example.com', subject: 'two' });
    expect((await api('GET', '/api/messages')).body).toMatchObject({ count: 2 });
    const filtered = await api('GET', '/api/messages?to=B@example.com');
    expect(filtered.body).toMatchObject({ count: 1, messages: [{ subject: 'two' }] });
    const one = await api('GET', `/api/messages/${queueIdOf(info.response)}`);
    expect(one.body).toMatchObject({ subject: 'one', queueId: queueIdOf(info.response) });
    expect((await api('GET', '/api/messages/NOPE')).status).toBe(404);
    expect((await api('DELETE', '/api/messages')).status).toBe(204);
    expect(rig.sandbox.messages()).toHaveLength(0);
  });

  it('posts an event by hand; refuses unknown kinds and messages', async () => {
    const info = await rig.send({ to: 'a@example.com' });
    await rig.receiver.waitFor((e) => e.length === 2);
    const id = queueIdOf(info.response);
    const res = await api('POST', `/api/messages/${id}/events`, { event: 'click', url: 'https://hub.test/x' });
    expect(res).toMatchObject({ status: 200, body: { posted: true, event: 'click' } });
    expect(rig.receiver.events().at(-1)).toMatchObject({ event: 'click', url: 'https://hub.test/x', email: 'a@example.com' });
    expect(rig.sandbox.message(id)?.events).toEqual(['processed', 'delivered', 'click']);
    expect((await api('POST', `/api/messages/${id}/events`, { event: 'exploded' })).status).toBe(400);
    expect((await api('POST', '/api/messages/NOPE/events', { event: 'open' })).status).toBe(404);
    rig.sandbox.setWebhookUrl(null);
    expect((await api('POST', `/api/messages/${id}/events`, { event: 'open' })).body).toMatchObject({ error: 'no_webhook_url' });
  });

  it('sets and clears faults; reports stats; sets the webhook URL', async () => {
    expect((await api('POST', '/api/faults', { match: '*', fault: 'perm_fail_rcpt', times: 1 })).status).toBe(204);
    await expect(rig.send({ to: 'a@example.com' })).rejects.toMatchObject({ responseCode: 550 });
    await rig.send({ to: 'a@example.com' });
    expect((await api('POST', '/api/faults', { match: '*', fault: 'nope' })).status).toBe(400);
    expect((await api('POST', '/api/faults', { match: '*', fault: 'temp_fail_rcpt', times: 0 })).status).toBe(400);
    await api('POST', '/api/faults', { match: 'a@example.com', fault: 'temp_fail_rcpt' });
    expect((await api('DELETE', '/api/faults')).status).toBe(204);
    await rig.send({ to: 'a@example.com' });
    await rig.sandbox.waitFor((m) => m.events.length === 2);
    expect((await api('PUT', '/api/webhook-url', { url: null })).status).toBe(204);
    await rig.sandbox.drain();
    expect((await api('GET', '/api/stats')).body).toMatchObject({ accepted: 2, refused: 1, dropped: 0, webhookFailures: 0 });
  });
});

describe('one-click unsubscribe (RFC 8058)', () => {
  let target: FastifyInstance;
  let received: { contentType: string | undefined; body: string; url: string }[];
  beforeEach(async () => {
    received = [];
    target = Fastify();
    target.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_r, body, done) => done(null, body));
    target.post('/u/:token', (req, reply) => {
      received.push({ contentType: req.headers['content-type'], body: req.body as string, url: req.url });
      return reply.code(202).send();
    });
    await target.listen({ port: 0, host: '127.0.0.1' });
  });
  afterEach(() => target.close());
  const base = () => `http://127.0.0.1:${(target.server.address() as AddressInfo).port}`;

  it('POSTs List-Unsubscribe=One-Click form-encoded to the http(s) URL and answers the status it got', async () => {
    const info = await rig.send({
      to: 'a@example.com',
      headers: { 'List-Unsubscribe': `<mailto:unsub@hub.test?subject=x>, <${base()}/u/tok-1?x=1>`, 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' },
    });
    const res = await api('POST', `/api/messages/${queueIdOf(info.response)}/unsubscribe`);
    expect(res).toMatchObject({ status: 200, body: { status: 202, url: `${base()}/u/tok-1?x=1` } });
    expect(received).toEqual([{ contentType: 'application/x-www-form-urlencoded', body: 'List-Unsubscribe=One-Click', url: '/u/tok-1?x=1' }]);
  });

  it('refuses (422) without List-Unsubscribe-Post, without an http URL, or without the header', async () => {
    const noPost = await rig.send({ to: 'a@example.com', headers: { 'List-Unsubscribe': `<${base()}/u/1>` } });
    const mailtoOnly = await rig.send({ to: 'a@example.com', headers: { 'List-Unsubscribe': '<mailto:u@hub.test>', 'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click' } });
    const none = await rig.send({ to: 'a@example.com' });
    expect((await api('POST', `/api/messages/${queueIdOf(noPost.response)}/unsubscribe`)).body).toMatchObject({ error: 'no_one_click' });
    expect((await api('POST', `/api/messages/${queueIdOf(mailtoOnly.response)}/unsubscribe`)).body).toMatchObject({ error: 'no_http_url' });
    const res = await api('POST', `/api/messages/${queueIdOf(none.response)}/unsubscribe`);
    expect(res).toMatchObject({ status: 422, body: { error: 'no_list_unsubscribe' } });
    expect(received).toHaveLength(0);
  });
});
