import { characterCount, countSegments, extractTemplateVars, renderTemplate, type TemplateError } from '@hub/sms-rules';

/** Pure checks and previews of sms_templates, shared by the template routes and their tests. */

export const MAX_TEMPLATE_LENGTH = 1600;

export interface TemplateShape {
  text: string;
  requiredVars: string[];
  maxLength: number;
}

export type TemplateProblem =
  | { code: 'unknown_required_vars'; message: string; vars: string[] }
  | { code: 'template_too_long'; message: string; length: number; maxLength: number };

/**
 * A template is consistent when every required var is used in its text, and its fixed text
 * (placeholders removed) already fits max_length. Null when fine.
 */
export function templateProblem(t: TemplateShape): TemplateProblem | null {
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

/** Renders like the sms-adapter does (required vars, max length) and prices the result in segments. */
export function previewTemplate(t: { text: string; requiredVars?: string[]; maxLength?: number | null }, vars: Record<string, unknown>): PreviewResult {
  const rendered = renderTemplate(t.text, vars, { requiredVars: t.requiredVars ?? [], maxLength: t.maxLength ?? null });
  if (!rendered.ok) return rendered;
  const seg = countSegments(rendered.text);
  return {
    ok: true,
    preview: { text: rendered.text, length: characterCount(rendered.text), encoding: seg.encoding, segments: seg.segments, ucs2Chars: seg.ucs2Chars, vars: rendered.usedVars },
  };
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
