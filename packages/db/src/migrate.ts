import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { checkLockfile, checksumMatches, readMigrations } from './migration-files.ts';

export interface MigrateOptions {
  databaseUrl: string;
  /** prisma/migrations */
  migrationsDir: string;
  log?: (message: string) => void;
}

export interface MigrateResult {
  /** Migrations applied by this call, in order. */
  applied: string[];
  /** Migrations found already applied (by this runner, another process or `prisma migrate deploy`). */
  alreadyApplied: string[];
}

/** Thrown when the recorded history and the migration files disagree, or a migration fails. */
export class MigrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MigrationError';
  }
}

// Prisma's history table, column for column (the DDL the schema engine runs on PostgreSQL),
// so `prisma migrate deploy` on a machine with the engine reads the same history.
const HISTORY_DDL = `
CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    id                      VARCHAR(36) PRIMARY KEY NOT NULL,
    checksum                VARCHAR(64) NOT NULL,
    finished_at             TIMESTAMPTZ,
    migration_name          VARCHAR(255) NOT NULL,
    logs                    TEXT,
    rolled_back_at          TIMESTAMPTZ,
    started_at              TIMESTAMPTZ NOT NULL DEFAULT now(),
    applied_steps_count     INTEGER NOT NULL DEFAULT 0
)`;

// The advisory lock key `prisma migrate` itself takes, so this runner, other instances of it
// and Prisma's CLI never migrate one database at the same time.
const PRISMA_MIGRATE_LOCK = 72_707_369;
// Serialises "create the database if missing" on the maintenance database.
const CREATE_DATABASE_LOCK = 72_707_370;

interface HistoryRow {
  migration_name: string;
  checksum: string;
  finished_at: Date | null;
  rolled_back_at: Date | null;
  started_at: Date;
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;

function connect(connectionString: string): pg.Client {
  const client = new pg.Client({ connectionString });
  client.on('error', () => undefined); // a dropped connection fails the pending query instead
  return client;
}

/**
 * Creates the database named in the URL when it does not exist (through the `postgres`
 * maintenance database, which is only contacted when the database is missing).
 */
export async function ensureDatabase(databaseUrl: string): Promise<boolean> {
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!name) throw new MigrationError('the database URL names no database');
  const probe = connect(databaseUrl);
  try {
    await probe.connect();
    await probe.end();
    return false;
  } catch (err) {
    await probe.end().catch(() => undefined);
    if ((err as { code?: string }).code !== '3D000') throw err; // 3D000: database does not exist
  }
  url.pathname = '/postgres';
  const admin = connect(url.toString());
  await admin.connect();
  try {
    await admin.query('SELECT pg_advisory_lock($1)', [CREATE_DATABASE_LOCK]);
    const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (exists.rowCount) return false;
    try {
      await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    } catch (err) {
      // Created concurrently by a process that does not take our lock.
      const code = (err as { code?: string }).code;
      if (code === '42P04' || code === '23505') return false;
      throw err;
    }
    return true;
  } finally {
    await admin.end().catch(() => undefined);
  }
}

function checkHistory(rows: HistoryRow[], files: { name: string; sql: string }[]): Set<string> {
  const failed = rows.find((r) => r.finished_at === null && r.rolled_back_at === null);
  if (failed) {
    throw new MigrationError(
      `migration ${failed.migration_name} (started ${failed.started_at.toISOString()}) failed earlier; ` +
        'fix the database, then record it with `prisma migrate resolve --rolled-back|--applied` (or delete its _prisma_migrations row) before migrating again',
    );
  }
  // Like Prisma: a migration counts as applied when a row that was not rolled back records it.
  const applied = new Map(rows.filter((r) => r.rolled_back_at === null).map((r) => [r.migration_name, r.checksum]));
  for (const file of files) {
    const recorded = applied.get(file.name);
    if (recorded !== undefined && !checksumMatches(recorded, file.sql)) {
      throw new MigrationError(`migration ${file.name} was modified after it was applied (its checksum differs from the one recorded); add a new migration instead of editing an applied one`);
    }
  }
  return new Set(applied.keys());
}

async function applyOne(client: pg.Client, file: { name: string; sql: string; checksum: string }): Promise<void> {
  const id = randomUUID();
  // Recorded as started before it runs, like Prisma: a crash leaves a visible failed migration.
  await client.query('INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ($1, $2, $3, now(), 0)', [id, file.checksum, file.name]);
  try {
    await client.query('BEGIN');
    await client.query(file.sql);
    await client.query('UPDATE "_prisma_migrations" SET finished_at = clock_timestamp(), applied_steps_count = 1 WHERE id = $1', [id]);
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    const message = err instanceof Error ? err.message : String(err);
    await client.query('UPDATE "_prisma_migrations" SET logs = $2 WHERE id = $1', [id, message]).catch(() => undefined);
    throw new MigrationError(`migration ${file.name} failed and was rolled back: ${message}`);
  }
}

/**
 * Applies prisma/migrations/* in name order, each in its own transaction, recording them in
 * `_prisma_migrations` exactly as `prisma migrate deploy` does. Creates the database when
 * missing. Safe to run from several processes at once (Prisma's advisory lock). Refuses
 * when an applied migration was edited or an earlier one failed.
 */
export async function migrate(options: MigrateOptions): Promise<MigrateResult> {
  const log = options.log ?? (() => undefined);
  const lockProblem = await checkLockfile(options.migrationsDir);
  if (lockProblem) throw new MigrationError(lockProblem);
  const files = await readMigrations(options.migrationsDir);
  if (await ensureDatabase(options.databaseUrl)) log('database created');
  const client = connect(options.databaseUrl);
  await client.connect();
  const result: MigrateResult = { applied: [], alreadyApplied: [] };
  try {
    await client.query('SELECT pg_advisory_lock($1)', [PRISMA_MIGRATE_LOCK]);
    await client.query(HISTORY_DDL);
    const { rows } = await client.query<HistoryRow>('SELECT migration_name, checksum, finished_at, rolled_back_at, started_at FROM "_prisma_migrations" ORDER BY started_at');
    const applied = checkHistory(rows, files);
    const local = new Set(files.map((f) => f.name));
    for (const name of applied) if (!local.has(name)) log(`warning: migration ${name} is recorded in the database but missing from ${options.migrationsDir}`);
    for (const file of files) {
      if (applied.has(file.name)) {
        result.alreadyApplied.push(file.name);
        continue;
      }
      await applyOne(client, file);
      log(`applied ${file.name}`);
      result.applied.push(file.name);
    }
    return result;
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [PRISMA_MIGRATE_LOCK]).catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
