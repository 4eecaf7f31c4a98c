import escapeHtml from 'escape-html';
import { convert } from 'html-to-text';
import { compileEmailTemplate, type CompileResult, type CompiledEmailTemplate, type EmailTemplate } from './compile.ts';
import { safeEmailUrl } from './safe-url.ts';
import { sanitizeSubject } from './subject.ts';
import { placeholderPattern, resolveVars, substitute } from './template-vars.ts';

/**
 * Rendering a compiled email template for one message, by sms-rules' `{{var}}` rules:
 *
 * - every referenced variable must have a value and every required one be non-blank, or
 *   the result is `missing_vars` (never a message with a hole);
 * - HTML: every value is HTML-escaped, so a payload cannot inject markup or break out of an
 *   attribute; a variable that is a whole href/src/background/action/formaction/poster value
 *   must be an http(s) or mailto URL (`unsafe_url` otherwise: no `javascript:`);
 * - subject: plain text, control characters collapsed to spaces, trimmed, ≤ 998 characters;
 *   blank → `empty_subject`;
 * - text: the text template rendered raw, or — with none, or when it renders blank — derived
 *   from the rendered HTML (html-to-text, wrapped at 78, links shown). Always present.
 * - One pass: a value containing `{{x}}` is not expanded again.
 */
export type RenderEmailErrorCode = 'missing_vars' | 'empty_subject' | 'unsafe_url';

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export type RenderEmailResult =
  | ({ ok: true } & RenderedEmail)
  | { ok: false; code: RenderEmailErrorCode; missing?: string[]; unsafe?: string[]; message: string };

const URL_ATTRIBUTES = ['href', 'src', 'background', 'action', 'formaction', 'poster'];
const caseless = (word: string) => [...word].map((c) => `[${c}${c.toUpperCase()}]`).join('');
const URL_ATTRIBUTE = `\\b(${URL_ATTRIBUTES.map(caseless).join('|')})(\\s*=\\s*)`;

/**
 * One regex for the HTML: a placeholder that is a whole URL attribute value (double-, single-
 * or un-quoted), or any other placeholder; only for the names the HTML references.
 */
function htmlPattern(names: readonly string[]): RegExp | null {
  const ph = placeholderPattern(names)?.source;
  if (ph === undefined) return null;
  return new RegExp(`${URL_ATTRIBUTE}(?:"\\s*${ph}\\s*"|'\\s*${ph}\\s*'|${ph}(?=[\\s>/]))|${ph}`, 'g');
}

function renderHtml(html: string, names: readonly string[], values: ReadonlyMap<string, string>): { html: string; unsafe: string[] } {
  const unsafe = new Set<string>();
  const pattern = htmlPattern(names);
  if (pattern === null) return { html, unsafe: [] };
  const out = html.replace(pattern, (_whole, attr?: string, eq?: string, dq?: string, sq?: string, uq?: string, plain?: string) => {
    if (attr !== undefined) {
      const name = (dq ?? sq ?? uq) as string;
      const url = safeEmailUrl(values.get(name) ?? '');
      if (url === null) {
        unsafe.add(name);
        return `${attr}${eq}""`;
      }
      return `${attr}${eq}"${escapeHtml(url)}"`;
    }
    return escapeHtml(values.get(plain as string) ?? '');
  });
  return { html: out, unsafe: [...unsafe] };
}

/** The text part from the rendered HTML: the body only, wrapped at 78, links shown once. */
export function htmlToText(html: string): string {
  return convert(html, {
    wordwrap: 78,
    selectors: [
      { selector: 'a', options: { hideLinkHrefIfSameAsText: true, ignoreHref: false } },
      { selector: 'img', format: 'skip' },
    ],
  }).trim();
}

export function renderEmail(compiled: CompiledEmailTemplate, vars: Readonly<Record<string, unknown>>): RenderEmailResult {
  const referenced = [...new Set([...compiled.subjectVars, ...compiled.htmlVars, ...compiled.textVars])];
  const { values, missing } = resolveVars(referenced, compiled.requiredVars, vars);
  if (missing.length > 0) return { ok: false, code: 'missing_vars', missing, message: `missing template variables: ${missing.join(', ')}` };

  const html = renderHtml(compiled.html, compiled.htmlVars, values);
  if (html.unsafe.length > 0) {
    return { ok: false, code: 'unsafe_url', unsafe: html.unsafe, message: `not an http(s) or mailto URL: ${html.unsafe.join(', ')}` };
  }

  const raw = (names: readonly string[], template: string) => substitute(template, placeholderPattern(names), (n) => values.get(n) ?? '');
  const subject = sanitizeSubject(raw(compiled.subjectVars, compiled.subject));
  if (subject === '') return { ok: false, code: 'empty_subject', message: 'the subject renders blank' };

  const text = compiled.text === null ? '' : raw(compiled.textVars, compiled.text).trim();
  return { ok: true, subject, html: html.html, text: text !== '' ? text : htmlToText(html.html) };
}

/** Compile + render, for the gateway's template preview with sample variables. */
export async function previewEmail(template: EmailTemplate, sampleVars: Readonly<Record<string, unknown>>): Promise<RenderEmailResult | Extract<CompileResult, { ok: false }>> {
  const compiled = await compileEmailTemplate(template);
  if (!compiled.ok) return compiled;
  return renderEmail(compiled.template, sampleVars);
}
