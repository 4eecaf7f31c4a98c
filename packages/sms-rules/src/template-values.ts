/**
 * Turning template variables into text, safely: a value renders only when it has an
 * unambiguous, human-readable text form. Anything else (null, undefined, NaN, an invalid
 * Date, a plain object, a function) has none and counts as missing: a message never says
 * "undefined", "NaN" or "[object Object]".
 */

/** The text form of a variable value, or undefined when it has none. */
export function stringifyValue(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      return value;
    case 'number':
      return Number.isFinite(value) ? String(value) : undefined;
    case 'bigint':
    case 'boolean':
      return String(value);
    case 'object':
      if (value instanceof Date) return Number.isNaN(value.getTime()) ? undefined : value.toISOString();
      if (Array.isArray(value)) {
        const parts = value.map(stringifyValue);
        return parts.every((p): p is string => p !== undefined) ? parts.join(', ') : undefined;
      }
      return undefined;
    default:
      return undefined;
  }
}

/**
 * Looks a variable up by name: an own property of that exact name first, then a dotted
 * path through nested plain objects ("task.name"). Only own properties are read, so names
 * like "__proto__" or "constructor" never reach the prototype chain.
 */
export function lookupVar(vars: Readonly<Record<string, unknown>>, name: string): unknown {
  if (Object.hasOwn(vars, name)) return vars[name];
  if (!name.includes('.')) return undefined;
  let current: unknown = vars;
  for (const key of name.split('.')) {
    if (typeof current !== 'object' || current === null || !Object.hasOwn(current, key)) return undefined;
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}
