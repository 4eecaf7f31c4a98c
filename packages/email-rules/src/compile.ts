import mjml from 'mjml';
import { extractTemplateVars } from './template-vars.ts';

/**
 * Compiling an email template once per template version: MJML → responsive HTML (mjml 5,
 * strict validation, mj-include ignored), with the `{{var}}` placeholders left intact (mjml
 * keeps them in text and in attribute values such as href/src). The result is plain data:
 * callers cache it per template version and render it per message (render.ts).
 */
export const EMAIL_TEMPLATE_FORMATS = ['mjml', 'html'] as const;
export type EmailTemplateFormat = (typeof EMAIL_TEMPLATE_FORMATS)[number];

export interface EmailTemplate {
  subject: string;
  /** MJML source (format 'mjml') or HTML (format 'html'). */
  html: string;
  format: EmailTemplateFormat;
  /** Text part template; null: derived from the rendered HTML. */
  text: string | null;
  requiredVars: string[];
}

export interface CompiledEmailTemplate {
  subject: string;
  /** The HTML to render, placeholders intact. */
  html: string;
  text: string | null;
  requiredVars: string[];
  /** Variables referenced by each part (sms-rules' extractTemplateVars). */
  subjectVars: string[];
  htmlVars: string[];
  textVars: string[];
}

export interface MjmlError {
  line: number | null;
  message: string;
}

export type CompileResult = { ok: true; template: CompiledEmailTemplate } | { ok: false; code: 'invalid_mjml'; errors: MjmlError[] };

interface MjmlValidationError {
  line?: unknown;
  message?: unknown;
}

function mjmlErrors(err: unknown): MjmlError[] {
  const list = typeof err === 'object' && err !== null && Array.isArray((err as { errors?: unknown }).errors) ? ((err as { errors: MjmlValidationError[] }).errors) : null;
  if (list && list.length > 0) {
    return list.map((e) => ({ line: typeof e.line === 'number' ? e.line : null, message: typeof e.message === 'string' ? e.message : String(e.message) }));
  }
  return [{ line: null, message: err instanceof Error ? err.message : String(err) }];
}

function compiled(t: EmailTemplate, html: string): CompiledEmailTemplate {
  return {
    subject: t.subject,
    html,
    text: t.text,
    requiredVars: [...t.requiredVars],
    subjectVars: extractTemplateVars(t.subject),
    htmlVars: extractTemplateVars(html),
    textVars: t.text === null ? [] : extractTemplateVars(t.text),
  };
}

export async function compileEmailTemplate(t: EmailTemplate): Promise<CompileResult> {
  if (t.format === 'html') return { ok: true, template: compiled(t, t.html) };
  try {
    const out = await mjml(t.html, { validationLevel: 'strict', ignoreIncludes: true });
    // strict validation throws; a soft error list is still refused, never half-rendered
    if (out.errors.length > 0) return { ok: false, code: 'invalid_mjml', errors: mjmlErrors({ errors: out.errors }) };
    return { ok: true, template: compiled(t, out.html) };
  } catch (err) {
    return { ok: false, code: 'invalid_mjml', errors: mjmlErrors(err) };
  }
}
