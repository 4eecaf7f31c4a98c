import { lookupVar, stringifyValue } from './template-values.ts';

/**
 * `{{var}}` templates (sms_templates.message_template).
 *
 * - A placeholder is `{{name}}` with optional spaces inside the braces; a name is letters,
 *   digits and underscores, starting with a letter or underscore, and may be a dotted path
 *   into nested objects (`{{task.name}}`). Anything else between braces is left as text.
 * - Rendering is one pass: a value that itself contains `{{x}}` is not expanded again.
 * - Every `requiredVars` entry must be supplied and not blank, whether or not the template
 *   references it; otherwise the result is `missing_vars`.
 * - A referenced variable that is not required and has no renderable value: with
 *   `missing: 'fail'` (the default, the email channel's rule) it is `missing_vars` too;
 *   with `missing: 'empty'` (the seeds' SMS rule, `vars[key] || ""`) it renders as "", and
 *   the spaces it leaves doubled are collapsed. SMS callers pass `'empty'`.
 * - The result is trimmed; a blank result is `empty`.
 * - `maxLength` counts characters (Unicode code points) of the final text, like the
 *   sms_templates.max_length column; null or undefined means no limit. Segment cost is a
 *   separate question (see segments.ts).
 */

export const TEMPLATE_ERROR_CODES = ['missing_vars', 'too_long', 'empty'] as const;
export type TemplateErrorCode = (typeof TEMPLATE_ERROR_CODES)[number];

export type TemplateError =
  | { code: 'missing_vars'; missing: string[] }
  | { code: 'too_long'; length: number; maxLength: number }
  | { code: 'empty' };

export type RenderResult = { ok: true; text: string; usedVars: string[] } | { ok: false; error: TemplateError };

export interface RenderOptions {
  requiredVars?: readonly string[];
  maxLength?: number | null;
  /** What a missing optional (not required) variable does: fail (default) or render as "". */
  missing?: 'fail' | 'empty';
}

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*\}\}/g;

/** The distinct variable names a template references, in order of first appearance. */
export function extractTemplateVars(template: string): string[] {
  const names = new Set<string>();
  for (const match of template.matchAll(PLACEHOLDER)) names.add(match[1] as string);
  return [...names];
}

export function renderTemplate(
  template: string,
  vars: Readonly<Record<string, unknown>>,
  options: RenderOptions = {},
): RenderResult {
  const referenced = extractTemplateVars(template);
  const values = new Map<string, string>();
  const missing = new Set<string>();

  const emptyOptional = options.missing === 'empty';
  let blanks = false;
  for (const name of referenced) {
    const value = stringifyValue(lookupVar(vars, name));
    if (value !== undefined) values.set(name, value);
    else if (emptyOptional) {
      values.set(name, '');
      blanks = true;
    } else missing.add(name);
  }
  for (const name of options.requiredVars ?? []) {
    const value = values.get(name) ?? stringifyValue(lookupVar(vars, name));
    if (value === undefined || value.trim() === '') missing.add(name);
  }
  if (missing.size > 0) return { ok: false, error: { code: 'missing_vars', missing: [...missing] } };

  let text = template.replace(PLACEHOLDER, (_whole, name: string) => values.get(name) ?? '');
  // An empty optional variable leaves "due  today" or "today ." behind: tidy only those gaps.
  if (blanks) text = text.replace(/[ \t]{2,}/g, ' ').replace(/ +([.,;:!?])/g, '$1');
  text = text.trim();
  if (text === '') return { ok: false, error: { code: 'empty' } };

  const maxLength = options.maxLength;
  if (maxLength !== null && maxLength !== undefined) {
    const length = characterCount(text);
    if (length > maxLength) return { ok: false, error: { code: 'too_long', length, maxLength } };
  }
  return { ok: true, text, usedVars: referenced };
}

/** Characters as people count them on a phone: code points, so an emoji is one. */
export function characterCount(text: string): number {
  let count = 0;
  for (const _char of text) count++;
  return count;
}
