import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDatabase, migrate } from '../src/index.ts';
import { diffToSchema, isEmptyMigration, prismaMigrateDeploy } from '../src/schema-engine/commands.ts';
import { adminUrl, migrationsDir, query, schemaPath, scratchDatabases, urlFor } from './support.ts';

// Prisma's own schema engine (the WebAssembly build shipped in the prisma package), offline.
const tmp = mkdtempSync(path.join(tmpdir(), 'hub-schema-'));
const dbs = scratchDatabases('hub_prisma');
afterAll(async () => {
  rmSync(tmp, { recursive: true, force: true });
  await dbs.drop();
});

const shadowDatabases = async () =>
  (await query<{ datname: string }>(adminUrl, "SELECT datname FROM pg_database WHERE datname LIKE 'prisma_migrate_shadow_db_%'")).map((r) => r.datname);

describe('prisma/migrations against prisma/schema.prisma (Prisma schema engine)', () => {
  it('the migrations create exactly what the schema describes (a new migration would be empty)', async () => {
    const before = await shadowDatabases();
    const script = await diffToSchema({ databaseUrl: adminUrl, schemaPath, source: { from: 'migrations', migrationsDir } });
    expect(script.trim()).toBe('-- This is an empty migration.');
    expect(await shadowDatabases()).toEqual(before);
  });

  it('reports a schema change that has no migration yet', async () => {
    const changed = path.join(tmp, 'schema.prisma');
    writeFileSync(changed, readFileSync(schemaPath, 'utf8').replace('  timezone   String   @default("UTC") @db.VarChar(64)\n', '  timezone   String   @default("UTC") @db.VarChar(64)\n  nickname   String?  @db.VarChar(40)\n'));
    const script = await diffToSchema({ databaseUrl: adminUrl, schemaPath: changed, source: { from: 'migrations', migrationsDir } });
    expect(isEmptyMigration(script)).toBe(false);
    expect(script).toContain('ALTER TABLE "users" ADD COLUMN     "nickname" VARCHAR(40);');
  });

  // The init migration's SQL is what Prisma generates for the schema, less the columns later
  // migrations add (ALTER TABLE … ADD COLUMN); the rest they add (triggers, partial indexes)
  // schema.prisma cannot describe.
  const migrations = readdirSync(migrationsDir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name).sort();
  it('generates the DDL of the init migration from an empty database', async () => {
    const script = await diffToSchema({ databaseUrl: adminUrl, schemaPath, source: { from: 'empty' } });
    expect(script).toContain('CREATE UNIQUE INDEX "notification_deliveries_event_id_user_id_channel_key" ON "notification_deliveries"("event_id", "user_id", "channel");');
    const initSql = readFileSync(path.join(migrationsDir, migrations[0]!, 'migration.sql'), 'utf8');
    // The init migration is Prisma's script (less `CREATE SCHEMA IF NOT EXISTS "public"`) plus
    // the partial unique index and the template seeds that schema.prisma cannot express.
    const later = migrations.slice(1).map((m) => readFileSync(path.join(migrationsDir, m, 'migration.sql'), 'utf8')).join('\n');
    const addedColumns = [...later.matchAll(/ADD COLUMN\s+(?:IF NOT EXISTS\s+)?"([^"]+)"/g)].map((m) => m[1]!);
    // Tables and types a later migration creates (the channels of issue 12), with their
    // indexes and foreign keys: not part of the init script.
    const laterObjects = new Set([...later.matchAll(/CREATE (?:TABLE|TYPE) "([^"]+)"/g)].map((m) => m[1]!));
    // Indexes a later migration adds to an older table.
    const laterIndexes = new Set([...later.matchAll(/CREATE (?:UNIQUE )?INDEX "([^"]+)"/g)].map((m) => m[1]!));
    const ofLater = (block: string) =>
      [...block.matchAll(/(?:CREATE (?:TABLE|TYPE)|ALTER TABLE|ON) "([^"]+)"/g)].some((m) => laterObjects.has(m[1]!))
      || [...block.matchAll(/CREATE (?:UNIQUE )?INDEX "([^"]+)"/g)].some((m) => laterIndexes.has(m[1]!));
    const prismaPart = script
      .replace('-- CreateSchema\nCREATE SCHEMA IF NOT EXISTS "public";\n\n', '')
      .split('\n\n-- ')
      .filter((block) => !ofLater(block))
      .join('\n\n-- ')
      .split('\n')
      .filter((line) => !addedColumns.some((c) => line.startsWith(`    "${c}" `)))
      .join('\n')
      .trimEnd();
    expect(initSql.startsWith(prismaPart)).toBe(true);
  });
});

describe('history shared with `prisma migrate deploy` (Prisma schema engine)', () => {
  const history = (url: string) => query<{ migration_name: string; checksum: string; applied_steps_count: number }>(url, 'SELECT migration_name, checksum, applied_steps_count FROM _prisma_migrations ORDER BY migration_name');

  it('prisma migrate deploy finds nothing to do on a database this runner migrated', async () => {
    const url = urlFor(dbs.name());
    const ours = await migrate({ databaseUrl: url, migrationsDir });
    await expect(prismaMigrateDeploy({ databaseUrl: url, schemaPath, migrationsDir })).resolves.toEqual([]);
    expect((await history(url)).map((r) => r.migration_name)).toEqual(ours.applied);
  });

  it('this runner finds nothing to do on a database prisma migrate deploy migrated, and records the same rows', async () => {
    const prismaUrl = urlFor(dbs.name());
    await ensureDatabase(prismaUrl);
    const applied = await prismaMigrateDeploy({ databaseUrl: prismaUrl, schemaPath, migrationsDir });
    await expect(migrate({ databaseUrl: prismaUrl, migrationsDir })).resolves.toEqual({ applied: [], alreadyApplied: applied });
    const oursUrl = urlFor(dbs.name());
    await migrate({ databaseUrl: oursUrl, migrationsDir });
    expect(await history(oursUrl)).toEqual(await history(prismaUrl));
  });
});
