import { describe, expect, it } from 'vitest';
import { compileEmailTemplate, previewEmail, renderEmail, sanitizeSubject, type CompiledEmailTemplate, type EmailTemplate } from '../src/index.ts';

const MJML = `<mjml><mj-body><mj-section><mj-column>
  <mj-text>Hello {{name}}, your task <b>{{ task.title }}</b> is due {{due}}.</mj-text>
  <mj-button href="{{url}}">Open {{task.title}}</mj-button>
  <mj-image src="{{img}}" alt="logo" />
</mj-column></mj-section></mj-body></mjml>`;

const template = (over: Partial<EmailTemplate> = {}): EmailTemplate => ({
  subject: 'Reminder: {{task.title}}', html: MJML, format: 'mjml', text: null, requiredVars: ['name'], ...over,
});

const vars = { name: 'Ada', task: { title: 'Pay rent' }, due: new Date('2026-01-02T03:04:05Z'), url: 'https://hub.example/t/1?a=1&b=2', img: 'https://cdn.example/logo.png' };

async function compiled(t: EmailTemplate = template()): Promise<CompiledEmailTemplate> {
  const r = await compileEmailTemplate(t);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.template;
}

describe('compileEmailTemplate', () => {
  it('compiles MJML to responsive HTML with the placeholders intact, in text and in href/src', async () => {
    const c = await compiled();
    expect(c.html).toMatch(/^<!doctype html>/i);
    expect(c.html).toContain('{{name}}');
    expect(c.html).toContain('href="{{url}}"');
    expect(c.html).toContain('src="{{img}}"');
    expect(c.htmlVars).toEqual(['name', 'task.title', 'due', 'url', 'img']);
    expect(c.subjectVars).toEqual(['task.title']);
  });

  it('reports invalid MJML with lines (strict validation)', async () => {
    const r = await compileEmailTemplate(template({ html: '<mjml><mj-body>\n<mj-text>x</mj-text>\n<mj-foo>y</mj-foo></mj-body></mjml>' }));
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.code).toBe('invalid_mjml');
    expect(r.errors.length).toBeGreaterThanOrEqual(2);
    expect(r.errors.every((e) => typeof e.message === 'string' && (e.line === null || Number.isInteger(e.line)))).toBe(true);
    expect(r.errors.map((e) => e.line)).toContain(3);
  });

  it('does not read included files (mj-include is ignored)', async () => {
    const r = await compileEmailTemplate(template({ html: '<mjml><mj-body><mj-include path="/etc/passwd" /></mj-body></mjml>' }));
    if (r.ok) expect(r.template.html).not.toContain('root:');
  });

  it("passes format 'html' through", async () => {
    const c = await compiled(template({ format: 'html', html: '<p>Hi {{name}}</p>' }));
    expect(c.html).toBe('<p>Hi {{name}}</p>');
  });
});

