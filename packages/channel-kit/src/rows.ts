/**
 * Rows read as `to_jsonb(table)` (one query loads a delivery with its event, user, address
 * and message: Prisma's include would be one query per relation) turned back into the
 * Prisma models they are: every column's @map is the field's snake_case, and the timestamp
 * columns listed in `dateFields` (JSON carries them as ISO strings) become Dates.
 */
const camel = (column: string) => column.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());

export function rowToModel<T>(row: Record<string, unknown>, dateFields: ReadonlySet<string>): T {
  const out: Record<string, unknown> = {};
  for (const [column, value] of Object.entries(row)) {
    const field = camel(column);
    out[field] = dateFields.has(field) && typeof value === 'string' ? new Date(value) : value;
  }
  return out as T;
}
