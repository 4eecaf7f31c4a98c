import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The few public HTML pages of the gateway (email confirmation, unsubscribe): static markup,
 * no script at all, one stylesheet allowed by its hash, forms that post only to this origin,
 * never framed, never cached, no referrer (the token is in the URL).
 */

const STYLE = 'body{font-family:system-ui,sans-serif;max-width:32rem;margin:3rem auto;padding:0 1rem;line-height:1.5;color:#222}'
  + 'button{font-size:1rem;padding:.6rem 1.4rem;border-radius:.3rem;border:1px solid #245;background:#2a5db0;color:#fff;cursor:pointer}'
  + 'p.muted{color:#666;font-size:.9rem}';

const styleHash = createHash('sha256').update(STYLE).digest('base64');

export const PAGE_CSP = [
  "default-src 'none'",
  `style-src 'sha256-${styleHash}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => ENTITIES[c]!);

export interface Page {
  title: string;
  /** Paragraphs of plain text (escaped here). */
  paragraphs: readonly string[];
  /** A confirming button: a form POST to this same URL with these hidden fields. */
  form?: { button: string; fields?: Record<string, string> };
}

export function renderPage(page: Page): string {
  const form = page.form
    ? `<form method="post">${Object.entries(page.form.fields ?? {}).map(([k, v]) => `<input type="hidden" name="${escapeHtml(k)}" value="${escapeHtml(v)}">`).join('')}<button type="submit">${escapeHtml(page.form.button)}</button></form>`
    : '';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1"><meta name="robots" content="noindex"><title>${escapeHtml(page.title)}</title><style>${STYLE}</style></head>`
    + `<body><h1>${escapeHtml(page.title)}</h1>${page.paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('')}${form}</body></html>`;
}

export function sendPage(reply: FastifyReply, status: number, page: Page) {
  return reply
    .code(status)
    .header('content-security-policy', PAGE_CSP)
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .header('x-robots-tag', 'noindex')
    .type('text/html; charset=utf-8')
    .send(renderPage(page));
}

/** Whether the client asked for HTML (a browser) rather than JSON (a mailbox provider, an API client). */
export const wantsHtml = (request: FastifyRequest) => /\btext\/html\b/.test(String(request.headers.accept ?? ''));