describe('renderEmail', () => {
  it('renders subject, escaped HTML and a derived text part', async () => {
    const r = renderEmail(await compiled(), vars);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.subject).toBe('Reminder: Pay rent');
    expect(r.html).toContain('Hello Ada, your task <b>Pay rent</b> is due 2026-01-02T03:04:05.000Z.');
    expect(r.html).toContain('href="https://hub.example/t/1?a=1&amp;b=2"');
    expect(r.html).not.toContain('{{');
    expect(r.text).toContain('Hello Ada, your task Pay rent is due');
    expect(r.text).toMatch(/Open Pay rent\s*\[https:\/\/hub\.example\/t\/1\?a=1&b=2\]/);
    expect(r.text.split('\n').every((l) => l.length <= 78 || !l.includes(' '))).toBe(true);
  });

  it('HTML-escapes every value: a payload cannot inject markup or leave an attribute', async () => {
    const c = await compiled(template({ format: 'html', html: '<p title="{{name}}">{{name}}</p><a href="https://x.example/?q={{name}}">x</a>' }));
    const r = renderEmail(c, { ...vars, name: '"><script>alert(1)</script><img src=x onerror=alert(1)>' });
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.html).not.toContain('<script>');
    expect(r.html).not.toContain('<img');
    expect(r.html).toContain('&quot;&gt;&lt;script&gt;');
    expect(r.html).toContain('title="&quot;&gt;&lt;script&gt;');
  });

  it.each([
    ['javascript:', 'javascript:alert(1)'],
    ['JavaScript: with spaces', '  JaVaScRiPt:alert(1)'],
    ['data:', 'data:text/html;base64,PHNjcmlwdD4='],
    ['vbscript:', 'vbscript:msgbox'],
    ['relative', '/t/1'],
    ['protocol-relative', '//evil.example/x'],
    ['blank', ' '],
    ['a tab-split scheme', 'java\tscript:alert(1)'],
  ])('a whole href/src value must be http(s)/mailto: refuses %s', async (_what, url) => {
    const r = renderEmail(await compiled(), { ...vars, url });
    expect(r).toMatchObject({ ok: false, code: 'unsafe_url', unsafe: ['url'] });
  });

  it('accepts mailto and normalises the URL (a quote or space cannot leave the attribute)', async () => {
    const c = await compiled(template({ format: 'html', html: "<a href='{{url}}'>a</a><a href={{url}}>b</a>" }));
    const r = renderEmail(c, { ...vars, url: 'https://x.example/a b"c' });
    expect(r.ok && r.html).toBe('<a href="https://x.example/a%20b%22c">a</a><a href="https://x.example/a%20b%22c">b</a>');
    const m = renderEmail(c, { ...vars, url: 'mailto:help@hub.example?subject=Hi' });
    expect(m.ok && m.html).toContain('href="mailto:help@hub.example?subject=Hi"');
  });

  it('the same variable as whole href and as text: URL-checked in the attribute, escaped in the text', async () => {
    const c = await compiled(template({ format: 'html', html: '<a href="{{url}}">{{url}}</a>' }));
    const r = renderEmail(c, { ...vars, url: 'https://x.example/?a=1&b=<2>' });
    expect(r.ok && r.html).toBe('<a href="https://x.example/?a=1&amp;b=%3C2%3E">https://x.example/?a=1&amp;b=&lt;2&gt;</a>');
  });

  it('missing_vars: a referenced variable without a value, or a required one blank', async () => {
    const c = await compiled();
    expect(renderEmail(c, { ...vars, url: undefined })).toMatchObject({ ok: false, code: 'missing_vars', missing: ['url'] });
    expect(renderEmail(c, { ...vars, name: '  ' })).toMatchObject({ ok: false, code: 'missing_vars', missing: ['name'] });
    expect(renderEmail(c, { ...vars, task: { title: { nested: true } } })).toMatchObject({ ok: false, code: 'missing_vars', missing: ['task.title'] });
    const required = await compiled(template({ requiredVars: ['name', 'unused'] }));
    expect(renderEmail(required, vars)).toMatchObject({ ok: false, code: 'missing_vars', missing: ['unused'] });
  });

  it('renders in one pass: a value holding {{x}} stays literal', async () => {
    const r = renderEmail(await compiled(), { ...vars, name: '{{url}}' });
    expect(r.ok && r.html).toContain('Hello {{url}},');
  });

  it('subject: control characters collapse (no header injection), blank → empty_subject', async () => {
    const c = await compiled(template({ subject: '{{task.title}}' }));
    const r = renderEmail(c, { ...vars, task: { title: 'Pay\r\nBcc: victim@example.org\tnow' } });
    expect(r.ok && r.subject).toBe('Pay Bcc: victim@example.org now');
    expect(renderEmail(await compiled(template({ subject: '{{due}}', requiredVars: [] })), { ...vars, due: '' })).toMatchObject({ ok: false, code: 'empty_subject' });
    expect(renderEmail(await compiled(template({ subject: '  \r\n ' })), vars)).toMatchObject({ ok: false, code: 'empty_subject' });
  });

  it('subject is cut to 998 characters', () => {
    expect(sanitizeSubject('x'.repeat(2000))).toHaveLength(998);
    expect([...sanitizeSubject('😀'.repeat(1000))]).toHaveLength(998);
  });

  it('a text template renders raw (not escaped); a blank one falls back to the HTML', async () => {
    const c = await compiled(template({ text: 'Hi {{name}} & <friends>: {{url}}' }));
    const r = renderEmail(c, { ...vars, name: '<Ada>' });
    expect(r.ok && r.text).toBe('Hi <Ada> & <friends>: https://hub.example/t/1?a=1&b=2');
    const blank = await compiled(template({ text: '{{due}}', requiredVars: [] }));
    const b = renderEmail(blank, { ...vars, due: '' });
    expect(b.ok && b.text).toContain('Hello Ada');
  });

  it('previewEmail compiles and renders with sample variables', async () => {
    expect(await previewEmail(template(), vars)).toMatchObject({ ok: true, subject: 'Reminder: Pay rent' });
    expect(await previewEmail(template({ html: '<mjml><mj-body><mj-foo/></mj-body></mjml>' }), vars)).toMatchObject({ ok: false, code: 'invalid_mjml' });
    expect(await previewEmail(template(), {})).toMatchObject({ ok: false, code: 'missing_vars' });
  });
});
