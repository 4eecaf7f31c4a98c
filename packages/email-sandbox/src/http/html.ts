import type { StoredMail } from '../types.ts';

/** Escapes text for an HTML text node or a double- or single-quoted attribute. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c] as string);
}

/**
 * The pages load nothing and run nothing; the mail's HTML is shown in a sandboxed srcdoc
 * iframe, which inherits this policy (no remote images, no scripts even if allowed).
 */
export const CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'self'";

const STYLE = `body{font:14px system-ui,sans-serif;margin:1.5rem;color:#222}table{border-collapse:collapse;width:100%}
td,th{border-bottom:1px solid #ddd;padding:.35rem .5rem;text-align:left;vertical-align:top}th{background:#f4f4f4}
pre{background:#f8f8f8;padding:.75rem;white-space:pre-wrap;word-break:break-word}iframe{width:100%;height:32rem;border:1px solid #ccc}
.ev{font:12px monospace;background:#eef;padding:0 .3rem;margin-right:.2rem;border-radius:3px}.muted{color:#777}`;

const page = (title: string, body: string): string =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head><body>${body}</body></html>`;

const events = (m: StoredMail): string => m.events.map((e) => `<span class="ev">${escapeHtml(e)}</span>`).join('') || '<span class="muted">none</span>';

/** Received mail, newest first. */
export function renderIndex(mails: readonly StoredMail[]): string {
  const rows = [...mails].reverse().map((m) =>
    `<tr><td>${escapeHtml(m.receivedAt)}</td><td>${escapeHtml(m.envelopeTo.join(', '))}</td>`
    + `<td><a href="/messages/${encodeURIComponent(m.queueId)}">${escapeHtml(m.subject || '(no subject)')}</a></td><td>${events(m)}</td></tr>`);
  const table = rows.length === 0
    ? '<p class="muted">No mail yet.</p>'
    : `<table><thead><tr><th>received</th><th>to</th><th>subject</th><th>events</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  return page('Email sandbox', `<h1>Email sandbox</h1><p>${mails.length} message(s)</p>${table}`);
}

/** One message: envelope, headers, the text part and the HTML part (sandboxed). */
export function renderMessage(m: StoredMail): string {
  const headerRows = Object.entries(m.headers).map(([k, v]) => `<tr><th>${escapeHtml(k)}</th><td>${escapeHtml(v)}</td></tr>`).join('');
  const body = [
    `<p><a href="/">&larr; all mail</a></p><h1>${escapeHtml(m.subject || '(no subject)')}</h1>`,
    '<table>',
    `<tr><th>queue id</th><td>${escapeHtml(m.queueId)}</td></tr>`,
    `<tr><th>envelope</th><td>${escapeHtml(m.envelopeFrom)} &rarr; ${escapeHtml(m.envelopeTo.join(', '))}</td></tr>`,
    `<tr><th>received</th><td>${escapeHtml(m.receivedAt)} (${m.size} bytes)</td></tr>`,
    `<tr><th>events</th><td>${events(m)}</td></tr>`,
    '</table><h2>Headers</h2><table>', headerRows, '</table>',
    '<h2>Text</h2>', m.text === null ? '<p class="muted">none</p>' : `<pre>${escapeHtml(m.text)}</pre>`,
    '<h2>HTML</h2>', m.html === null ? '<p class="muted">none</p>' : `<iframe sandbox title="HTML part" srcdoc="${escapeHtml(m.html)}"></iframe>`,
  ];
  return page(m.subject || 'Message', body.join(''));
}

export function renderNotFound(queueId: string): string {
  return page('Not found', `<p><a href="/">&larr; all mail</a></p><p>No message ${escapeHtml(queueId)}.</p>`);
}
