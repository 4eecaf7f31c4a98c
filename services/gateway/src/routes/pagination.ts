import { z } from 'zod';
import { isStorableTime } from '@hub/contracts';

/** Opaque cursor over (created_at DESC, id DESC): stable order, no skipped or repeated rows. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.createdAt.toISOString()}|${c.id}`, 'utf8').toString('base64url');
}

/** Longer than any cursor encodeCursor writes (24 + 1 + 36 bytes → 84 base64url characters). */
export const MAX_CURSOR_LENGTH = 200;

/** What encodeCursor writes: a UTC ISO instant with milliseconds, '|', a lower-case UUID. */
const CURSOR_TEXT = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z)\|([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/;

/**
 * The cursor encodeCursor made, or null for anything else (the routes answer 400
 * invalid_cursor): only base64url text, exactly the encoded form (a date that round-trips,
 * inside PostgreSQL's range; a UUID, not 36 dashes), so a crafted cursor never reaches SQL.
 */
export function decodeCursor(raw: string): Cursor | null {
  if (raw.length === 0 || raw.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(raw)) return null;
  const match = CURSOR_TEXT.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  if (!match) return null;
  const [, at, id] = match as unknown as [string, string, string];
  if (!isStorableTime(at)) return null;
  const createdAt = new Date(at);
  if (createdAt.toISOString() !== at) return null; // 2026-02-30… parses, but is not what we wrote
  return { createdAt, id };
}


export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(MAX_CURSOR_LENGTH).optional().describe('nextCursor of the previous page (opaque)'),
};

/** Prisma `where` fragment for "after this cursor" in (createdAt desc, id desc) order. */
export function afterCursor(c: Cursor | null) {
  if (!c) return {};
  return { OR: [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }] };
}
