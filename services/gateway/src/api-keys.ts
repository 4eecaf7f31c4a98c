import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { PrismaClient } from '@hub/db';

export const SCOPES = ['events:write', 'admin:read', 'admin:write'] as const;
export type Scope = (typeof SCOPES)[number];

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

/**
 * API keys look like `hub_<prefix>_<secret>`. Only the SHA-256 of the secret is stored; the
 * whole key is shown once, at creation. admin:write implies admin:read.
 */
export async function createApiKey(prisma: PrismaClient, name: string, scopes: Scope[]): Promise<{ id: string; key: string; prefix: string; scopes: Scope[] }> {
  const prefix = randomBytes(6).toString('hex');
  const secret = randomBytes(24).toString('base64url');
  const row = await prisma.apiKey.create({ data: { name, prefix, secretHash: hash(secret), scopes } });
  return { id: row.id, key: `hub_${prefix}_${secret}`, prefix, scopes };
}

export interface AuthenticatedKey {
  id: string;
  name: string;
  scopes: Scope[];
}

export type KeyCheck = { ok: true; key: AuthenticatedKey } | { ok: false; reason: 'malformed' | 'unknown' | 'revoked' };

const KEY_PATTERN = /^hub_([0-9a-f]{12})_([A-Za-z0-9_-]{20,64})$/;

/** The key a request presents: `Authorization: Bearer <key>`, or the `x-api-key` header. */
export function presentedKey(headers: { authorization?: string | undefined; 'x-api-key'?: string | string[] | undefined }): string | undefined {
  const header = headers.authorization;
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  const x = headers['x-api-key'];
  return typeof x === 'string' ? x.trim() : undefined;
}

/** The public prefix of a well-formed key (its identity for rate limits and logs), else null. */
export function keyPrefix(presented: string | undefined): string | null {
  return presented ? (KEY_PATTERN.exec(presented)?.[1] ?? null) : null;
}

export async function verifyApiKey(prisma: PrismaClient, presented: string): Promise<KeyCheck> {
  const match = KEY_PATTERN.exec(presented);
  if (!match) return { ok: false, reason: 'malformed' };
  const row = await prisma.apiKey.findUnique({ where: { prefix: match[1]! } });
  if (!row) return { ok: false, reason: 'unknown' };
  const expected = Buffer.from(row.secretHash, 'hex');
  const actual = Buffer.from(hash(match[2]!), 'hex');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return { ok: false, reason: 'unknown' };
  if (row.revokedAt) return { ok: false, reason: 'revoked' };
  return { ok: true, key: { id: row.id, name: row.name, scopes: row.scopes as Scope[] } };
}

export function hasScope(key: AuthenticatedKey, needed: Scope): boolean {
  if (key.scopes.includes(needed)) return true;
  return needed === 'admin:read' && key.scopes.includes('admin:write');
}
