import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';

export interface MigrationFile {
  /** The folder name, e.g. `20261122000000_init`: `_prisma_migrations.migration_name`. */
  name: string;
  sql: string;
  /** SHA-256 hex of migration.sql, as `prisma migrate deploy` records it. */
  checksum: string;
}

export const sha256Hex = (text: string): string => createHash('sha256').update(text, 'utf8').digest('hex');

/**
 * Whether a recorded checksum belongs to this script. Like Prisma, a file whose line endings
 * were converted (a Windows checkout) still matches.
 */
export function checksumMatches(recorded: string, sql: string): boolean {
  if (recorded === sha256Hex(sql)) return true;
  const lf = sql.replace(/\r\n/g, '\n');
  return recorded === sha256Hex(lf) || recorded === sha256Hex(lf.replace(/\n/g, '\r\n'));
}

/** `<dir>/*\/migration.sql`, in name order (Prisma's order). Folders without one are skipped. */
export async function readMigrations(dir: string): Promise<MigrationFile[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory()).map((e) => e.name).sort((a, b) => a.localeCompare(b));
  const out: MigrationFile[] = [];
  for (const name of names) {
    const sql = await readFile(path.join(dir, name, 'migration.sql'), 'utf8').catch(() => null);
    if (sql !== null) out.push({ name, sql, checksum: sha256Hex(sql) });
  }
  return out;
}

/** migration_lock.toml, when present, must name postgresql (Prisma refuses a provider switch). */
export async function checkLockfile(dir: string): Promise<string | null> {
  const text = await readFile(path.join(dir, 'migration_lock.toml'), 'utf8').catch(() => null);
  if (text === null) return null;
  const provider = /^\s*provider\s*=\s*"([^"]*)"/m.exec(text)?.[1];
  return provider === 'postgresql' ? null : `migration_lock.toml names provider "${provider ?? '?'}", not "postgresql"`;
}
