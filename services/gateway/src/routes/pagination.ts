import { z } from 'zod';

/** Opaque cursor over (created_at DESC, id DESC): stable order, no skipped or repeated rows. */
export interface Cursor {
  createdAt: Date;
  id: string;
}

export function encodeCursor(c: Cursor): string {
  return Buffer.from(`${c.createdAt.toISOString()}|${c.id}`, 'utf8').toString('base64url');
}

export function decodeCursor(raw: string): Cursor | null {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const [at, id] = text.split('|');
  if (!at || !id || Number.isNaN(Date.parse(at)) || !/^[0-9a-f-]{36}$/.test(id)) return null;
  return { createdAt: new Date(at), id };
}

export const pageQuery = {
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
};

/** Prisma `where` fragment for "after this cursor" in (createdAt desc, id desc) order. */
export function afterCursor(c: Cursor | null) {
  if (!c) return {};
  return { OR: [{ createdAt: { lt: c.createdAt } }, { createdAt: c.createdAt, id: { lt: c.id } }] };
}
