/**
 * Marks a branch the type checker has proven unreachable. Used as the `default` of every
 * exhaustive `switch` over a closed list (statuses, error categories, keyword kinds), so
 * adding a member to the list is a compile error until every switch handles it, and a
 * value that slips past the types (bad data at runtime) fails loudly instead of silently.
 */
export function assertNever(value: never, context = 'value'): never {
  throw new Error(`Unexpected ${context}: ${describe(value)}`);
}

function describe(value: unknown): string {
  try {
    return JSON.stringify(value) ?? String(value);
  } catch {
    return String(value);
  }
}
