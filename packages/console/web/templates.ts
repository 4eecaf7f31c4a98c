import { html } from 'htm/preact';
import { useEffect, useState } from 'preact/hooks';
import type { VNode } from 'preact';
import { api, describeError } from './api.ts';
import { Badge, Outcome, PageTitle, Show, link, useAsync } from './ui.ts';

/** Templates: SMS and email lists; an editor with a live preview per channel. */

interface SmsTemplate { key: string; name: string; text: string; requiredVars: string[]; maxLength: number; sampleVars: Record<string, unknown>; isActive: boolean; usageCount: number }
interface EmailTemplate { key: string; name: string; subject: string; body: string; format: string; textBody: string | null; requiredVars: string[]; vars: string[]; isActive: boolean; usageCount: number }
interface SmsPreview { text: string; length: number; encoding: 'GSM-7' | 'UCS-2'; segments: number; ucs2Chars: string[] }
interface EmailPreview { subject: string; html: string; text: string }

/** Calls `fn` with the latest value, at most every `ms`. */
function useDebounced<T>(value: T, ms: number): T {
  const [v, setV] = useState(value);
  useEffect(() => {
    const t = setTimeout(() => setV(value), ms);
    return () => clearTimeout(t);
  }, [JSON.stringify(value)]);
  return v;
}

const parseVars = (s: string): Record<string, unknown> | string => {
  try {
    const v: unknown = JSON.parse(s || '{}');
    return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : 'the variables must be a JSON object';
  } catch {
    return 'the variables are not valid JSON';
  }
};

const Field = ({ id, label, children }: { id: string; label: string; children: VNode }) => html`<div class="field"><label for=${id}>${label}</label>${children}</div>`;
const value = (e: Event) => (e.target as HTMLInputElement | HTMLTextAreaElement).value;

function SmsEditor({ t, canWrite, price }: { t: SmsTemplate; canWrite: boolean; price: { country: string; price: number; currency: string } | null }): VNode {
  const [text, setText] = useState(t.text);
  const [vars, setVars] = useState(JSON.stringify(t.sampleVars, null, 2));
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [preview, setPreview] = useState<{ ok: true; p: SmsPreview } | { ok: false; error: string } | null>(null);
  const input = useDebounced({ text, vars }, 250);
  useEffect(() => {
    const v = parseVars(input.vars);
    if (typeof v === 'string') return setPreview({ ok: false, error: v });
    let live = true;
    api<SmsPreview>('/v1/templates/preview', { method: 'POST', body: { template: input.text, vars: v, requiredVars: t.requiredVars.filter((r) => input.text.includes(r)), maxLength: t.maxLength } })
      .then((p) => live && setPreview({ ok: true, p }), (e: unknown) => live && setPreview({ ok: false, error: describeError(e) }));
    return () => {
      live = false;
    };
  }, [input.text, input.vars]);
  const save = async (body: Record<string, unknown>, done: string) => {
    try {
      await api(`/v1/templates/${encodeURIComponent(t.key)}`, { method: 'PUT', body });
      setOutcome({ ok: true, text: done });
    } catch (e) {
      setOutcome({ ok: false, text: describeError(e) });
    }
  };
  const v = parseVars(vars);
  return html`<div class="editor">
    <form onSubmit=${(e: Event) => { e.preventDefault(); void save({ text, ...(typeof v === 'string' ? {} : { sampleVars: v }) }, 'Saved.'); }}>
      <${Field} id="sms-text" label="Text ({{var}} placeholders)"><textarea id="sms-text" rows="5" value=${text} onInput=${(e: Event) => setText(value(e))}></textarea><//>
      <${Field} id="sms-vars" label="Sample variables (JSON)"><textarea id="sms-vars" rows="5" value=${vars} onInput=${(e: Event) => setVars(value(e))}></textarea><//>
      <p class="muted">Required: ${t.requiredVars.join(', ') || 'none'}; at most ${t.maxLength} characters.</p>
      <div class="actions"><button type="submit" disabled=${!canWrite}>Save</button>
        <button type="button" class="danger" disabled=${!canWrite || !t.isActive} onClick=${() => save({ isActive: false }, 'Deactivated: events of its type now fall back to plain text.')}>Deactivate</button></div>
      <${Outcome} value=${outcome} />
    </form>
    <section class="preview" aria-labelledby="sms-preview-h" aria-live="polite"><h3 id="sms-preview-h">SMS preview</h3>
      ${!preview ? html`<p class="muted">…</p>` : !preview.ok ? html`<p class="error" role="alert">${preview.error}</p>` : html`
        <p class="sms" data-testid="sms-preview">${preview.p.text}</p>
        <dl class="facts">
          <dt>length</dt><dd data-testid="sms-length">${preview.p.length} characters</dd>
          <dt>encoding</dt><dd>${preview.p.encoding}${preview.p.ucs2Chars.length ? html` — forced by <span class="chars">${preview.p.ucs2Chars.map((c) => `“${c}” U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}`).join(', ')}</span>` : ''}</dd>
          <dt>segments</dt><dd data-testid="sms-segments">${preview.p.segments}</dd>
          ${price ? html`<dt>cost</dt><dd>${(preview.p.segments * price.price).toFixed(4)} ${price.currency} per message to ${price.country}</dd>` : null}
        </dl>`}
    </section></div>`;
}

