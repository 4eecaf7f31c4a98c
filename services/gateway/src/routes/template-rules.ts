import { characterCount, countSegments, extractTemplateVars, MIN_SHORT_CODE_LENGTH, renderTemplate, replaceLinks, type TemplateError } from '@hub/sms-rules';

/** Pure checks and previews of sms_templates, shared by the template routes and their tests. */

export const MAX_TEMPLATE_LENGTH = 1600;

export interface TemplateShape {
  text: string;
  requiredVars: string[];
  maxLength: number;
}

export type TemplateProblem =
  | { code: 'blank_template'; message: string }
  | { code: 'unknown_required_vars'; message: string; vars: string[] }
  | { code: 'template_too_long'; message: string; length: number; maxLength: number };

/**
 * A template is consistent when every required var is used in its text, and its fixed text
 * (placeholders removed) already fits max_length. Null when fine.
 */
export function templateProblem(t: TemplateShape): TemplateProblem | null {
  if (t.text.trim() === '') return { code: 'blank_template', message: 'the template is blank: it would fail every send' };
  const used = new Set(extractTemplateVars(t.text));
  const unknown = t.requiredVars.filter((v) => !used.has(v));
  if (unknown.length > 0) {
    return { code: 'unknown_required_vars', message: `required vars not used in the text: ${unknown.join(', ')}`, vars: unknown };
  }
  const fixed = characterCount(t.text.replace(/\{\{[^}]*\}\}/g, '').trim());
  if (fixed > t.maxLength) {
    return { code: 'template_too_long', message: `the text without its placeholders is ${fixed} characters, more than max_length ${t.maxLength}`, length: fixed, maxLength: t.maxLength };
  }
  return null;
}

export interface Preview {
  text: string;
  length: number;
  encoding: 'GSM-7' | 'UCS-2';
  segments: number;
  ucs2Chars: string[];
  vars: string[];
}

export type PreviewResult = { ok: true; preview: Preview } | { ok: false; error: TemplateError };

/**
 * Renders like the sms-adapter does and prices the result in segments: required vars, links
 * shown as the short links they become (<publicBaseUrl>/l/<code>, a sample code of the real
 * length), max_length checked on that text as the adapter checks it.
 */
export function previewTemplate(t: { text: string; requiredVars?: string[]; maxLength?: number | null }, vars: Record<string, unknown>, publicBaseUrl: string): PreviewResult {
  // Stricter than a send on purpose: every placeholder without a sample value is reported
  // (missing_vars), so an author sees each hole; a send renders a missing optional one as "".
  const rendered = renderTemplate(t.text, vars, { requiredVars: t.requiredVars ?? [] });
  if (!rendered.ok) return rendered;
  const link = `${publicBaseUrl.replace(/\/$/, '')}/l/${'x'.repeat(MIN_SHORT_CODE_LENGTH)}`;
  const text = replaceLinks(rendered.text, () => link);
  const length = characterCount(text);
  if (t.maxLength != null && length > t.maxLength) return { ok: false, error: { code: 'too_long', length, maxLength: t.maxLength } };
  const seg = countSegments(text);
  return { ok: true, preview: { text, length, encoding: seg.encoding, segments: seg.segments, ucs2Chars: seg.ucs2Chars, vars: rendered.usedVars } };
}

export function previewErrorMessage(e: TemplateError): string {
  switch (e.code) {
    case 'missing_vars':
      return `missing template vars: ${e.missing.join(', ')}`;
    case 'too_long':
      return `the rendered text is ${e.length} characters, more than max_length ${e.maxLength}`;
    case 'empty':
      return 'the rendered text is empty';
  }
}
