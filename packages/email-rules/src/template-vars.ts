import { extractTemplateVars, renderTemplate } from '@hub/sms-rules';
import { assertNever } from '@hub/sms-rules';

/**
 * The `{{var}}` rules of @hub/sms-rules, applied to email: which variables a template part
 * references and each one's text value — through sms-rules' own renderTemplate, so a value
 * renders (or counts as missing) exactly as it does in an SMS: strings as given, finite
 * numbers, booleans, valid Dates as ISO text, arrays of those joined with ', '; null,
 * undefined, NaN, plain objects are missing. Dotted names read nested own properties only.
 */

export { extractTemplateVars };

export interface ResolvedVars {
  /** Text value of every referenced variable that has one ('' for an explicitly blank value). */
  values: Map<string, string>;
  /** Referenced variables with no value, and required ones missing or blank. */
  missing: string[];
}

/**
 * One variable's text form by sms-rules' rules: rendering the template `{{name}}` alone.
 * (renderTemplate trims its result, so surrounding whitespace of a value is dropped;
 * a blank value is its 'empty' result.)
 */
function valueOf(name: string, vars: Readonly<Record<string, unknown>>): { kind: 'value'; text: string } | { kind: 'blank' } | { kind: 'missing' } {
  const r = renderTemplate(`{{${name}}}`, vars);
  if (r.ok) return { kind: 'value', text: r.text };
  switch (r.error.code) {
    case 'empty':
      return { kind: 'blank' };
    case 'missing_vars':
      return { kind: 'missing' };
    case 'too_long':
      // no maxLength is passed: unreachable, but a value still must not vanish silently
      return { kind: 'missing' };
    default:
      return assertNever(r.error, 'template error');
  }
}

export function resolveVars(referenced: readonly string[], required: readonly string[], vars: Readonly<Record<string, unknown>>): ResolvedVars {
  const values = new Map<string, string>();
  const missing = new Set<string>();
  for (const name of referenced) {
    const v = valueOf(name, vars);
    if (v.kind === 'value') values.set(name, v.text);
    else if (v.kind === 'blank') values.set(name, '');
    else missing.add(name);
  }
  // required: supplied and not blank, referenced or not (sms-rules' requiredVars check)
  const check = renderTemplate('', vars, { requiredVars: required });
  if (!check.ok && check.error.code === 'missing_vars') for (const name of check.error.missing) missing.add(name);
  return { values, missing: [...missing] };
}

/** A regex matching `{{ name }}` for exactly these names (sms-rules' placeholder syntax), global. */
export function placeholderPattern(names: readonly string[]): RegExp | null {
  if (names.length === 0) return null;
  const alternatives = [...names].sort((a, b) => b.length - a.length).map((n) => n.replace(/\./g, '\\.'));
  return new RegExp(`\\{\\{\\s*(${alternatives.join('|')})\\s*\\}\\}`, 'g');
}

/** One pass: a value containing `{{x}}` is not expanded again. */
export function substitute(template: string, pattern: RegExp | null, valueFor: (name: string) => string): string {
  return pattern === null ? template : template.replace(pattern, (_whole, name: string) => valueFor(name));
}