function EmailEditor({ t, canWrite }: { t: EmailTemplate; canWrite: boolean }): VNode {
  const [f, setF] = useState({ subject: t.subject, body: t.body, textBody: t.textBody ?? '', vars: JSON.stringify(Object.fromEntries(t.vars.map((v) => [v, `<${v}>`])), null, 2) });
  const [outcome, setOutcome] = useState<{ ok: boolean; text: string } | null>(null);
  const [preview, setPreview] = useState<{ ok: true; p: EmailPreview } | { ok: false; error: string } | null>(null);
  const input = useDebounced(f, 400);
  const draft = (x: typeof f) => ({ subject: x.subject, body: x.body, format: t.format, textBody: x.textBody || null, requiredVars: t.requiredVars });
  useEffect(() => {
    const v = parseVars(input.vars);
    if (typeof v === 'string') return setPreview({ ok: false, error: v });
    let live = true;
    api<EmailPreview>('/v1/email-templates/preview', { method: 'POST', body: { ...draft(input), vars: v } })
      .then((p) => live && setPreview({ ok: true, p }), (e: unknown) => live && setPreview({ ok: false, error: describeError(e) }));
    return () => {
      live = false;
    };
  }, [JSON.stringify(input)]);
  const act = async (method: 'PUT' | 'DELETE', done: string) => {
    try {
      await api(`/v1/email-templates/${encodeURIComponent(t.key)}`, { method, ...(method === 'PUT' ? { body: { name: t.name, isActive: t.isActive, ...draft(f) } } : {}) });
      setOutcome({ ok: true, text: done });
    } catch (e) {
      setOutcome({ ok: false, text: describeError(e) });
    }
  };
  const set = (k: keyof typeof f) => (e: Event) => setF({ ...f, [k]: value(e) });
  return html`<div class="editor">
    <form onSubmit=${(e: Event) => { e.preventDefault(); void act('PUT', 'Saved.'); }}>
      <${Field} id="em-subject" label="Subject"><input id="em-subject" value=${f.subject} onInput=${set('subject')} /><//>
      <${Field} id="em-body" label=${`Body (${t.format})`}><textarea id="em-body" rows="10" value=${f.body} onInput=${set('body')}></textarea><//>
      <${Field} id="em-text" label="Text part (empty: derived from the HTML)"><textarea id="em-text" rows="4" value=${f.textBody} onInput=${set('textBody')}></textarea><//>
      <${Field} id="em-vars" label="Sample variables (JSON)"><textarea id="em-vars" rows="4" value=${f.vars} onInput=${set('vars')}></textarea><//>
      <div class="actions"><button type="submit" disabled=${!canWrite}>Save</button>
        <button type="button" class="danger" disabled=${!canWrite || !t.isActive} onClick=${() => act('DELETE', 'Deactivated: its event type now gets the generic email.')}>Deactivate</button></div>
      <${Outcome} value=${outcome} />
    </form>
    <section class="preview" aria-labelledby="em-preview-h"><h3 id="em-preview-h">Email preview</h3>
      ${!preview ? html`<p class="muted">…</p>` : !preview.ok ? html`<p class="error" role="alert">${preview.error}</p>` : html`
        <p><strong>Subject:</strong> <span data-testid="email-subject">${preview.p.subject}</span></p>
        <iframe sandbox="" title="Rendered HTML of the email" srcdoc=${preview.p.html} class="email-frame"></iframe>
        <h4>Text part</h4><pre class="text-part" data-testid="email-text">${preview.p.text}</pre>`}
    </section></div>`;
}

export function Templates({ channel, keyName, canWrite }: { channel: string | undefined; keyName: string | undefined; canWrite: boolean }): VNode {
  const [lists] = useAsync(() => Promise.all([
    api<{ items: SmsTemplate[] }>('/v1/templates'), api<{ items: EmailTemplate[] }>('/v1/email-templates'),
    api<{ currency: string; prices: Record<string, number> }>('/v1/metrics/cost?days=1').catch(() => null),
  ]), []);
  return html`<${PageTitle}>Templates<//>
    <${Show} state=${lists}>${([sms, email, cost]: [{ items: SmsTemplate[] }, { items: EmailTemplate[] }, { currency: string; prices: Record<string, number> } | null]) => {
      const smsT = channel === 'sms' ? sms.items.find((t) => t.key === keyName) : undefined;
      const emT = channel === 'email' ? email.items.find((t) => t.key === keyName) : undefined;
      const first = cost ? Object.entries(cost.prices)[0] : undefined;
      const price = cost && first ? { country: first[0], price: cost.prices.US ?? first[1], currency: cost.currency } : null;
      if (price && cost?.prices.US !== undefined) price.country = 'US';
      const row = (ch: string, t: { key: string; name: string; isActive: boolean; usageCount: number }) => html`<tr>
        <td><a href=${link(`/templates/${ch}/${encodeURIComponent(t.key)}`)} aria-current=${channel === ch && keyName === t.key ? 'page' : undefined}>${t.key}</a></td><td>${t.name}</td><td><${Badge} value=${t.isActive ? 'active' : 'inactive'} /></td><td>${t.usageCount}</td></tr>`;
      return html`<div class="two">
        <div>
          <table class="list"><caption>SMS templates</caption><thead><tr><th scope="col">key</th><th scope="col">name</th><th scope="col">state</th><th scope="col">used</th></tr></thead><tbody>${sms.items.map((t) => row('sms', t))}</tbody></table>
          <table class="list"><caption>Email templates</caption><thead><tr><th scope="col">key</th><th scope="col">name</th><th scope="col">state</th><th scope="col">used</th></tr></thead><tbody>${email.items.map((t) => row('email', t))}</tbody></table>
        </div>
        <div>${smsT ? html`<h2>SMS template ${smsT.key}</h2><${SmsEditor} key=${smsT.key} t=${smsT} canWrite=${canWrite} price=${price} />`
          : emT ? html`<h2>Email template ${emT.key}</h2><${EmailEditor} key=${emT.key} t=${emT} canWrite=${canWrite} />`
          : html`<p class="muted">Choose a template to edit it with a live preview.</p>`}</div>
      </div>`;
    }}<//>`;
}
